/**
 * The character-set grammars the token endpoint's values obey, each written
 * once (RFC 6749 Appendix A, RFC 9449 §8.1). Predicates are single
 * regular-expression tests: they run on every assertion.
 */

/** RFC 9449 §8.1: `nonce = 1*NQCHAR`, NQCHAR = %x21 / %x23-5B / %x5D-7E. */
const NQCHARS = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** RFC 6749 §3.3, Appendix A.4: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, the NQCHAR set again. */
export const SCOPE_TOKEN: RegExp = NQCHARS;
/** RFC 6749 §5.2, Appendix A.7: `error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )`. */
const ERROR_DESCRIPTION = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;
const NOT_ERROR_DESCRIPTION_CHAR = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;
/** RFC 6749 §5.2, Appendix A.8: `error_uri = URI-reference` restricted to %x21 / %x23-5B / %x5D-7E. */
const ERROR_URI = NQCHARS;

/** A `DPoP-Nonce` value (RFC 9449 §8.1). A comma-joined pair of fields (`a, b`) is not one: the space is no NQCHAR. */
export function isNonce(value: string | undefined): value is string {
  return value !== undefined && NQCHARS.test(value);
}

/** One scope token (RFC 6749 §3.3). */
export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/** An `error_description` value within the RFC 6749 §5.2 character set: printable ASCII without `"` and `\`. */
export function isErrorDescription(value: string): boolean {
  return ERROR_DESCRIPTION.test(value);
}

/** An `error_uri` value within the RFC 6749 §5.2 character set. */
export function isErrorUri(value: string): boolean {
  return ERROR_URI.test(value);
}

/** Text made fit for `error_description`: each character outside the RFC 6749 §5.2 set becomes `?`. */
export function toErrorDescription(text: string): string {
  return text.replace(NOT_ERROR_DESCRIPTION_CHAR, '?');
}
