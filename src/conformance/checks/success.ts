/**
 * Checklist §1: successful requests and the format of token responses
 * (RFC 6749 §4.4.2–4.4.3, §5.1). The `resp-*` checks are observers: they
 * send their own request and also judge every token endpoint response the
 * run saw, so a framing defect on any path is reported once, here.
 */
import { decodeJwt } from 'jose';
import { formUrlEncode } from '../../oauth/client-auth';
import { isPlainObject } from '../../oauth/guards';
import { CLIENT_CREDENTIALS_GRANT } from '../../oauth/protocol';
import type { CheckContext } from '../context';
import { setParam } from '../draft';
import type { Exchange } from '../exchange';
import type { Level } from '../types';
import { check, issuesToken, probeCheck } from './define';
import { UNSUPPORTED_GRANT_TYPE } from './grant-scope';

export const okBasic = probeCheck({
  id: 'ok-basic',
  title: 'client_credentials with HTTP Basic client authentication is answered with a token',
  level: 'MUST',
  reference: 'RFC 6749 §2.3.1, §4.4.2–4.4.3, §5.1',
  group: 'success',
  requires: ['client_secret_basic'],
  probes: (ctx) => [{ what: 'the request', request: ctx.draft({ client: ctx.client('client_secret_basic') }) }],
  expect: issuesToken(),
});

/**
 * RFC 6749 §2.3.1: the client id and secret are form-urlencoded (Appendix B)
 * before they become the Basic user-id and password, so the server decodes
 * them. Encoding characters that need none (`basic%2Dclient`) proves the
 * decoding with the configured client: a decoder reads the same id and secret.
 */
export const okBasicEncoded = check({
  id: 'ok-basic-encoded',
  title: 'Basic credentials are form-urlencoded: a needlessly percent-encoded id and secret are accepted',
  level: 'MUST',
  reference: 'RFC 6749 §2.3.1 ("encoded using the application/x-www-form-urlencoded encoding algorithm"); RFC 7617 §2',
  group: 'success',
  requires: ['client_secret_basic'],
  async run(ctx) {
    const client = ctx.client('client_secret_basic');
    const draft = ctx.draft({ client: null });
    const credentials = `${overEncode(formUrlEncode(client.id))}:${overEncode(formUrlEncode(client.secret ?? ''))}`;
    const value = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
    ctx.session.secrets.addAuthorization(value);
    draft.headers.push(['Authorization', value]);
    if (await ctx.sendExpectingToken(draft, { what: `Basic with the id sent as ${overEncode(formUrlEncode(client.id))} (form-decoded: ${client.id})` })) ctx.note('the Basic credentials were form-decoded');
  },
});

/** Percent-encodes what form-encoding leaves alone: every `-`, and the first other such character; existing escapes stay whole. */
function overEncode(encoded: string): string {
  let out = '';
  let first = true;
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i]!;
    if (ch === '%') {
      out += encoded.slice(i, i + 3);
      i += 2;
    } else if (/[A-Za-z0-9*._-]/.test(ch) && (ch === '-' || first)) {
      out += `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
      if (ch !== '-') first = false;
    } else out += ch;
  }
  return out;
}

export const okPost = probeCheck({
  id: 'ok-post',
  title: 'client_secret_post (credentials in the body) is answered with a token',
  // RFC 6749 §2.3.1 lets a server support body credentials (MAY); the attesto contract does.
  level: 'CONTRACT',
  reference: 'RFC 6749 §2.3.1',
  group: 'success',
  requires: ['client_secret_post'],
  probes: (ctx) => [{ what: 'the request', request: ctx.draft({ client: ctx.client('client_secret_post') }) }],
  expect: issuesToken(),
});

export const okPkjwt = probeCheck({
  id: 'ok-pkjwt',
  title: 'private_key_jwt client assertion is answered with a token',
  level: 'MUST',
  reference: 'RFC 7523 §2.2, §3; OIDC Core §9',
  group: 'success',
  requires: ['private_key_jwt'],
  probes: (ctx) => [{ what: 'the request', request: ctx.draft({ client: ctx.client('private_key_jwt') }) }],
  expect: issuesToken({ hintWhenRefused: audienceHint }),
});

/**
 * A valid assertion refused with invalid_client is most often an audience
 * mismatch: RFC 7523 §3 item 3 lets the server name what it accepts ("the
 * token endpoint URL ... or the issuer identifier"), and servers differ. The
 * hint says which `aud` was sent and how to send another.
 */
function audienceHint(exchange: Exchange): string | undefined {
  const body = exchange.response?.body;
  if (!isPlainObject(body) || body.error !== 'invalid_client') return undefined;
  const assertion = new URLSearchParams(exchange.request.body ?? '').get('client_assertion');
  let aud: unknown;
  try {
    aud = (decodeJwt(assertion ?? '') as { aud?: unknown }).aud;
  } catch {
    return undefined;
  }
  return `the assertion's aud was ${JSON.stringify(aud)}; servers differ in the audience they accept (the token endpoint URL or the issuer identifier, RFC 7523 §3 item 3): if this server expects another, set "audience" on the client in the config file (or --audience)`;
}

export const okBasicBodyId = probeCheck({
  id: 'ok-basic-bodyid',
  title: 'Basic plus a body client_id equal to the Basic id is accepted',
  level: 'MAY',
  reference: 'RFC 6749 §2.3.1',
  group: 'success',
  requires: ['client_secret_basic'],
  probes: (ctx) => {
    const client = ctx.client('client_secret_basic');
    return [{ what: 'the request', request: setParam(ctx.draft({ client }), 'client_id', client.id) }];
  },
  expect: issuesToken(),
});

export const okJsonBody = probeCheck({
  id: 'ok-json-body',
  title: 'the same parameters as an application/json body are accepted',
  // RFC 6749 §4.4.2 defines form encoding only; accepting JSON is the attesto contract's addition.
  level: 'CONTRACT',
  reference: 'RFC 6749 §4.4.2; attesto contract (application/json request body)',
  group: 'success',
  requires: [],
  probes: (ctx) => [{ what: 'the request', request: ctx.draft({ encoding: 'json' }) }],
  expect: issuesToken(),
});

export const paramUnknown = probeCheck({
  id: 'param-unknown',
  title: 'an unknown parameter (foo=bar) is ignored',
  level: 'MUST',
  reference: 'RFC 6749 §3.2',
  group: 'success',
  requires: [],
  probes: (ctx) => {
    const draft = ctx.draft();
    draft.params.push(['foo', 'bar']);
    return [{ what: 'the request', request: draft }];
  },
  expect: issuesToken(),
});

export const paramEmpty = check({
  id: 'param-empty',
  title: 'a parameter sent without a value (scope=) is answered as if it were omitted',
  level: 'MUST',
  // RFC 6749 §3.2: "Parameters sent without a value MUST be treated as if they were omitted from the request."
  reference: 'RFC 6749 §3.2',
  group: 'success',
  requires: [],
  async run(ctx) {
    const omitted = await ctx.send(ctx.draft({ scope: null }));
    const draft = ctx.draft({ scope: null });
    draft.params.push(['scope', '']);
    const empty = await ctx.send(draft);
    const a = omitted.response;
    const b = empty.response;
    if (!a || !b) return ctx.skip('no answer to compare');
    // A server that requires a scope refuses both alike, and that is no §3.2 deviation: compare, do not demand a token.
    if (answeredWithToken(omitted)) {
      ctx.expectToken(empty, { what: 'a request with an empty scope (the same request without scope got a token)' });
      return;
    }
    const shape = (res: typeof a) => `${res.status} ${isPlainObject(res.body) ? String(res.body.error) : '(no error code)'}`;
    // Only an OAuth refusal (RFC 6749 §5.2) of the scope-less request is something to compare with: a 5xx or an HTML page is no evidence either way.
    if (!isPlainObject(a.body) || typeof a.body.error !== 'string' || a.status >= 500) return ctx.skip(`the request without scope got ${ctx.summarize(a)}: nothing to compare scope= with`);
    if (answeredWithToken(empty) || shape(a) !== shape(b)) {
      ctx.finding('MUST', 'scope= is answered differently from no scope at all', {
        expected: `the answer to the request without scope: ${ctx.summarize(a)}`,
        received: ctx.summarize(b),
        exchangeOf: empty,
      });
    } else ctx.note(`refused alike with and without an empty scope (${shape(b)})`);
  },
});

export const respScope = check({
  id: 'resp-scope',
  title: 'scope is returned whenever the granted scope differs from the requested one',
  level: 'MUST',
  reference: 'RFC 6749 §3.3, §5.1',
  group: 'success',
  requires: [],
  owns: { pointers: ['/scope'] },
  async run(ctx) {
    const requested = ctx.config.scope;
    const plain = await ctx.send(ctx.draft());
    const token = ctx.expectToken(plain, { what: 'the baseline request' });
    if (token) judgeScope(ctx, plain, token.body, requested);
    // An unknown scope value: the server refuses it (invalid_scope) or ignores it,
    // and then the granted scope differs from the request and must be returned.
    const unknown = `conformance-unknown-${Math.random().toString(36).slice(2, 8)}`;
    const widened = await ctx.send(ctx.draft({ scope: requested ? `${requested} ${unknown}` : unknown }));
    const res = widened.response;
    if (res && res.status === 200 && isPlainObject(res.body)) judgeScope(ctx, widened, res.body, requested ? `${requested} ${unknown}` : unknown);
    else if (res && isPlainObject(res.body) && res.body.error === 'invalid_scope') ctx.note('an unknown scope value is refused with invalid_scope');
    else ctx.expectRejection(widened, { error: 'invalid_scope', what: 'an unknown scope value', level: 'SHOULD' });
  },
});

function judgeScope(ctx: CheckContext, exchange: Exchange, body: Record<string, unknown>, requested: string | undefined): void {
  const scope = body.scope;
  if (scope !== undefined && typeof scope !== 'string') {
    ctx.finding('MUST', 'scope must be a space-delimited string', { expected: 'a string', received: JSON.stringify(scope), exchangeOf: exchange });
    return;
  }
  if (requested === undefined || scope !== undefined) {
    const problem = ctx.coreProblems(exchange, 'success').find((p) => p.rule === 'body.schema' && p.pointer === '/scope');
    if (problem) ctx.finding('CONTRACT', problem.message, { exchangeOf: exchange });
    return;
  }
  // No scope member means "granted as requested" (RFC 6749 §5.1); detectable only when we know it was not.
  if (requested.split(' ').some((value) => value.startsWith('conformance-unknown-'))) {
    ctx.finding('MUST', 'the server ignored an unknown scope value but did not return the granted scope', {
      expected: 'invalid_scope, or a scope member with the scope actually granted',
      received: ctx.summarize(exchange.response!),
      reference: 'RFC 6749 §3.3 ("If the issued access token scope is different from the one requested … MUST include the scope")',
      exchangeOf: exchange,
    });
  }
}

// ---- observers over every response of the run ----------------------------

/** A 200 whose body carries an access token. */
function answeredWithToken(exchange: Exchange): boolean {
  const res = exchange.response;
  return res !== undefined && res.status === 200 && isPlainObject(res.body) && typeof res.body.access_token === 'string';
}

/** An answer in the token endpoint's own envelope: what the observers judge. */
function inEnvelope(exchange: Exchange): boolean {
  return exchange.oauth && exchange.response !== undefined && [200, 400, 401].includes(exchange.response.status);
}

/**
 * The responses an observer judges: every answer in the token endpoint's
 * own envelope (200, 400, 401) the run saw; with `tokens` only those that
 * issued a token. The observer sends its own samples (a baseline request,
 * and with `all` an unsupported grant for an error answer) only when the run
 * has none of that kind yet (a run of the observer alone, `--only
 * resp-ctype`): in a full run they would add a round trip each and no new
 * evidence. Nothing to judge skips the check rather than passing it on no
 * evidence.
 */
async function observe(ctx: CheckContext, what: 'all' | 'tokens'): Promise<Exchange[]> {
  const seen = () => ctx.session.journal.filter(inEnvelope);
  if (!seen().some(answeredWithToken)) await ctx.send(ctx.draft());
  if (what === 'all' && !seen().some((e) => e.response!.status !== 200)) await ctx.send(setParam(ctx.draft(), 'grant_type', UNSUPPORTED_GRANT_TYPE));
  const judged = what === 'all' ? seen() : seen().filter(answeredWithToken);
  if (judged.length === 0) ctx.skip(what === 'all' ? 'nothing to judge: no 200, 400 or 401 answer from the token endpoint' : 'nothing to judge: no token was issued in the whole run');
  return judged;
}

/** Reports each distinct defect once, with the first example and how many responses share it. */
function reportGrouped(ctx: CheckContext, level: Level, message: string, offenders: Exchange[], details: { expected: string; received: (e: Exchange) => string; reference?: string }): void {
  if (offenders.length === 0) return;
  const first = offenders[0]!;
  const others = [...new Set(offenders.map((e) => e.checkId))].filter((id) => id !== ctx.check.id);
  const scope = `${offenders.length} response${offenders.length === 1 ? '' : 's'}${others.length > 0 ? `, also in ${others.slice(0, 6).join(', ')}${others.length > 6 ? ', …' : ''}` : ''}`;
  ctx.finding(level, `${message} (${scope})`, { expected: details.expected, received: details.received(first), reference: details.reference, exchangeOf: first });
}

export const respCtype = check({
  id: 'resp-ctype',
  title: 'every token endpoint response is application/json (charset optional)',
  level: 'MUST',
  reference: 'RFC 6749 §5.1, §5.2',
  group: 'success',
  requires: [],
  owns: { rules: ['header.content-type.json'] },
  mode: 'observer',
  async run(ctx) {
    const offenders = (await observe(ctx, 'all')).filter((e) => ctx.coreProblems(e, 'any').some((p) => p.rule === 'header.content-type.json'));
    reportGrouped(ctx, 'MUST', 'Content-Type is not application/json', offenders, {
      expected: 'Content-Type: application/json (parameters such as charset allowed, any case)',
      received: (e) => `${e.response!.status} Content-Type: ${e.response!.headers['content-type'] ?? '(none)'}`,
    });
  },
});

export const respNoStore = check({
  id: 'resp-no-store',
  title: 'responses carry Cache-Control: no-store and Pragma: no-cache',
  level: 'MUST',
  reference: 'RFC 6749 §5.1; attesto contract (errors too)',
  group: 'success',
  requires: [],
  owns: { rules: ['header.cache-control.no-store', 'header.pragma.no-cache'] },
  mode: 'observer',
  async run(ctx) {
    const responses = await observe(ctx, 'all');
    const missing = (e: Exchange, rule: string) => ctx.coreProblems(e, 'any').some((p) => p.rule === rule);
    const tokens = responses.filter(answeredWithToken);
    const errors = responses.filter((e) => e.response!.status !== 200);
    const received = (name: string) => (e: Exchange) => `${e.response!.status} ${name}: ${e.response!.headers[name.toLowerCase()] ?? '(none)'}`;
    // RFC 6749 §5.1: MUST on "any response containing tokens"; both headers are named there.
    reportGrouped(ctx, 'MUST', 'a token response lacks Cache-Control: no-store', tokens.filter((e) => missing(e, 'header.cache-control.no-store')), { expected: 'Cache-Control: no-store', received: received('Cache-Control') });
    reportGrouped(ctx, 'MUST', 'a token response lacks Pragma: no-cache', tokens.filter((e) => missing(e, 'header.pragma.no-cache')), { expected: 'Pragma: no-cache', received: received('Pragma') });
    // Errors carry no token; the contract asks for both headers anyway, as defence in depth.
    reportGrouped(ctx, 'CONTRACT', 'an error response lacks Cache-Control: no-store', errors.filter((e) => missing(e, 'header.cache-control.no-store')), { expected: 'Cache-Control: no-store', received: received('Cache-Control'), reference: 'attesto contract; RFC 6749 §5.1' });
    reportGrouped(ctx, 'CONTRACT', 'an error response lacks Pragma: no-cache', errors.filter((e) => missing(e, 'header.pragma.no-cache')), { expected: 'Pragma: no-cache', received: received('Pragma'), reference: 'attesto contract; RFC 6749 §5.1' });
  },
});

export const respTokenType = check({
  id: 'resp-token-type',
  title: 'token_type is spelled exactly Bearer or DPoP',
  // RFC 6749 §5.1: "case insensitive" (every success check compares so); the exact spelling is the contract's enum.
  level: 'CONTRACT',
  reference: 'RFC 6749 §5.1; attesto contract (token_type enum)',
  group: 'success',
  requires: [],
  owns: { pointers: ['/token_type'] },
  mode: 'observer',
  async run(ctx) {
    const offenders = (await observe(ctx, 'tokens')).filter((e) => {
      const type = (e.response!.body as Record<string, unknown>).token_type;
      return typeof type === 'string' && ['bearer', 'dpop'].includes(type.toLowerCase()) && type !== 'Bearer' && type !== 'DPoP';
    });
    reportGrouped(ctx, 'CONTRACT', 'token_type differs from the contract\'s spelling', offenders, {
      expected: '"Bearer" or "DPoP"',
      received: (e) => JSON.stringify((e.response!.body as Record<string, unknown>).token_type),
    });
  },
});

export const respExpires = check({
  id: 'resp-expires',
  title: 'expires_in is present and a whole number of seconds',
  level: 'SHOULD',
  reference: 'RFC 6749 §5.1',
  group: 'success',
  requires: [],
  owns: { pointers: ['/expires_in'] },
  mode: 'observer',
  async run(ctx) {
    const tokens = await observe(ctx, 'tokens');
    const value = (e: Exchange) => (e.response!.body as Record<string, unknown>).expires_in;
    const received = (e: Exchange) => `expires_in: ${JSON.stringify(value(e)) ?? 'absent'}`;
    reportGrouped(ctx, 'SHOULD', 'expires_in is absent (RECOMMENDED)', tokens.filter((e) => value(e) === undefined), { expected: 'expires_in: <seconds>', received });
    // RFC 6749 §5.1: "Numerical values are included as JSON numbers".
    reportGrouped(ctx, 'MUST', 'expires_in is not a JSON number', tokens.filter((e) => value(e) !== undefined && typeof value(e) !== 'number'), { expected: 'a JSON number', received });
    reportGrouped(ctx, 'CONTRACT', 'expires_in is not a whole number >= 0', tokens.filter((e) => typeof value(e) === 'number' && !(Number.isInteger(value(e)) && (value(e) as number) >= 0)), { expected: 'an integer >= 0 (contract schema)', received });
  },
});

export const respNoRefresh = check({
  id: 'resp-no-refresh',
  title: 'no refresh_token is issued for client_credentials',
  level: 'SHOULD',
  reference: 'RFC 6749 §4.4.3',
  group: 'success',
  requires: [],
  mode: 'observer',
  async run(ctx) {
    // RFC 6749 §4.4.3 is about client_credentials; authorization_code and refresh_token answers may carry one (§4.1.4, §6).
    const offenders = (await observe(ctx, 'tokens')).filter((e) => e.grantType === CLIENT_CREDENTIALS_GRANT && (e.response!.body as Record<string, unknown>).refresh_token !== undefined);
    reportGrouped(ctx, 'SHOULD', 'a refresh_token was issued ("SHOULD NOT be included")', offenders, { expected: 'no refresh_token', received: () => 'refresh_token present' });
  },
});

export const SUCCESS_CHECKS = [okBasic, okBasicEncoded, okPost, okPkjwt, okBasicBodyId, okJsonBody, respCtype, respNoStore, respTokenType, respExpires, respScope, respNoRefresh, paramUnknown, paramEmpty];
