/**
 * Judgements: small named functions that turn one exchange into findings
 * at the right level (the OIDF suite's conditions, Schemathesis' checks).
 * The validation core does the contract's status/header/body rules; what a
 * check owns (types.ts `Ownership`) is reported by that check alone.
 *
 * A judgement sees the check through `JudgeContext`, which the check
 * context (context.ts) implements.
 */
import { BASIC_REALM_MESSAGE, basicChallengesWithoutRealm, challengeSchemes } from '../oauth/challenge';
import { USE_DPOP_NONCE } from '../oauth/dpop-nonce';
import { isPlainObject } from '../oauth/guards';
import { DPOP_HEADER } from '../oauth/protocol';
import { RULES, validateTokenEndpointResponse, type Problem } from '../validate';
import type { Exchange, WireResponse } from './exchange';
import { describeLimit, isRateLimited, RateLimited } from './rate-limit';
import type { Finding, Level } from './types';
import { statedReason } from './views';

export interface FindingDetails extends Omit<Finding, 'level' | 'message' | 'exchange'> {
  /** The exchange the finding is about; shown redacted. */
  exchangeOf?: Exchange;
}

/** What a judgement needs of the check it judges for. */
export interface JudgeContext {
  /** The check's level: the default level of its findings. */
  readonly level: Level;
  readonly checkId: string;
  finding(level: Level, message: string, details?: FindingDetails): void;
  /** A response in a few words, secrets scrubbed (views.ts `summarize`). */
  summarize(res: WireResponse): string;
  /** Whether a check owns this core problem (types.ts `Ownership`): its owner reports it for the whole run, not each check that saw it. */
  isOwned(problem: Problem): boolean;
  /** Adds to why the check passed (its report line), e.g. the reason a refusal stated. */
  note(text: string): void;
  /** `text` with every secret the run has seen replaced by its marker. */
  scrub(text: string): string;
}

/** A judgement of one exchange; true when the answer was as expected. */
export type Judgement = (ctx: JudgeContext, exchange: Exchange, what?: string) => boolean;

export interface TokenExpectation {
  /** Default: DPoP when the request carried a proof, else Bearer; `any` accepts either. */
  tokenType?: 'Bearer' | 'DPoP' | 'any';
  level?: Level;
  /** What was sent, for messages: "a proof with iat -10 s". */
  what?: string;
  /** A hint for the finding when no token came back (see Finding.hint), from the answer. */
  hintWhenRefused?: (exchange: Exchange) => string | undefined;
}

export interface RejectionExpectation {
  /** Acceptable error codes (RFC 6749 §5.2; RFC 9449 §5, §8). */
  error: string | readonly string[];
  /** Acceptable statuses; default 400. */
  status?: number | readonly number[];
  /** The status the contract requires within the acceptable ones (a CONTRACT finding otherwise). */
  contractStatus?: number;
  /** The `WWW-Authenticate` scheme a 401 must challenge with (RFC 6749 §5.2: the scheme the client used). */
  challenge?: string;
  level?: Level;
  /** What was broken, for messages: "a wrong client secret". */
  what?: string;
  /**
   * A reason the refusal may state that is not the defect sent: when the
   * `error_description` matches `pattern`, the report line says the server
   * refused for `topic`, not for `what`. A note, never a finding: a
   * description is free text. Default: the nonce, when `invalid_dpop_proof`
   * is the only acceptable code (a proof defect that is not about the
   * nonce, RFC 9449 §4.3); `null` for none.
   */
  contradicts?: ContradictingReason | null;
}

/** A stated reason that contradicts the defect sent, and how the report names it. */
export interface ContradictingReason {
  topic: string;
  pattern: RegExp;
}

/** A stated reason about the nonce (RFC 9449 §8), which a proof defect elsewhere (htu, typ, signature, ...) is not. */
export const NONCE_REASON: ContradictingReason = Object.freeze({ topic: 'the nonce', pattern: /nonce/i });

export interface IssuedToken {
  body: Record<string, unknown>;
  accessToken: string;
  tokenType: string;
}

/** The judgement "refused with one of these errors" (RFC 6749 §5.2), for a check's data form. */
export function rejects(expectation: RejectionExpectation): Judgement {
  return (ctx, exchange, what) => expectRejection(ctx, exchange, what === undefined ? expectation : { ...expectation, what });
}

/** The judgement "answered with a token" (RFC 6749 §5.1; RFC 9449 §5 for DPoP), for a check's data form. */
export function issuesToken(expectation: TokenExpectation = {}): Judgement {
  return (ctx, exchange, what) => expectToken(ctx, exchange, what === undefined ? expectation : { ...expectation, what }) !== undefined;
}

/** Expects a token response (RFC 6749 §5.1; RFC 9449 §5 for DPoP); returns the token when one was issued. */
export function expectToken(ctx: JudgeContext, exchange: Exchange, options: TokenExpectation = {}): IssuedToken | undefined {
  const level = options.level ?? ctx.level;
  const res = exchange.response;
  const dpopHeader = DPOP_HEADER.toLowerCase();
  const tokenType = options.tokenType ?? (exchange.request.headers.some(([n]) => n.toLowerCase() === dpopHeader) ? 'DPoP' : 'Bearer');
  const what = options.what ?? 'the request';
  notRateLimited(exchange);
  if (!res) {
    ctx.finding(level, `${what}: no response (${exchange.error ?? 'unknown error'})`, { expected: `200 with a ${tokenType} token`, exchangeOf: exchange });
    return undefined;
  }
  const body = isPlainObject(res.body) ? res.body : undefined;
  if (res.status !== 200 || !body || typeof body.access_token !== 'string' || body.access_token === '') {
    const received = ctx.summarize(res);
    const hint = options.hintWhenRefused?.(exchange);
    ctx.finding(level, `${what} was not answered with a token: got ${received}`, { expected: `200 with a ${tokenType} access token`, received, exchangeOf: exchange, ...(hint ? { hint } : {}) });
    return undefined;
  }
  const received = typeof body.token_type === 'string' ? body.token_type : undefined;
  // RFC 6749 §5.1: token_type is case-insensitive; the exact spelling is resp-token-type's (CONTRACT) concern.
  if (tokenType !== 'any' && (received === undefined || received.toLowerCase() !== tokenType.toLowerCase())) {
    const reference = tokenType === 'DPoP' ? 'RFC 9449 §5' : 'RFC 6749 §5.1, §7.1';
    ctx.finding(level, `${what}: token_type must be ${tokenType}`, { expected: tokenType, received: JSON.stringify(body.token_type), reference, exchangeOf: exchange });
  }
  coreFindings(ctx, exchange, 'success', level);
  return { body, accessToken: body.access_token, tokenType: received ?? '' };
}

/** Expects the request to be refused with one of the given error codes (RFC 6749 §5.2). */
export function expectRejection(ctx: JudgeContext, exchange: Exchange, expectation: RejectionExpectation): boolean {
  const level = expectation.level ?? ctx.level;
  const codes = typeof expectation.error === 'string' ? [expectation.error] : expectation.error;
  const statuses = expectation.status === undefined ? [400] : typeof expectation.status === 'number' ? [expectation.status] : expectation.status;
  const expected = `${statuses.join(' or ')} ${codes.join(' or ')}`;
  const what = expectation.what ? ` for ${expectation.what}` : '';
  const res = exchange.response;
  notRateLimited(exchange);
  if (!res) {
    ctx.finding(level, `no response${what} (${exchange.error ?? 'unknown error'})`, { expected, exchangeOf: exchange });
    return false;
  }
  if (!expectNoToken(ctx, exchange, level, expectation.what, expected)) return false;
  const body = isPlainObject(res.body) ? res.body : undefined;
  let ok = true;
  const code = body?.error;
  const codeOk = typeof code === 'string' && codes.includes(code);
  if (!statuses.includes(res.status) || !codeOk) {
    const wrong = !statuses.includes(res.status) ? (codeOk ? 'wrong status' : 'wrong status and error code') : 'wrong error code';
    const received = ctx.summarize(res);
    ctx.finding(level, `${wrong}${what}: got ${received}, expected ${expected}`, { expected, received, reference: codeOk ? undefined : 'RFC 6749 §5.2', exchangeOf: exchange });
    ok = false;
  }
  if (statuses.includes(res.status) && expectation.contractStatus !== undefined && res.status !== expectation.contractStatus) {
    ctx.finding('CONTRACT', `the contract answers${what} with ${expectation.contractStatus}`, { expected: `${expectation.contractStatus} ${codes.join(' or ')}`, received: ctx.summarize(res), exchangeOf: exchange });
    ok = false;
  }
  const basic = expectation.challenge?.toLowerCase() === 'basic';
  if (res.status === 401 && expectation.challenge !== undefined) {
    const challenge = res.headers['www-authenticate'] ?? '';
    const scheme = expectation.challenge.toLowerCase();
    const received = challenge ? `WWW-Authenticate: ${challenge}` : 'no WWW-Authenticate header';
    // RFC 6749 §5.2: "matching the authentication scheme used by the client"; schemes are case-insensitive (RFC 9110 §11.1).
    if (!challengeSchemes(challenge).some((name) => name.toLowerCase() === scheme)) {
      ctx.finding(level, `a 401 must challenge with the scheme the client used (${expectation.challenge})`, {
        expected: `WWW-Authenticate: ${expectation.challenge} …`,
        received,
        reference: 'RFC 6749 §5.2',
        exchangeOf: exchange,
      });
      ok = false;
    } else if (basic && basicChallengesWithoutRealm(challenge).length > 0) {
      ctx.finding(level, BASIC_REALM_MESSAGE, { expected: 'WWW-Authenticate: Basic realm="…"', received, reference: 'RFC 7617 §2', exchangeOf: exchange });
      ok = false;
    }
  }
  // The challenge was judged above with the expected scheme (and a Basic one for its realm); do not report it twice.
  const skipRules: string[] = expectation.challenge !== undefined ? [RULES.wwwAuthenticate] : [];
  if (basic && res.status === 401) skipRules.push(RULES.basicRealm);
  // Without an Authorization header, RFC 6749 §5.2 allows 401 for invalid_client but names no
  // challenge; RFC 9110 §15.5.2 still wants one on every 401, which OAuth servers often omit
  // (OIDF allows it), so its absence there is a SHOULD, not a MUST.
  const softRules: Record<string, Level> = expectation.challenge === undefined ? { 'header.www-authenticate': 'SHOULD' } : {};
  if (!coreFindings(ctx, exchange, 'error', level, skipRules, softRules)) ok = false;
  if (ok) noteStatedReason(ctx, exchange, codes, expectation);
  return ok;
}

/**
 * Where one error code covers many defects, the reason the server stated is
 * what tells a reader why it refused: the pass line records it, and says so
 * when that reason contradicts the defect sent.
 */
function noteStatedReason(ctx: JudgeContext, exchange: Exchange, codes: readonly string[], expectation: RejectionExpectation): void {
  const reason = statedReason(exchange, (text) => ctx.scrub(text));
  const res = exchange.response;
  if (reason === undefined || res === undefined) return;
  const code = isPlainObject(res.body) ? String(res.body.error) : '';
  const what = expectation.what ?? 'the defect sent';
  const contradicts = expectation.contradicts === undefined ? defaultContradiction(codes) : expectation.contradicts;
  // The pattern is tested on the description as sent (scrubbed), not on the cut.
  const full = isPlainObject(res.body) && typeof res.body.error_description === 'string' ? ctx.scrub(res.body.error_description) : reason;
  if (contradicts && contradicts.pattern.test(full)) {
    ctx.note(`${what}: refused with ${code}, but the stated reason is about ${contradicts.topic}, not ${what}: ${JSON.stringify(reason)}`);
  } else {
    ctx.note(`${what}: refused with ${code}: ${JSON.stringify(reason)}`);
  }
}

/** A proof defect refused with invalid_dpop_proof alone is not about the nonce (a check that accepts use_dpop_nonce may be). */
function defaultContradiction(codes: readonly string[]): ContradictingReason | undefined {
  return codes.includes('invalid_dpop_proof') && !codes.includes(USE_DPOP_NONCE) ? NONCE_REASON : undefined;
}

/** A response is a refusal when no token was issued and the status is not a success (a weaker expectation, for requests outside the OAuth envelope). */
export function expectNoToken(ctx: JudgeContext, exchange: Exchange, level: Level = ctx.level, what = 'the request', expected = 'a refusal: no 2xx status, no access_token'): boolean {
  const res = exchange.response;
  notRateLimited(exchange);
  if (!res) return true; // a closed connection issues no token
  const body = isPlainObject(res.body) ? res.body : undefined;
  const issued = body !== undefined && typeof body.access_token === 'string';
  if (!issued && (res.status < 200 || res.status >= 300)) return true;
  // The finding's words follow its level: a SHOULD finding says "should".
  const must = level === 'SHOULD' || level === 'MAY' ? 'should' : 'must';
  const message = issued ? `the server issued a token for ${what}; it ${must} refuse the request` : `the server answered ${what} with ${res.status}, a success status; it ${must} refuse the request`;
  ctx.finding(level, message, { expected, received: ctx.summarize(res), exchangeOf: exchange });
  return false;
}

/**
 * A 429 or 503 is no answer to judge (rate-limit.ts): neither the expected
 * refusal nor a wrong one. The sender resends and throws before a judgement
 * sees one; this guards a limited answer that reached a judgement another
 * way (the check is inconclusive).
 */
function notRateLimited(exchange: Exchange): void {
  if (isRateLimited(exchange)) throw new RateLimited(`rate limited: ${describeLimit(exchange)}, not judged; try a lower --concurrency, or a --rate`, exchange);
}

/** The validation core's problems for a response, before ownership filtering. */
export function coreProblems(exchange: Exchange, kind: 'success' | 'error' | 'any'): Problem[] {
  const res = exchange.response;
  if (!res) return [];
  const result = validateTokenEndpointResponse({ status: res.status, headers: res.headers, body: res.text === '' ? undefined : res.text }, { kind, strict: true });
  return [...result.problems];
}

/**
 * Every check judges the status and the error code of its own answer: the
 * core's verdict on them is never reported a second time.
 */
function judgedByTheCheck(problem: Problem): boolean {
  return problem.rule.startsWith('status.') || (problem.rule === 'body.schema' && problem.pointer === '/error');
}

/** Core problems this check does not leave to another, as findings at `level`. Returns false when there were any. */
function coreFindings(
  ctx: JudgeContext,
  exchange: Exchange,
  kind: 'success' | 'error',
  level: Level,
  skipRules: readonly string[] = [],
  softRules: Readonly<Record<string, Level>> = {},
): boolean {
  const mine = coreProblems(exchange, kind).filter((p) => !judgedByTheCheck(p) && !ctx.isOwned(p) && !skipRules.includes(p.rule));
  for (const problem of mine) {
    // Body members beyond RFC 6749's required ones are the contract's schema (CONTRACT), except JSON-ness itself (RFC 6749 §5.1, §5.2).
    const contractOnly = problem.rule === 'body.schema' && !/^\/(access_token|token_type|error)?$/.test(problem.pointer);
    const softened = softRules[problem.rule];
    const problemLevel = softened !== undefined ? lower(level, softened) : contractOnly ? lower(level, 'CONTRACT') : level;
    ctx.finding(problemLevel, problem.message, {
      expected: problem.expected === undefined ? undefined : stringify(problem.expected),
      received: stringify(problem.received),
      exchangeOf: exchange,
    });
  }
  return mine.length === 0;
}

function lower(a: Level, b: Level): Level {
  const order: Level[] = ['MUST', 'CONTRACT', 'SHOULD', 'MAY'];
  return order[Math.max(order.indexOf(a), order.indexOf(b))]!;
}

function stringify(value: unknown): string {
  if (value === undefined) return 'absent';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
