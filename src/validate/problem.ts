/**
 * What a validation reports: one `Problem` per broken rule, each with a
 * stable rule id so tests, reports and the conformance suite can name it.
 */

/** Stable rule ids. Their meaning never changes; new rules get new ids. */
export const RULES = {
  /** The value is not a response at all (undefined, a number, a pending request, ...). */
  responseShape: 'response.shape',
  /** Status is one the contract documents: 200, 400 or 401. */
  statusDocumented: 'status.documented',
  /** Status is the one the caller expected (a success, an error, a given code). */
  statusExpected: 'status.expected',
  /** `Content-Type` is `application/json` (RFC 6749 §5.1, §5.2). */
  contentType: 'header.content-type.json',
  /**
   * `Cache-Control` carries `no-store` (RFC 9111 §5.2.2.5): RFC 6749 §5.1 on token responses; the
   * attesto contract on every other response in strict mode (defence in depth).
   */
  cacheControlNoStore: 'header.cache-control.no-store',
  /** `Pragma: no-cache` (RFC 9111 §5.4): RFC 6749 §5.1 on token responses; the attesto contract on every other response in strict mode. */
  pragmaNoCache: 'header.pragma.no-cache',
  /** A 401 carries a `WWW-Authenticate` challenge (RFC 6749 §5.2; RFC 9110 §15.5.2). */
  wwwAuthenticate: 'header.www-authenticate',
  /** Every `Basic` challenge in `WWW-Authenticate` carries a `realm` parameter (RFC 7617 §2: "The authentication parameter 'realm' is REQUIRED"). */
  basicRealm: 'header.www-authenticate.basic-realm',
  /** `use_dpop_nonce` carries a `DPoP-Nonce` header of NQCHARs (RFC 9449 §8, §8.1). */
  dpopNonce: 'header.dpop-nonce',
  /** The body is not empty. */
  bodyEmpty: 'body.empty',
  /** The body is JSON (RFC 6749 §5.1, §5.2: "application/json media type"). */
  bodyJson: 'body.json',
  /** The body is valid against the contract's schema for its status. */
  bodySchema: 'body.schema',
  /** `token_type` is the one the caller expected (Bearer or DPoP). */
  tokenType: 'body.token_type.expected',
  /** The granted `scope` is the one the caller expected (RFC 6749 §3.3: a set, order-free). */
  scope: 'body.scope.expected',
  /** A `refresh_token` is issued, or not, as the caller expected (`refreshToken: true | false`). */
  refreshToken: 'body.refresh_token.expected',
  /** A `refresh_token`, when issued, is a string of 1*VSCHAR (RFC 6749 §5.1, Appendix A.17). */
  refreshTokenSyntax: 'body.refresh_token.syntax',
  /** `error` is the code the caller expected. */
  errorCode: 'body.error.expected',
  /** `error_description` is the one the caller expected. */
  errorDescription: 'body.error_description.expected',
  /** `cnf.jkt` is the RFC 7638 thumbprint of the caller's DPoP key (RFC 9449 §6.1). */
  cnfJkt: 'body.cnf.jkt',
  /** The JWT access token's `cnf["x5t#S256"]` is the SHA-256 thumbprint of the caller's client certificate (RFC 8705 §3.1). */
  cnfX5t: 'body.access_token.cnf.x5t#S256',
  /** `error_description` stays within %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §5.2: "MUST NOT include characters outside the set"). */
  errorDescriptionCharset: 'body.error_description.charset',
  /** `error_uri` stays within %x21 / %x23-5B / %x5D-7E (RFC 6749 §5.2). */
  errorUriCharset: 'body.error_uri.charset',
  /** `use_dpop_nonce` at the token endpoint is a 400, never a 401 (RFC 9449 §8; RFC 6749 §5.2: 401 is for client authentication). */
  useDpopNonceStatus: 'status.use_dpop_nonce',
} as const;

export type RuleId = (typeof RULES)[keyof typeof RULES];

/**
 * How binding a problem is, in the suite's vocabulary (src/conformance/types.ts LEVELS, without
 * MAY: a MAY is never a problem). MUST: the RFC requires it. CONTRACT: the attesto contract's own
 * rule, stricter than the RFC. SHOULD: the RFC recommends it.
 */
export const LEVELS = ['MUST', 'CONTRACT', 'SHOULD'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * `attesto` (default): MUST and CONTRACT problems fail. `rfc`: only MUST problems fail, and the
 * contract's stricter readings give way to the RFC's (token_type case-insensitive, no body `cnf`
 * needed, every registered error code): CONTRACT and SHOULD problems are warnings.
 */
export const PROFILES = ['attesto', 'rfc'] as const;
export type ValidationProfile = (typeof PROFILES)[number];

/** The reference of a contract-only rule. */
export const CONTRACT_REFERENCE = 'attesto contract';

export interface RuleSource {
  level: Level;
  reference: string;
}

/** A contract-only reading of a rule (e.g. no-store on an error, cnf in a DPoP body). */
export const CONTRACT_SOURCE: RuleSource = Object.freeze({ level: 'CONTRACT', reference: CONTRACT_REFERENCE });

/**
 * Each rule's level and reference, written once. Rules stating what the caller expected (status,
 * token_type, scope, error, error_description, cnf.jkt) are MUST: a broken expectation always
 * fails the assertion; the reference names where the expected member is defined. Two rules have a
 * contract-only reading where the problem says so (CONTRACT_SOURCE): no-store/no-cache on a
 * response that carries no token, and the schema's stricter members (see body.ts).
 */
export const RULE_SOURCES: Readonly<Record<RuleId, RuleSource>> = Object.freeze({
  [RULES.responseShape]: { level: 'MUST', reference: 'RFC 6749 §5.1, §5.2' },
  [RULES.statusDocumented]: { level: 'MUST', reference: 'RFC 6749 §5.1, §5.2' },
  [RULES.statusExpected]: { level: 'MUST', reference: 'RFC 6749 §5.1, §5.2' },
  [RULES.contentType]: { level: 'MUST', reference: 'RFC 6749 §5.1, §5.2' },
  [RULES.cacheControlNoStore]: { level: 'MUST', reference: 'RFC 6749 §5.1' },
  [RULES.pragmaNoCache]: { level: 'MUST', reference: 'RFC 6749 §5.1' },
  [RULES.wwwAuthenticate]: { level: 'MUST', reference: 'RFC 6749 §5.2' },
  [RULES.basicRealm]: { level: 'MUST', reference: 'RFC 7617 §2' },
  [RULES.dpopNonce]: { level: 'MUST', reference: 'RFC 9449 §8.1' },
  [RULES.bodyEmpty]: { level: 'MUST', reference: 'RFC 6749 §5.1, §5.2' },
  [RULES.bodyJson]: { level: 'MUST', reference: 'RFC 6749 §5.1, §5.2' },
  [RULES.bodySchema]: { level: 'MUST', reference: 'RFC 6749 §5.1, §5.2' },
  [RULES.tokenType]: { level: 'MUST', reference: 'RFC 6749 §5.1' },
  [RULES.scope]: { level: 'MUST', reference: 'RFC 6749 §3.3' },
  [RULES.refreshToken]: { level: 'MUST', reference: 'RFC 6749 §5.1, §6' },
  [RULES.refreshTokenSyntax]: { level: 'MUST', reference: 'RFC 6749 §5.1, Appendix A.17' },
  [RULES.errorCode]: { level: 'MUST', reference: 'RFC 6749 §5.2' },
  [RULES.errorDescription]: { level: 'MUST', reference: 'RFC 6749 §5.2' },
  [RULES.cnfJkt]: { level: 'MUST', reference: 'RFC 9449 §6.1' },
  [RULES.cnfX5t]: { level: 'MUST', reference: 'RFC 8705 §3.1' },
  [RULES.errorDescriptionCharset]: { level: 'MUST', reference: 'RFC 6749 §5.2' },
  [RULES.errorUriCharset]: { level: 'MUST', reference: 'RFC 6749 §5.2' },
  [RULES.useDpopNonceStatus]: { level: 'MUST', reference: 'RFC 9449 §8' },
} satisfies Record<RuleId, RuleSource>);

/** Whether a problem of this level fails under the profile (MUST always; CONTRACT under attesto). */
export function failsUnder(level: Level, profile: ValidationProfile | undefined): boolean {
  return level === 'MUST' || (level === 'CONTRACT' && profile !== 'rfc');
}

/**
 * One broken rule. `pointer` is a JSON pointer (RFC 6901) inside `where`:
 * into the body (`/expires_in`), into the lower-cased header map
 * (`/cache-control`), or `''` for the status and the response as a whole.
 */
export interface Problem {
  where: 'response' | 'status' | 'header' | 'body';
  pointer: string;
  /** The rule and what it expects, with its source (RFC section or the contract); never what was received. */
  message: string;
  /** What the rule expects, for programs (the message already says it). */
  expected?: unknown;
  /** What the response carried (redacted); absent when the message says it (a missing member, an empty body). */
  received?: unknown;
  rule: RuleId;
  /** How binding the rule is here: MUST (the RFC), CONTRACT (the attesto contract only) or SHOULD. */
  level: Level;
  /** Where the rule comes from: an RFC section (`RFC 6749 §5.1`) or `attesto contract`. */
  reference: string;
}

/** A problem before its level is known: the level and reference default to the rule's (RULE_SOURCES). */
export type ProblemDraft = Omit<Problem, 'level' | 'reference'> & Partial<RuleSource>;

export interface ValidationResult {
  /** No failing problem (warnings allowed). */
  ok: boolean;
  /** The problems that fail under the profile: MUST, and CONTRACT under `attesto`. */
  problems: readonly Problem[];
  /** The problems that do not fail under the profile: SHOULD, and CONTRACT under `rfc`. Never dropped. */
  warnings: readonly Problem[];
}

const NO_PROBLEMS: readonly Problem[] = Object.freeze([]);

/** The shared result for a passing check: the pass path allocates nothing else. */
export const PASSED: ValidationResult = Object.freeze({ ok: true, problems: NO_PROBLEMS, warnings: NO_PROBLEMS });

/** The problem with its level and reference (the rule's unless the draft names a reading of its own). */
export function completeProblem(draft: ProblemDraft): Problem {
  const problem = draft as Problem;
  if (problem.level === undefined || problem.reference === undefined) {
    const source = RULE_SOURCES[draft.rule];
    if (problem.level === undefined) problem.level = source.level;
    if (problem.reference === undefined) problem.reference = source.reference;
  }
  return problem;
}

/** Splits problems into failures and warnings under the profile. */
export function resultOf(problems: readonly ProblemDraft[], profile?: ValidationProfile): ValidationResult {
  if (problems.length === 0) return PASSED;
  const failing: Problem[] = [];
  const warnings: Problem[] = [];
  for (const draft of problems) {
    const problem = completeProblem(draft);
    (failsUnder(problem.level, profile) ? failing : warnings).push(problem);
  }
  return { ok: failing.length === 0, problems: failing, warnings: warnings.length === 0 ? NO_PROBLEMS : warnings };
}

/** Raised for a caller's mistake (a malformed expectation or key), never for a bad response. */
export { InvalidExpectationError } from '../errors';
