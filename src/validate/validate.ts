/**
 * validateTokenEndpointResponse: checks one token endpoint response against
 * the contract (shared/contract.md) and the caller's expectation, and
 * returns every problem found.
 */
import { DPOP_NONCE_HEADER, JSON_MEDIA_TYPE, USE_DPOP_NONCE, isRfcTokenErrorCode, RFC_TOKEN_ERROR_CODES } from '../oauth/protocol';
import { isErrorDescription, isErrorUri } from '../oauth/grammar';
// The modules, not the ../openapi barrel: it would load the document builder and yaml too.
import { DOCUMENTED_STATUSES, TOKEN_ERROR_CODES } from '../openapi/schemas';
import { tokenErrorProblems, tokenResponseProblems, isObject, safeValue } from './body';
import { DIRECTIVE_WITH_ARGUMENT, contractHeaders, findDirective, hasNoCache, hasNoStore, headerValue, isDpopNonce, isJsonMediaType } from './headers';
import { fromFetch, isFetchResponse, readResponse, UnsupportedResponseError, type ResponseView } from './normalize';
import { CONTRACT_SOURCE, InvalidExpectationError, PROFILES, RULES, resultOf, type Problem, type ProblemDraft, type ValidationProfile, type ValidationResult } from './problem';
import type { DpopKeyInput } from './thumbprint';
import type { CertificateInput } from './certificate';
import { redactText } from '../oauth/redact';

export interface TokenEndpointExpectation {
  /** The status (or statuses) expected; by default any documented status allowed by `kind`. */
  status?: number | readonly number[];
  /** `success` (200), `error` (400/401) or `any` documented outcome (default). */
  kind?: 'success' | 'error' | 'any';
  /** Expected `token_type` of a success, compared exactly (the contract's enum). */
  tokenType?: 'Bearer' | 'DPoP';
  /** Expected granted scope: the same set of space-delimited values, in any order (RFC 6749 §3.3). */
  scope?: string;
  /**
   * `true`: the success must issue a `refresh_token` (an authorization_code or
   * refresh_token grant of a server that issues them, RFC 6749 §5.1, §6);
   * `false`: it must not (RFC 6749 §4.4.3: SHOULD NOT for client_credentials).
   * Absent: either. Issued or not, a refresh token is a string of 1*VSCHAR.
   */
  refreshToken?: boolean;
  /** Expected error code of an error response. */
  error?: string;
  /** Expected `error_description`: the exact text, or a pattern it must match. */
  errorDescription?: string | RegExp;
  /**
   * The DPoP key the token must be bound to: `cnf.jkt` must equal its RFC 7638
   * thumbprint, and `token_type` must be DPoP. With it, validateTokenEndpointResponse
   * returns a Promise (jose computes thumbprints asynchronously).
   */
  dpopKey?: DpopKeyInput;
  /**
   * The client certificate the token must be bound to (mutual TLS): the JWT
   * access token's `cnf["x5t#S256"]` must be its SHA-256 thumbprint (RFC 8705
   * §3.1); an opaque token cannot show it and is a problem. With it,
   * validateTokenEndpointResponse returns a Promise (the token is decoded with jose).
   */
  certificate?: CertificateInput;
  /**
   * Default true: `Cache-Control: no-store` and `Pragma: no-cache` on errors too. RFC 6749 §5.1
   * requires them on token responses; on errors they are the attesto contract's rule (defence in
   * depth), which `strict: false` turns off.
   */
  strict?: boolean;
  /**
   * Which rules fail (default `attesto`, the contract). `rfc`: only what the RFCs require fails
   * (MUST); the contract's own rules (CONTRACT) and SHOULDs are returned as `warnings`, and the
   * RFC's readings apply: `token_type` case-insensitive (RFC 6749 §5.1), a DPoP body without
   * `cnf` (a given `dpopKey` is then checked against the JWT access token's `cnf.jkt`), and every
   * error code registered for the token endpoint (src/oauth/protocol.ts RFC_TOKEN_ERROR_CODES).
   */
  profile?: ValidationProfile;
  /** Error codes of the caller's own (an extension, RFC 6749 §8.5) accepted besides the registered ones: outside the contract's enum they break only the contract. */
  errorCodes?: readonly string[];
}

/** RFC 6749 Appendix A.17: refresh-token = 1*VSCHAR, VSCHAR = %x20-7E. */
const VSCHARS = /^[\x20-\x7e]+$/;

type SyncExpectation = TokenEndpointExpectation & { dpopKey?: undefined; certificate?: undefined };

/**
 * Checks one token endpoint response against the contract and `expectation`,
 * and returns every problem found (`{ ok, problems }`).
 *
 * Synchronous, except in one case: when the expectation has a `dpopKey`, it
 * returns a Promise, because the key's RFC 7638 thumbprint is computed with
 * jose, which is asynchronous. When in doubt, or for a fetch `Response`, use
 * `validateTokenEndpointResponseAsync`, which always returns a Promise.
 *
 * Reads supertest, axios and plain `{ status, headers, body }` responses. A
 * fetch `Response` can only be read asynchronously: given here without a
 * `dpopKey`, it is reported as a problem, not read.
 *
 * A bad response is never thrown: it is a problem in the result. Only a
 * malformed expectation throws InvalidExpectationError (synchronously; a
 * malformed `dpopKey` rejects the Promise).
 */
export function validateTokenEndpointResponse(response: unknown, expectation: TokenEndpointExpectation & ({ dpopKey: DpopKeyInput } | { certificate: CertificateInput })): Promise<ValidationResult>;
/** Without a `dpopKey`: synchronous, the result itself (see the first signature; validateTokenEndpointResponseAsync always returns a Promise). */
export function validateTokenEndpointResponse(response: unknown, expectation?: SyncExpectation): ValidationResult;
/** An expectation whose `dpopKey` is not known statically: a Promise exactly when `dpopKey` is set. */
export function validateTokenEndpointResponse(response: unknown, expectation?: TokenEndpointExpectation): ValidationResult | Promise<ValidationResult>;
export function validateTokenEndpointResponse(
  response: unknown,
  expectation: TokenEndpointExpectation = {},
): ValidationResult | Promise<ValidationResult> {
  checkExpectation(expectation);
  if (expectation.dpopKey === undefined && expectation.certificate === undefined) return validateWithCheckedExpectation(response, expectation as SyncExpectation);
  return validateAsync(response, expectation);
}

/**
 * validateTokenEndpointResponse without checking the expectation, for one
 * checked once already (a matcher's frozen defaults, src/matchers/run.ts):
 * the matchers' pass path. Internal: not exported by the package.
 */
export function validateWithCheckedExpectation(response: unknown, expectation: SyncExpectation): ValidationResult {
  return resultOf(problemsOf(readResponse(response), expectation, undefined), expectation.profile);
}

/**
 * The same checks as validateTokenEndpointResponse, always returning a
 * Promise: with or without a `dpopKey`, for every kind of response,
 * fetch `Response`s included (read from a clone, so the caller can still
 * read the body). A malformed expectation rejects with InvalidExpectationError.
 */
export async function validateTokenEndpointResponseAsync(
  response: unknown,
  expectation: TokenEndpointExpectation = {},
): Promise<ValidationResult> {
  checkExpectation(expectation);
  return validateAsync(response, expectation);
}

/**
 * What a DPoP key binds: its thumbprint, and the reader of a JWT access
 * token's `cnf.jkt` (jose's decoder, loaded here on first use: the
 * synchronous path, which every assertion without a key takes, never needs it).
 */
interface KeyBinding {
  /** Absent when only a certificate is given. */
  jkt?: string;
  tokenJkt(accessToken: string): string | undefined;
  /** The certificate's RFC 8705 §3.1 thumbprint, when one is given. */
  x5t?: string;
  tokenX5t(accessToken: string): string | undefined | 'opaque';
}

async function keyBinding(key: DpopKeyInput | undefined, certificate: CertificateInput | undefined): Promise<KeyBinding> {
  const [{ dpopKeyThumbprint }, { accessTokenJkt, accessTokenX5t }, { certificateInputThumbprint }] = await Promise.all([import('./thumbprint'), import('../oauth/access-token'), import('./certificate')]);
  return {
    ...(key !== undefined ? { jkt: await dpopKeyThumbprint(key) } : {}),
    tokenJkt: accessTokenJkt,
    ...(certificate !== undefined ? { x5t: certificateInputThumbprint(certificate) } : {}),
    tokenX5t: accessTokenX5t,
  };
}

async function validateAsync(response: unknown, expectation: TokenEndpointExpectation): Promise<ValidationResult> {
  const binding = expectation.dpopKey === undefined && expectation.certificate === undefined ? undefined : await keyBinding(expectation.dpopKey, expectation.certificate);
  let view: ResponseView | Problem;
  if (isFetchResponse(response)) {
    try {
      view = await fromFetch(response);
    } catch (error) {
      if (error instanceof UnsupportedResponseError) return resultOf([error.problem], expectation.profile);
      throw error;
    }
  } else {
    view = readResponse(response);
  }
  return resultOf(problemsOf(view, expectation, binding), expectation.profile);
}

type ChallengeModule = typeof import('../oauth/challenge');
let challengeModule: ChallengeModule | undefined;

/** The WWW-Authenticate parser (RFC 9110 §11.6.1), loaded with the first challenge to judge: most assertions have none. */
function challengeParser(): ChallengeModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (challengeModule ??= require('../oauth/challenge') as ChallengeModule);
}

/** Whether the status is one the contract documents (200, 400, 401). */
export function isDocumentedStatus(status: number): boolean {
  return status === 200 || status === 400 || status === 401;
}

function problemsOf(view: ResponseView | Problem, expectation: TokenEndpointExpectation, binding: KeyBinding | undefined): ProblemDraft[] {
  if (!('bodyKind' in view)) return [view];
  let problems: ProblemDraft[];
  try {
    problems = collectProblems(view, expectation, binding);
  } catch (error) {
    // The received value's headers or body threw while read (a throwing getter, a Proxy): an assertion failure
    // that says so, never the user's error escaping raw from inside a matcher. Only its name: its message may quote anything.
    const name = error instanceof Error && /^\w{1,60}$/.test(error.name) ? error.name : 'an exception';
    return [{ where: 'response', pointer: '', rule: RULES.responseShape, message: `reading the received response's headers or body threw ${name}: it is not an HTTP response this validator can read`, received: 'a response whose members throw when read' }];
  }
  // What the server sent is free text (a header, a scope, an error_description) that may quote a
  // secret pair or a JWT: problems reach reports and logs, so they carry it redacted.
  for (const problem of problems) {
    if (typeof problem.received === 'string') problem.received = redactText(problem.received);
  }
  return problems;
}

function collectProblems(view: ResponseView, expectation: TokenEndpointExpectation, binding: KeyBinding | undefined): ProblemDraft[] {
  const problems: ProblemDraft[] = [];
  const { status } = view;
  const documented = isDocumentedStatus(status);
  const success = status === 200;

  // Status.
  const expectedStatuses = expectedStatusList(expectation);
  if (!documented) {
    // One problem, naming what this assertion wanted when it wanted less than every documented status.
    const wanted = expectedStatuses?.filter(isDocumentedStatus);
    const narrowed = wanted !== undefined && wanted.length > 0 && wanted.length < DOCUMENTED_STATUSES.length;
    const expected = narrowed ? wanted : DOCUMENTED_STATUSES;
    problems.push({ where: 'status', pointer: '', rule: RULES.statusDocumented, message: `a status the contract does not document for the token endpoint; expected ${describeStatuses(expected)}`, expected, received: status });
  }
  if (expectedStatuses !== undefined && !expectedStatuses.includes(status) && documented) {
    problems.push({ where: 'status', pointer: '', rule: RULES.statusExpected, message: `expected ${describeStatuses(expectedStatuses)}`, expected: expectedStatuses, received: status });
  }

  // Headers (RFC 6749 §5.1, §5.2).
  const headers = contractHeaders(view.headers);
  const contentType = headers.contentType;
  if (!isJsonMediaType(contentType)) {
    problems.push({ where: 'header', pointer: '/content-type', rule: RULES.contentType, message: `Content-Type must be application/json (parameters such as charset allowed; RFC 6749 §5.1, §5.2)${jsonLookalikeHint(contentType)}`, expected: JSON_MEDIA_TYPE, received: contentType });
  }
  if (success || expectation.strict !== false) {
    const { cacheControl, pragma } = headers;
    if (!hasNoStore(cacheControl)) {
      const { where, source, reading } = cacheRuleReading(status);
      problems.push({ where: 'header', pointer: '/cache-control', rule: RULES.cacheControlNoStore, message: `Cache-Control must contain the directive no-store on ${where} (${source})${argumentHint(cacheControl, 'no-store', 'RFC 9111 §5.2.2.5')}`, expected: 'no-store', received: cacheControl, ...reading });
    }
    if (!hasNoCache(pragma)) {
      const { where, source, reading } = cacheRuleReading(status);
      problems.push({ where: 'header', pointer: '/pragma', rule: RULES.pragmaNoCache, message: `Pragma must be no-cache on ${where} (${source})${argumentHint(pragma, 'no-cache', 'RFC 9111 §5.4')}`, expected: 'no-cache', received: pragma, ...reading });
    }
  }
  const challenge = headers.wwwAuthenticate;
  if (status === 401 && (challenge === undefined || challenge.trim() === '')) {
    problems.push({ where: 'header', pointer: '/www-authenticate', rule: RULES.wwwAuthenticate, message: 'a 401 must carry a WWW-Authenticate challenge (RFC 6749 §5.2, RFC 9110 §15.5.2)', expected: 'a challenge, e.g. Basic realm="OAuth"', received: challenge });
  }
  // On any status: a Basic challenge is only well formed with its realm.
  if (challenge !== undefined && challengeParser().basicChallengesWithoutRealm(challenge).length > 0) {
    problems.push({ where: 'header', pointer: '/www-authenticate', rule: RULES.basicRealm, message: challengeParser().BASIC_REALM_MESSAGE, expected: 'Basic realm="…"', received: challenge });
  }

  // RFC 9449 §8.1, §8.2: a DPoP-Nonce, on whatever response it comes, is 1*NQCHAR (use_dpop_nonce also needs one: below).
  const nonce = headers.dpopNonce;
  if (nonce !== undefined && !isDpopNonce(nonce) && !judgedAsUseDpopNonce(view, documented && !success)) {
    problems.push({ where: 'header', pointer: '/dpop-nonce', rule: RULES.dpopNonce, message: 'a DPoP-Nonce header must be a nonce of NQCHARs (RFC 9449 §8.1: nonce = 1*NQCHAR)', expected: '1*NQCHAR', received: nonce });
  }

  // Body.
  if (!documented) return problems;
  if (view.bodyKind === 'empty') {
    // The message says what was received; no `received` to repeat it.
    problems.push({ where: 'body', pointer: '', rule: RULES.bodyEmpty, message: `the body is empty; expected a JSON ${success ? 'token response' : 'error'} object (RFC 6749 ${success ? '§5.1' : '§5.2'})`, expected: 'a JSON object' });
    return problems;
  }
  if (view.bodyKind === 'text') {
    const raw = view.rawBody ?? (typeof view.body === 'string' ? view.body : '');
    const section = success ? '§5.1' : '§5.2';
    // RFC 8259 §8.1: a networked JSON text MUST NOT begin with a byte order mark.
    const problem: ProblemDraft = raw.charCodeAt(0) === 0xfeff
      ? { where: 'body', pointer: '', rule: RULES.bodyJson, message: `the body must be a JSON object (RFC 6749 ${section}), and JSON text must not start with a byte order mark (RFC 8259 §8.1)`, expected: 'a JSON object', received: `${raw.length} chars starting with a byte order mark (U+FEFF)` }
      : { where: 'body', pointer: '', rule: RULES.bodyJson, message: `the body must be a JSON object (RFC 6749 ${section})`, expected: 'a JSON object', received: `${raw.length} chars of non-JSON text` };
    problems.push(problem);
    return problems;
  }
  const body = view.body;
  if (success) {
    tokenResponseProblems(body, problems);
    if (isObject(body)) successExpectationProblems(body, expectation, binding, problems);
  } else {
    tokenErrorProblems(body, problems, expectation.errorCodes);
    if (isObject(body)) errorExpectationProblems(body, view, expectation, problems);
  }
  return problems;
}

function successExpectationProblems(body: Record<string, unknown>, expectation: TokenEndpointExpectation, binding: KeyBinding | undefined, problems: ProblemDraft[]): void {
  const jkt = binding?.jkt;
  const rfc = expectation.profile === 'rfc';
  // RFC 6749 §5.1: token_type is case-insensitive; the contract's enum is exact.
  const tokenType = rfc ? canonicalTokenType(body.token_type) : body.token_type;
  const expectedType = expectation.tokenType ?? (jkt !== undefined ? 'DPoP' : undefined);
  if (expectedType !== undefined && (tokenType === 'Bearer' || tokenType === 'DPoP') && tokenType !== expectedType) {
    const why = expectation.tokenType === undefined ? ' (a DPoP key was given, so the token must be DPoP-bound; RFC 9449 §5)' : '';
    problems.push({ where: 'body', pointer: '/token_type', rule: RULES.tokenType, message: `expected token_type "${expectedType}"${why}`, expected: expectedType, received: tokenType });
  }
  if (expectation.scope !== undefined) {
    const scope = body.scope;
    if (scope === undefined) {
      problems.push({ where: 'body', pointer: '/scope', rule: RULES.scope, message: `expected the granted scope "${expectation.scope}" (RFC 6749 §5.1 lets a server omit scope only when it equals the requested scope; this assertion needs it stated)`, expected: expectation.scope, received: undefined });
    } else if (typeof scope === 'string' && !sameScope(scope, expectation.scope)) {
      problems.push({ where: 'body', pointer: '/scope', rule: RULES.scope, message: `expected the same set of scope values as "${expectation.scope}" (order-free, RFC 6749 §3.3)`, expected: expectation.scope, received: scope });
    }
  }
  const refresh = body.refresh_token;
  if (refresh !== undefined && !(typeof refresh === 'string' && VSCHARS.test(refresh))) {
    // Never the value: a refresh token is a credential. Its type and length say enough.
    problems.push({ where: 'body', pointer: '/refresh_token', rule: RULES.refreshTokenSyntax, message: 'refresh_token must be a string of one or more printable ASCII characters (1*VSCHAR, %x20-7E)', expected: '1*VSCHAR', received: typeof refresh === 'string' ? `a string of ${refresh.length} characters, not all VSCHAR` : `a JSON ${refresh === null ? 'null' : typeof refresh}` });
  }
  if (expectation.refreshToken === true && refresh === undefined) {
    problems.push({ where: 'body', pointer: '/refresh_token', rule: RULES.refreshToken, message: 'expected a refresh_token in the token response', expected: 'a refresh_token', received: undefined });
  } else if (expectation.refreshToken === false && refresh !== undefined) {
    problems.push({ where: 'body', pointer: '/refresh_token', rule: RULES.refreshToken, message: 'expected no refresh_token in the token response', expected: 'no refresh_token', received: 'a refresh_token' });
  }
  if (jkt !== undefined && tokenType === 'DPoP' && isObject(body.cnf) && typeof body.cnf.jkt === 'string' && body.cnf.jkt !== jkt) {
    problems.push({ where: 'body', pointer: '/cnf/jkt', rule: RULES.cnfJkt, message: `expected cnf.jkt "${jkt}", the RFC 7638 SHA-256 thumbprint of the DPoP key (RFC 9449 §6.1)`, expected: jkt, received: body.cnf.jkt });
  }
  // RFC 8705 §3.1: a certificate-bound token says so in the JWT access token (the response body has no cnf for it).
  if (binding?.x5t !== undefined && typeof body.access_token === 'string') {
    const claimed = binding.tokenX5t(body.access_token);
    if (claimed !== binding.x5t) {
      const why = claimed === 'opaque' ? 'the access token is opaque (not a JWT): its certificate binding cannot be read here' : claimed === undefined ? 'the access token has no cnf["x5t#S256"] claim' : 'the access token\'s cnf["x5t#S256"] is another certificate\'s thumbprint';
      problems.push({ where: 'body', pointer: '/access_token', rule: RULES.cnfX5t, message: `${why}; expected "${binding.x5t}", the SHA-256 thumbprint of the client certificate (RFC 8705 §3.1)`, expected: binding.x5t, received: claimed === 'opaque' ? 'an opaque token' : claimed });
    }
  }
  // rfc: without a body cnf, the binding is read from a JWT access token's cnf.jkt (RFC 9449 §6.1; opaque tokens cannot be read).
  if (rfc && jkt !== undefined && binding !== undefined && tokenType === 'DPoP' && body.cnf === undefined && typeof body.access_token === 'string') {
    const claimed = binding.tokenJkt(body.access_token);
    if (claimed !== undefined && claimed !== jkt) {
      problems.push({ where: 'body', pointer: '/access_token', rule: RULES.cnfJkt, message: `expected the access token's cnf.jkt claim to be "${jkt}", the RFC 7638 SHA-256 thumbprint of the DPoP key (RFC 9449 §6.1)`, expected: jkt, received: claimed });
    }
  }
}

/** A use_dpop_nonce error body: its DPoP-Nonce is judged with the error (errorExpectationProblems). */
function judgedAsUseDpopNonce(view: ResponseView, documentedError: boolean): boolean {
  return documentedError && view.bodyKind === 'json' && isObject(view.body) && view.body.error === USE_DPOP_NONCE;
}

const DPOP_NONCE_HEADER_NAME = DPOP_NONCE_HEADER.toLowerCase();

function canonicalTokenType(value: unknown): unknown {
  if (typeof value !== 'string' || (value.length !== 6 && value.length !== 4)) return value;
  const lower = value.toLowerCase();
  return lower === 'bearer' ? 'Bearer' : lower === 'dpop' ? 'DPoP' : value;
}

function errorExpectationProblems(body: Record<string, unknown>, view: ResponseView, expectation: TokenEndpointExpectation, problems: ProblemDraft[]): void {
  const code = body.error;
  if (expectation.error !== undefined && code !== expectation.error && typeof code === 'string') {
    problems.push({ where: 'body', pointer: '/error', rule: RULES.errorCode, message: `expected error "${expectation.error}"`, expected: expectation.error, received: code });
  }
  const description = body.error_description;
  const wanted = expectation.errorDescription;
  if (wanted !== undefined) {
    const matches = typeof description === 'string' && (typeof wanted === 'string' ? description === wanted : matchesPattern(wanted, description));
    if (!matches) {
      problems.push({ where: 'body', pointer: '/error_description', rule: RULES.errorDescription, message: `expected error_description ${typeof wanted === 'string' ? JSON.stringify(wanted) : `matching ${String(wanted)}`}`, expected: typeof wanted === 'string' ? wanted : String(wanted), received: safeValue('/error_description', description) });
    }
  }
  // RFC 6749 §5.2 (Appendix A.7, A.8): the character sets of error_description and error_uri.
  if (typeof description === 'string' && !isErrorDescription(description)) {
    problems.push({ where: 'body', pointer: '/error_description', rule: RULES.errorDescriptionCharset, message: 'error_description must be one or more characters of %x20-21 / %x23-5B / %x5D-7E: printable ASCII without " and \\ (RFC 6749 §5.2)', expected: '1*( %x20-21 / %x23-5B / %x5D-7E )', received: safeValue('/error_description', description) });
  }
  const uri = body.error_uri;
  if (uri !== undefined && (typeof uri !== 'string' || !isErrorUri(uri))) {
    problems.push({ where: 'body', pointer: '/error_uri', rule: RULES.errorUriCharset, message: 'error_uri must be a URI reference of %x21 / %x23-5B / %x5D-7E characters (RFC 6749 §5.2)', expected: '1*( %x21 / %x23-5B / %x5D-7E )', received: safeValue('/error_uri', uri) });
  }
  if (code === USE_DPOP_NONCE) {
    if (view.status !== 400) {
      problems.push({ where: 'status', pointer: '', rule: RULES.useDpopNonceStatus, message: 'use_dpop_nonce at the token endpoint must be a 400, not a 401 (RFC 9449 §8; a 401 with use_dpop_nonce is the resource server\'s answer, §9)', expected: 400, received: view.status });
    }
    const nonce = headerValue(view.headers, DPOP_NONCE_HEADER_NAME);
    if (!isDpopNonce(nonce)) {
      problems.push({ where: 'header', pointer: '/dpop-nonce', rule: RULES.dpopNonce, message: 'use_dpop_nonce must carry a fresh DPoP-Nonce header of NQCHARs (RFC 9449 §8, §8.1)', expected: '1*NQCHAR', received: nonce });
    }
  }
}

/**
 * How a missing no-store/no-cache is described, and whose rule it is: RFC 6749 §5.1 asks it of
 * responses carrying tokens (the rule's own source, RULE_SOURCES); on every other response it is
 * the contract's own rule. Built only for a problem: the pass path allocates nothing for it.
 */
function cacheRuleReading(status: number): { where: string; source: string; reading: typeof CONTRACT_SOURCE | undefined } {
  if (status === 200) return { where: 'a token response', source: 'RFC 6749 §5.1', reading: undefined };
  return { where: status >= 400 ? 'an error response in strict mode' : 'any token endpoint response in strict mode', source: CONTRACT_CACHE_RULE, reading: CONTRACT_SOURCE };
}

/**
 * Where no-store/no-cache on a non-token response comes from: the attesto
 * contract ("Behaviour": every response, errors too, as defence in depth).
 * RFC 6749 §5.1 requires them only where tokens or credentials are returned.
 */
const CONTRACT_CACHE_RULE = 'the attesto contract, as defence in depth; RFC 6749 §5.1 requires it only where tokens or credentials are returned';

/** Names the usual near miss: a JSON-based media type that is not application/json itself. */
function jsonLookalikeHint(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  if (/^[ \t]*[\w.!#$&^-]+\/[\w.!#$&^-]+\+json[ \t]*(?:;|$)/i.test(contentType)) return '; a +json type (RFC 6839) is JSON-based, but a media type of its own';
  return '';
}

/** Says why a directive that is written there does not count (computed on failure only). */
function argumentHint(list: string | undefined, name: string, section: string): string {
  if (list === undefined) return '';
  if (findDirective(list, name) === DIRECTIVE_WITH_ARGUMENT) return `; the directive takes no argument (${section})`;
  if (list.toLowerCase().includes(name)) return `; here it appears only inside another directive (its name or a quoted value), which does not count (${section})`;
  return '';
}

function matchesPattern(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0; // a /g or /y pattern keeps state between calls
  return pattern.test(text);
}

function sameScope(received: string, expected: string): boolean {
  const a = new Set(received.split(' ').filter(Boolean));
  const b = new Set(expected.split(' ').filter(Boolean));
  return a.size === b.size && [...a].every((value) => b.has(value));
}

function expectedStatusList(expectation: TokenEndpointExpectation): readonly number[] | undefined {
  if (expectation.status !== undefined) return typeof expectation.status === 'number' ? [expectation.status] : expectation.status;
  if (expectation.kind === 'success') return SUCCESS_STATUSES;
  if (expectation.kind === 'error' || expectation.error !== undefined) return ERROR_STATUSES;
  return undefined;
}

const SUCCESS_STATUSES: readonly number[] = Object.freeze([200]);
const ERROR_STATUSES: readonly number[] = Object.freeze([400, 401]);

function describeStatuses(statuses: readonly number[]): string {
  return statuses.length === 1 ? `status ${statuses[0]}` : `status ${statuses.slice(0, -1).join(', ')} or ${statuses[statuses.length - 1]}`;
}

const KINDS = ['success', 'error', 'any'];

function acceptedErrorCode(code: unknown, rfc: boolean, extra: readonly string[] | undefined): boolean {
  if ((TOKEN_ERROR_CODES as readonly unknown[]).includes(code)) return true;
  if (rfc && isRfcTokenErrorCode(code)) return true;
  return typeof code === 'string' && extra !== undefined && extra.includes(code);
}

/** Throws InvalidExpectationError naming the first malformed member. */
export function checkExpectation(expectation: unknown): asserts expectation is TokenEndpointExpectation {
  if (expectation === null || typeof expectation !== 'object' || Array.isArray(expectation)) {
    throw new InvalidExpectationError(`the expectation must be an object, received ${expectation === null ? 'null' : Array.isArray(expectation) ? 'an array' : typeof expectation}`);
  }
  const e = expectation as Record<string, unknown>;
  const statuses = typeof e.status === 'number' ? [e.status] : e.status;
  if (statuses !== undefined && (!Array.isArray(statuses) || statuses.length === 0 || !statuses.every((s) => Number.isInteger(s) && s >= 100 && s <= 999))) {
    throw new InvalidExpectationError('"status" must be an HTTP status code or a non-empty array of them');
  }
  if (e.kind !== undefined && !KINDS.includes(e.kind as string)) throw new InvalidExpectationError(`"kind" must be one of ${KINDS.join(', ')}`);
  if (e.tokenType !== undefined && e.tokenType !== 'Bearer' && e.tokenType !== 'DPoP') {
    throw new InvalidExpectationError('"tokenType" must be exactly "Bearer" or "DPoP" (the contract\'s enum)');
  }
  if (e.scope !== undefined && typeof e.scope !== 'string') throw new InvalidExpectationError('"scope" must be a space-delimited string');
  if (e.refreshToken !== undefined && typeof e.refreshToken !== 'boolean') throw new InvalidExpectationError('"refreshToken" must be true (one must be issued) or false (none may be)');
  if (e.profile !== undefined && !(PROFILES as readonly unknown[]).includes(e.profile)) throw new InvalidExpectationError(`"profile" must be one of ${PROFILES.join(', ')}`);
  if (e.errorCodes !== undefined && (!Array.isArray(e.errorCodes) || !e.errorCodes.every((code) => typeof code === 'string' && code !== ''))) {
    throw new InvalidExpectationError('"errorCodes" must be an array of error code strings');
  }
  if (e.error !== undefined && !acceptedErrorCode(e.error, e.profile === 'rfc', e.errorCodes as readonly string[] | undefined)) {
    const codes = e.profile === 'rfc' ? `the contract's or a registered token endpoint error code (${[...new Set([...TOKEN_ERROR_CODES, ...Object.keys(RFC_TOKEN_ERROR_CODES)])].join(', ')}), or one of "errorCodes"` : `one of the contract's error codes (${TOKEN_ERROR_CODES.join(', ')}) or of "errorCodes"`;
    throw new InvalidExpectationError(`"error" must be ${codes}, received ${typeof e.error === 'string' ? JSON.stringify(e.error.slice(0, 40)) : typeof e.error}`);
  }
  if (e.errorDescription !== undefined && typeof e.errorDescription !== 'string' && !(e.errorDescription instanceof RegExp)) {
    throw new InvalidExpectationError('"errorDescription" must be a string or a RegExp');
  }
  if (e.strict !== undefined && typeof e.strict !== 'boolean') throw new InvalidExpectationError('"strict" must be a boolean');
  if (e.kind === 'success' && e.error !== undefined) throw new InvalidExpectationError('"error" cannot be expected of a success');
}
