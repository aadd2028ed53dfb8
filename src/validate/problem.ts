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
  /** `error` is the code the caller expected. */
  errorCode: 'body.error.expected',
  /** `error_description` is the one the caller expected. */
  errorDescription: 'body.error_description.expected',
  /** `cnf.jkt` is the RFC 7638 thumbprint of the caller's DPoP key (RFC 9449 §6.1). */
  cnfJkt: 'body.cnf.jkt',
} as const;

export type RuleId = (typeof RULES)[keyof typeof RULES];

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
}

export interface ValidationResult {
  ok: boolean;
  problems: readonly Problem[];
}

const NO_PROBLEMS: readonly Problem[] = Object.freeze([]);

/** The shared result for a passing check: the pass path allocates nothing else. */
export const PASSED: ValidationResult = Object.freeze({ ok: true, problems: NO_PROBLEMS });

export function resultOf(problems: Problem[]): ValidationResult {
  return problems.length === 0 ? PASSED : { ok: false, problems };
}

/** Raised for a caller's mistake (a malformed expectation or key), never for a bad response. */
export { InvalidExpectationError } from '../errors';
