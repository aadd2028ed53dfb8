/**
 * PKCE (RFC 7636): the code verifier a client keeps, the challenge it sends
 * to the authorization endpoint, and the check the token endpoint makes.
 * S256 is SHA-256 and base64url, no JOSE involved, so this is node:crypto
 * and Buffer's base64url (RFC 7636 Appendix A: base64url without padding).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '../errors';
import { PKCE_S256 } from './protocol';

/** RFC 7636 §4.1: `code-verifier = 43*128unreserved`. */
export const CODE_VERIFIER_MIN_LENGTH = 43;
export const CODE_VERIFIER_MAX_LENGTH = 128;
/** RFC 7636 §4.1: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~", 43 to 128 of them (also a JSON Schema `pattern`). */
export const CODE_VERIFIER_PATTERN = '^[A-Za-z0-9\\-._~]{43,128}$';
const CODE_VERIFIER = new RegExp(CODE_VERIFIER_PATTERN);
/** An S256 challenge: BASE64URL of a SHA-256 digest, 32 bytes → 43 characters without padding (RFC 7636 §4.2). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export interface PkcePair {
  /** The secret the client keeps and sends with the token request (RFC 7636 §4.5). */
  codeVerifier: string;
  /** What goes to the authorization endpoint (RFC 7636 §4.3). */
  codeChallenge: string;
  codeChallengeMethod: typeof PKCE_S256;
}

/** Whether `value` is a well-formed code verifier (RFC 7636 §4.1). */
export function isCodeVerifier(value: string): boolean {
  return CODE_VERIFIER.test(value);
}

/** Whether `value` has the shape of an S256 code challenge (RFC 7636 §4.2). */
export function isS256Challenge(value: string): boolean {
  return S256_CHALLENGE.test(value);
}

/**
 * A new code verifier. RFC 7636 §4.1 recommends a 32-octet random sequence,
 * base64url-encoded into 43 characters; `bytes` asks for more (up to 96,
 * 128 characters). base64url's alphabet is a subset of `unreserved`.
 */
export function createCodeVerifier(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 32 || bytes > 96) throw new InvalidArgumentError('createCodeVerifier: bytes must be a whole number from 32 to 96 (43 to 128 characters, RFC 7636 §4.1)');
  return randomBytes(bytes).toString('base64url');
}

/** RFC 7636 §4.2: `code_challenge = BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`. */
export function s256Challenge(codeVerifier: string): string {
  if (typeof codeVerifier !== 'string') throw new InvalidArgumentError('s256Challenge: the code verifier must be a string');
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

/** A verifier and its S256 challenge (RFC 7636 §4.1, §4.2). */
export function createPkcePair(bytes = 32): PkcePair {
  const codeVerifier = createCodeVerifier(bytes);
  return { codeVerifier, codeChallenge: s256Challenge(codeVerifier), codeChallengeMethod: PKCE_S256 };
}

/**
 * RFC 7636 §4.6: the server recomputes the challenge from the verifier and
 * compares. A malformed verifier never matches (§4.1 says what one is); the
 * comparison takes the same time wherever the values differ.
 */
export function verifyS256(codeVerifier: string, codeChallenge: string): boolean {
  if (!isCodeVerifier(codeVerifier)) return false;
  const expected = Buffer.from(codeChallenge, 'utf8');
  const actual = Buffer.from(s256Challenge(codeVerifier), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
