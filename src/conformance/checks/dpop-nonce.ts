/**
 * Checklist §7: servers that require DPoP nonces (RFC 9449 §8). These
 * depend on the server's nonce state, so they run in order.
 */
import type { CheckRun, Exchange } from '../check-run';
import { isObject } from '../check-run';
import { check } from './define';

/** RFC 9449 §8.1: nonce = 1*NQCHAR. */
const NQCHARS = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The single DPoP-Nonce of a use_dpop_nonce answer, or a finding. */
function expectNonceChallenge(run: CheckRun, exchange: Exchange, what: string): string | undefined {
  if (!run.expectRejection(exchange, { error: 'use_dpop_nonce', what })) return undefined;
  const fields = exchange.response!.rawHeaders.filter(([name]) => name.toLowerCase() === 'dpop-nonce');
  if (fields.length !== 1 || !NQCHARS.test(fields[0]![1])) {
    run.finding('MUST', 'use_dpop_nonce must carry exactly one DPoP-Nonce header of NQCHARs', {
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
  mode: 'ordered',
  async run(run) {
    const exchange = await run.send(run.draft({ dpop: { nonce: null } }), { nonceRetry: false });
    if (expectNonceChallenge(run, exchange, 'a proof without nonce') !== undefined) run.note('400 use_dpop_nonce with a DPoP-Nonce');
  },
});

export const nonceRetry = check({
  id: 'nonce-retry',
  title: 'a new proof carrying the server nonce gets a DPoP token',
  level: 'MUST',
  reference: 'RFC 9449 §8',
  group: 'dpop-nonce',
  requires: ['dpop_nonce'],
  mode: 'ordered',
  async run(run) {
    const challenge = await run.send(run.draft({ dpop: { nonce: null } }), { nonceRetry: false });
    const nonce = expectNonceChallenge(run, challenge, 'a proof without nonce');
    if (nonce === undefined) return;
    await run.sendExpectingToken(run.draft({ dpop: { nonce } }), { tokenType: 'DPoP', what: 'the retry with the server nonce' }, { nonceRetry: false });
  },
});

export const nonceWrong = check({
  id: 'nonce-wrong',
  title: 'a proof with a stale nonce gets use_dpop_nonce and a fresh DPoP-Nonce',
  level: 'MUST',
  reference: 'RFC 9449 §4.3 item 10, §8',
  group: 'dpop-nonce',
  requires: ['dpop_nonce'],
  mode: 'ordered',
  async run(run) {
    const exchange = await run.send(run.draft({ dpop: { nonce: 'stale' } }), { nonceRetry: false });
    const nonce = expectNonceChallenge(run, exchange, 'a proof with nonce "stale"');
    if (nonce === 'stale') run.finding('MUST', 'the DPoP-Nonce handed back is the stale one', { expected: 'a fresh nonce', received: 'the nonce the client sent', exchangeOf: exchange });
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
  mode: 'ordered',
  async run(run) {
    const htu = new URL('/conformance/other', run.tokenUrl).href;
    const exchange = await run.send(run.draft({ dpop: { htu, nonce: null } }), { nonceRetry: false });
    if (run.expectRejection(exchange, { error: ['invalid_dpop_proof', 'use_dpop_nonce'], what: 'a bad htu without nonce' })) {
      run.note(`answered ${run.summarize(exchange.response!)}`);
    }
  },
});

export const nonceRotate = check({
  id: 'nonce-rotate',
  title: 'a nonce sent with a token response works for the next request',
  level: 'MAY',
  reference: 'RFC 9449 §8.2',
  group: 'dpop-nonce',
  requires: ['dpop_nonce'],
  mode: 'ordered',
  async run(run) {
    const first = await run.send(run.draft({ dpop: true }));
    if (!run.expectToken(first, { tokenType: 'DPoP', level: 'MUST' })) return;
    const rotated = first.response!.headers['dpop-nonce'];
    if (rotated === undefined) return run.note('no DPoP-Nonce on success: the server does not rotate nonces that way');
    const next = await run.send(run.draft({ dpop: { nonce: rotated } }), { nonceRetry: false });
    run.expectToken(next, { tokenType: 'DPoP', what: 'a request with the nonce from the previous token response' });
    if (isObject(next.response?.body)) run.note('rotated nonce accepted');
  },
});

export const DPOP_NONCE_CHECKS = [nonceMissing, nonceRetry, nonceWrong, noncePrecedence, nonceRotate];
