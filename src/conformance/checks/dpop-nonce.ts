/**
 * Checklist §7: servers that require DPoP nonces (RFC 9449 §8). These run
 * in the pool with every other check: a check that judges one challenge
 * cannot be disturbed by other requests, and `nonce-retry` answers its
 * challenge under the shared nonce policy (a concurrent check may spend a
 * short-lived nonce first; a fresh challenge is answered again). Only
 * `nonce-rotate` judges whether one particular nonce works for the next
 * request, so it runs `ordered`, on a quiet server: a server with one shared
 * single-use nonce would see a concurrent check spend it in between (the
 * `shared` gate of test/conformance/rotating-nonce.test.ts).
 */
import { decodeJwt } from 'jose';
import { USE_DPOP_NONCE } from '../../oauth/dpop-nonce';
import { isNonce } from '../../oauth/grammar';
import { DPOP_HEADER, DPOP_NONCE_HEADER } from '../../oauth/protocol';
import type { CheckContext } from '../context';
import type { Exchange } from '../exchange';
import { check } from './define';

/** The single DPoP-Nonce of a use_dpop_nonce answer, or a finding. */
function expectNonceChallenge(ctx: CheckContext, exchange: Exchange, what: string): string | undefined {
  if (!ctx.expectRejection(exchange, { error: USE_DPOP_NONCE, what })) return undefined;
  const fields = exchange.response!.rawHeaders.filter(([name]) => name.toLowerCase() === DPOP_NONCE_HEADER.toLowerCase());
  if (fields.length !== 1 || !isNonce(fields[0]![1])) {
    ctx.finding('MUST', 'use_dpop_nonce must carry exactly one DPoP-Nonce header of NQCHARs', {
      expected: 'one DPoP-Nonce: 1*NQCHAR',
      received: fields.length === 0 ? 'no DPoP-Nonce header' : `${fields.length} DPoP-Nonce field(s)`,
      reference: 'RFC 9449 §8, §8.1',
      exchangeOf: exchange,
    });
    return undefined;
  }
  return fields[0]![1];
}

export const nonceMissing = check({
  id: 'nonce-missing',
  title: 'a proof without the required nonce gets 400 use_dpop_nonce and one DPoP-Nonce header',
  level: 'MUST',
  reference: 'RFC 9449 §8, §8.1',
  group: 'dpop-nonce',
  requires: ['dpop_nonce'],
  async run(ctx) {
    const exchange = await ctx.send(ctx.draft({ dpop: { nonce: null } }), { nonceRetry: false });
    if (expectNonceChallenge(ctx, exchange, 'a proof without nonce') !== undefined) ctx.note('400 use_dpop_nonce with a DPoP-Nonce');
  },
});

export const nonceRetry = check({
  id: 'nonce-retry',
  title: 'a new proof carrying the server nonce gets a DPoP token',
  level: 'MUST',
  reference: 'RFC 9449 §8',
  group: 'dpop-nonce',
  requires: ['dpop_nonce'],
  async run(ctx) {
    const challenge = await ctx.send(ctx.draft({ dpop: { nonce: null } }), { nonceRetry: false });
    const nonce = expectNonceChallenge(ctx, challenge, 'a proof without nonce');
    if (nonce === undefined) return;
    // The shared policy (RFC 9449 §8): if a concurrent check spent this nonce first, the fresh challenge is answered too.
    const retry = await ctx.send(ctx.draft({ dpop: { nonce } }), { nonceRetry: true });
    if (ctx.expectToken(retry, { tokenType: 'DPoP', what: 'the retry with the server nonce' }) && retry.nonceRetry) {
      ctx.note('the nonce of the first challenge was spent meanwhile (short-lived nonces); the proof with the next one got a DPoP token');
    }
  },
});

export const nonceWrong = check({
  id: 'nonce-wrong',
  title: 'a proof with a stale nonce gets use_dpop_nonce and a fresh DPoP-Nonce',
  level: 'MUST',
  reference: 'RFC 9449 §4.3 item 10, §8',
  group: 'dpop-nonce',
  requires: ['dpop_nonce'],
  async run(ctx) {
    const exchange = await ctx.send(ctx.draft({ dpop: { nonce: 'stale' } }), { nonceRetry: false });
    const nonce = expectNonceChallenge(ctx, exchange, 'a proof with nonce "stale"');
    if (nonce === 'stale') ctx.finding('MUST', 'the DPoP-Nonce handed back is the stale one', { expected: 'a fresh nonce', received: 'the nonce the client sent', exchangeOf: exchange });
  },
});

export const noncePrecedence = check({
  id: 'nonce-precedence',
  title: 'a proof with a bad htu and no nonce is refused (either error is conformant)',
  // RFC 9449 §4.3 checks may run "in any order"; attesto checks the nonce last (invalid_dpop_proof).
  level: 'MUST',
  reference: 'RFC 9449 §4.3',
  group: 'dpop-nonce',
  requires: ['dpop_nonce'],
  async run(ctx) {
    const htu = new URL('/conformance/other', ctx.tokenUrl).href;
    const exchange = await ctx.send(ctx.draft({ dpop: { htu, nonce: null } }), { nonceRetry: false });
    if (ctx.expectRejection(exchange, { error: ['invalid_dpop_proof', USE_DPOP_NONCE], what: 'a bad htu without nonce' })) {
      ctx.note(`answered ${ctx.summarize(exchange.response!)}`);
    }
  },
});

/** The `nonce` claim of the (first) DPoP proof a request carried, if it had one. */
function proofNonce(exchange: Exchange): string | undefined {
  const proof = exchange.request.headers.find(([name]) => name.toLowerCase() === DPOP_HEADER.toLowerCase())?.[1];
  try {
    const { nonce } = decodeJwt(proof ?? '');
    return typeof nonce === 'string' ? nonce : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RFC 9449 §8.2: a server may hand out a new nonce on a token response. One
 * token response is one sample: a server may rotate every N uses, on a
 * timer, or only on errors. So the note says what this sample showed (did
 * the token response carry a DPoP-Nonce, was it the one the proof had
 * carried, did the next request with it get a token), never "does not rotate".
 */
export const nonceRotate = check({
  id: 'nonce-rotate',
  title: 'a nonce sent with a token response works for the next request',
  level: 'MAY',
  reference: 'RFC 9449 §8.2',
  group: 'dpop-nonce',
  requires: ['dpop_nonce'],
  mode: 'ordered',
  async run(ctx) {
    const first = await ctx.send(ctx.draft({ dpop: true }));
    if (!ctx.expectToken(first, { tokenType: 'DPoP', level: 'MUST' })) return;
    const sent = proofNonce(first);
    const carried = sent === undefined ? 'a proof without nonce' : 'a proof with the server nonce';
    const handed = first.response!.headers[DPOP_NONCE_HEADER.toLowerCase()];
    if (handed === undefined) {
      return ctx.note(`the token response to ${carried} carried no DPoP-Nonce; one sample: the server may still hand out new nonces on other responses (every N uses, on a timer, on errors)`);
    }
    const which =
      sent === undefined ? 'a DPoP-Nonce (the proof had carried none)' : handed === sent ? 'a DPoP-Nonce equal to the one the proof carried (not rotated on this response)' : 'a new DPoP-Nonce, other than the one the proof carried (rotated)';
    const next = await ctx.send(ctx.draft({ dpop: { nonce: handed } }), { nonceRetry: false });
    if (ctx.expectToken(next, { tokenType: 'DPoP', what: `a request with the nonce from the previous token response (${which})` })) {
      ctx.note(`the token response carried ${which}; the next request with it got a DPoP token`);
    }
  },
});

export const DPOP_NONCE_CHECKS = [nonceMissing, nonceRetry, nonceWrong, noncePrecedence, nonceRotate];
