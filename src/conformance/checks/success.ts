/**
 * Checklist §1: successful requests and the format of token responses
 * (RFC 6749 §4.4.2–4.4.3, §5.1). The `resp-*` checks are observers: they
 * send their own request and also judge every token endpoint response the
 * run saw, so a framing defect on any path is reported once, here.
 */
import type { CheckRun, Exchange } from '../check-run';
import { isObject } from '../check-run';
import { setParam } from '../request';
import type { Level } from '../types';
import { check } from './define';

export const okBasic = check({
  id: 'ok-basic',
  title: 'client_credentials with HTTP Basic client authentication is answered with a token',
  level: 'MUST',
  reference: 'RFC 6749 §2.3.1, §4.4.2–4.4.3, §5.1',
  group: 'success',
  requires: ['client_secret_basic'],
  async run(run) {
    await run.sendExpectingToken(run.draft({ client: run.client('client_secret_basic') }));
  },
});

export const okPost = check({
  id: 'ok-post',
  title: 'client_secret_post (credentials in the body) is answered with a token',
  // RFC 6749 §2.3.1 lets a server support body credentials (MAY); the attesto contract does.
  level: 'CONTRACT',
  reference: 'RFC 6749 §2.3.1',
  group: 'success',
  requires: ['client_secret_post'],
  async run(run) {
    await run.sendExpectingToken(run.draft({ client: run.client('client_secret_post') }));
  },
});

export const okPkjwt = check({
  id: 'ok-pkjwt',
  title: 'private_key_jwt client assertion is answered with a token',
  level: 'MUST',
  reference: 'RFC 7523 §2.2, §3; OIDC Core §9',
  group: 'success',
  requires: ['private_key_jwt'],
  async run(run) {
    await run.sendExpectingToken(run.draft({ client: run.client('private_key_jwt') }));
  },
});

export const okBasicBodyId = check({
  id: 'ok-basic-bodyid',
  title: 'Basic plus a body client_id equal to the Basic id is accepted',
  level: 'MAY',
  reference: 'RFC 6749 §2.3.1',
  group: 'success',
  requires: ['client_secret_basic'],
  async run(run) {
    const client = run.client('client_secret_basic');
    await run.sendExpectingToken(setParam(run.draft({ client }), 'client_id', client.id));
  },
});

export const okJsonBody = check({
  id: 'ok-json-body',
  title: 'the same parameters as an application/json body are accepted',
  // RFC 6749 §4.4.2 defines form encoding only; accepting JSON is the attesto contract's addition.
  level: 'CONTRACT',
  reference: 'RFC 6749 §4.4.2; attesto contract (application/json request body)',
  group: 'success',
  requires: [],
  async run(run) {
    await run.sendExpectingToken(run.draft({ encoding: 'json' }));
  },
});

export const paramUnknown = check({
  id: 'param-unknown',
  title: 'an unknown parameter (foo=bar) is ignored',
  level: 'MUST',
  reference: 'RFC 6749 §3.2',
  group: 'success',
  requires: [],
  async run(run) {
    const draft = run.draft();
    draft.params.push(['foo', 'bar']);
    await run.sendExpectingToken(draft);
  },
});

export const paramEmpty = check({
  id: 'param-empty',
  title: 'a parameter sent without a value (scope=) is treated as omitted',
  level: 'MUST',
  reference: 'RFC 6749 §3.2',
  group: 'success',
  requires: [],
  async run(run) {
    const draft = run.draft({ scope: null });
    draft.params.push(['scope', '']);
    await run.sendExpectingToken(draft, { what: 'a request with an empty scope' });
  },
});

export const respScope = check({
  id: 'resp-scope',
  title: 'scope is returned whenever the granted scope differs from the requested one',
  level: 'MUST',
  reference: 'RFC 6749 §3.3, §5.1',
  group: 'success',
  requires: [],
  async run(run) {
    const requested = run.config.scope;
    const plain = await run.send(run.draft());
    const token = run.expectToken(plain, { what: 'the baseline request' });
    if (token) judgeScope(run, plain, token.body, requested);
    // An unknown scope value: the server refuses it (invalid_scope) or ignores it,
    // and then the granted scope differs from the request and must be returned.
    const unknown = `conformance-unknown-${Math.random().toString(36).slice(2, 8)}`;
    const widened = await run.send(run.draft({ scope: requested ? `${requested} ${unknown}` : unknown }));
    const res = widened.response;
    if (res && res.status === 200 && isObject(res.body)) judgeScope(run, widened, res.body, requested ? `${requested} ${unknown}` : unknown);
    else if (res && isObject(res.body) && res.body.error === 'invalid_scope') run.note('an unknown scope value is refused with invalid_scope');
    else run.expectRejection(widened, { error: 'invalid_scope', what: 'an unknown scope value', level: 'SHOULD' });
  },
});

function judgeScope(run: CheckRun, exchange: Exchange, body: Record<string, unknown>, requested: string | undefined): void {
  const scope = body.scope;
  if (scope !== undefined && typeof scope !== 'string') {
    run.finding('MUST', 'scope must be a space-delimited string', { expected: 'a string', received: JSON.stringify(scope), exchangeOf: exchange });
    return;
  }
  if (requested === undefined || scope !== undefined) {
    const problem = run.coreProblems(exchange, 'success').find((p) => p.rule === 'body.schema' && p.pointer === '/scope');
    if (problem) run.finding('CONTRACT', problem.message, { exchangeOf: exchange });
    return;
  }
  // No scope member means "granted as requested" (RFC 6749 §5.1); detectable only when we know it was not.
  if (requested.split(' ').some((value) => value.startsWith('conformance-unknown-'))) {
    run.finding('MUST', 'the server ignored an unknown scope value but did not return the granted scope', {
      expected: 'invalid_scope, or a scope member with the scope actually granted',
      received: run.summarize(exchange.response!),
      reference: 'RFC 6749 §3.3 ("If the issued access token scope is different from the one requested … MUST include the scope")',
      exchangeOf: exchange,
    });
  }
}

// ---- observers over every response of the run ----------------------------

/** A 200 whose body carries an access token. */
function issuesToken(exchange: Exchange): boolean {
  const res = exchange.response;
  return res !== undefined && res.status === 200 && isObject(res.body) && typeof res.body.access_token === 'string';
}

/**
 * The responses an observer judges: every answer in the token endpoint's
 * own envelope (200, 400, 401) the run saw, after this check's samples (a
 * baseline request, and with `errors` an unsupported grant too); with
 * `tokens` only those that issued a token. Nothing to judge skips the check
 * rather than passing it on no evidence.
 */
async function observe(run: CheckRun, what: 'all' | 'tokens'): Promise<Exchange[]> {
  await run.send(run.draft());
  if (what === 'all') await run.send(setParam(run.draft(), 'grant_type', 'password'));
  const seen = run.session.journal.filter((e) => e.oauth && e.response && [200, 400, 401].includes(e.response.status));
  const judged = what === 'all' ? seen : seen.filter(issuesToken);
  if (judged.length === 0) run.skip(what === 'all' ? 'nothing to judge: no 200, 400 or 401 answer from the token endpoint' : 'nothing to judge: no token was issued in the whole run');
  return judged;
}

/** Reports each distinct defect once, with the first example and how many responses share it. */
function reportGrouped(run: CheckRun, level: Level, message: string, offenders: Exchange[], details: { expected: string; received: (e: Exchange) => string; reference?: string }): void {
  if (offenders.length === 0) return;
  const first = offenders[0]!;
  const others = [...new Set(offenders.map((e) => e.checkId))].filter((id) => id !== run.check.id);
  const scope = `${offenders.length} response${offenders.length === 1 ? '' : 's'}${others.length > 0 ? `, also in ${others.slice(0, 6).join(', ')}${others.length > 6 ? ', …' : ''}` : ''}`;
  run.finding(level, `${message} (${scope})`, { expected: details.expected, received: details.received(first), reference: details.reference, exchangeOf: first });
}

export const respCtype = check({
  id: 'resp-ctype',
  title: 'every token endpoint response is application/json (charset optional)',
  level: 'MUST',
  reference: 'RFC 6749 §5.1, §5.2',
  group: 'success',
  requires: [],
  mode: 'observer',
  async run(run) {
    const offenders = (await observe(run, 'all')).filter((e) => run.coreProblems(e, 'any').some((p) => p.rule === 'header.content-type.json'));
    reportGrouped(run, 'MUST', 'Content-Type is not application/json', offenders, {
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
  mode: 'observer',
  async run(run) {
    const responses = await observe(run, 'all');
    const missing = (e: Exchange, rule: string) => run.coreProblems(e, 'any').some((p) => p.rule === rule);
    const tokens = responses.filter(issuesToken);
    const errors = responses.filter((e) => e.response!.status !== 200);
    const received = (name: string) => (e: Exchange) => `${e.response!.status} ${name}: ${e.response!.headers[name.toLowerCase()] ?? '(none)'}`;
    // RFC 6749 §5.1: MUST on "any response containing tokens"; both headers are named there.
    reportGrouped(run, 'MUST', 'a token response lacks Cache-Control: no-store', tokens.filter((e) => missing(e, 'header.cache-control.no-store')), { expected: 'Cache-Control: no-store', received: received('Cache-Control') });
    reportGrouped(run, 'MUST', 'a token response lacks Pragma: no-cache', tokens.filter((e) => missing(e, 'header.pragma.no-cache')), { expected: 'Pragma: no-cache', received: received('Pragma') });
    // Errors carry no token; the contract asks for both headers anyway, as defence in depth.
    reportGrouped(run, 'CONTRACT', 'an error response lacks Cache-Control: no-store', errors.filter((e) => missing(e, 'header.cache-control.no-store')), { expected: 'Cache-Control: no-store', received: received('Cache-Control'), reference: 'attesto contract; RFC 6749 §5.1' });
    reportGrouped(run, 'CONTRACT', 'an error response lacks Pragma: no-cache', errors.filter((e) => missing(e, 'header.pragma.no-cache')), { expected: 'Pragma: no-cache', received: received('Pragma'), reference: 'attesto contract; RFC 6749 §5.1' });
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
  mode: 'observer',
  async run(run) {
    const offenders = (await observe(run, 'tokens')).filter((e) => {
      const type = (e.response!.body as Record<string, unknown>).token_type;
      return typeof type === 'string' && ['bearer', 'dpop'].includes(type.toLowerCase()) && type !== 'Bearer' && type !== 'DPoP';
    });
    reportGrouped(run, 'CONTRACT', 'token_type differs from the contract\'s spelling', offenders, {
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
  mode: 'observer',
  async run(run) {
    const tokens = await observe(run, 'tokens');
    const value = (e: Exchange) => (e.response!.body as Record<string, unknown>).expires_in;
    const received = (e: Exchange) => `expires_in: ${JSON.stringify(value(e)) ?? 'absent'}`;
    reportGrouped(run, 'SHOULD', 'expires_in is absent (RECOMMENDED)', tokens.filter((e) => value(e) === undefined), { expected: 'expires_in: <seconds>', received });
    // RFC 6749 §5.1: "Numerical values are included as JSON numbers".
    reportGrouped(run, 'MUST', 'expires_in is not a JSON number', tokens.filter((e) => value(e) !== undefined && typeof value(e) !== 'number'), { expected: 'a JSON number', received });
    reportGrouped(run, 'CONTRACT', 'expires_in is not a whole number >= 0', tokens.filter((e) => typeof value(e) === 'number' && !(Number.isInteger(value(e)) && (value(e) as number) >= 0)), { expected: 'an integer >= 0 (contract schema)', received });
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
  async run(run) {
    const offenders = (await observe(run, 'tokens')).filter((e) => (e.response!.body as Record<string, unknown>).refresh_token !== undefined);
    reportGrouped(run, 'SHOULD', 'a refresh_token was issued ("SHOULD NOT be included")', offenders, { expected: 'no refresh_token', received: () => 'refresh_token present' });
  },
});

export const SUCCESS_CHECKS = [okBasic, okPost, okPkjwt, okBasicBodyId, okJsonBody, respCtype, respNoStore, respTokenType, respExpires, respScope, respNoRefresh, paramUnknown, paramEmpty];
