/**
 * OAuth error responses of the reference server (RFC 6749 §5.2, RFC 9449 §5
 * and §8). Every rejection in the pipeline is one `TokenEndpointError`; the
 * HTTP layer turns it into a status, headers and an `AttestoTokenError` body.
 */
import type { TokenErrorCode } from '../openapi';
import { toErrorDescription } from '../oauth/grammar';

export class TokenEndpointError extends Error {
  readonly code: TokenErrorCode;
  readonly status: number;
  /** Extra response headers, e.g. `WWW-Authenticate` (RFC 6749 §5.2) or `DPoP-Nonce` (RFC 9449 §8). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: TokenErrorCode, description: string, options: { status?: number; headers?: Record<string, string> } = {}) {
    super(safeDescription(description));
    this.name = 'TokenEndpointError';
    this.code = code;
    this.status = options.status ?? 400;
    this.headers = options.headers ?? {};
  }

  /** The `AttestoTokenError` body. */
  toJSON(): { error: TokenErrorCode; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

export const invalidRequest = (description: string) => new TokenEndpointError('invalid_request', description);
export const invalidClient = (description: string) => new TokenEndpointError('invalid_client', description);
export const invalidDpopProof = (description: string) => new TokenEndpointError('invalid_dpop_proof', `invalid DPoP proof: ${description}`);

/**
 * The answer when a replay cache is full of live entries (src/server/replay-cache.ts):
 * 503 with `Retry-After` and `{"error":"temporarily_unavailable"}`.
 *
 * RFC 6749 §5.2 has no "busy, retry later" code for the token endpoint;
 * `temporarily_unavailable` is defined for the authorization endpoint
 * (§4.1.2.1), as the stand-in for a 503 that cannot travel through a
 * redirect. The token endpoint answers directly, so it can send the 503
 * itself, with `Retry-After` (RFC 9110 §15.6.4, §10.2.3), and the OAuth code
 * whose meaning fits in the body, so a client reading `error` learns the
 * same. Neither `invalid_client` nor `invalid_request` would be honest: the
 * request is fine, and a client told so would not retry. Forgetting a live
 * entry instead would let a used credential be replayed (RFC 7523 §3 item 7,
 * RFC 9449 §11.1).
 */
export function replayCacheFull(retryAfterSeconds: number): TokenEndpointError {
  return new TokenEndpointError('temporarily_unavailable', 'replay cache full; retry later', {
    status: 503,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/**
 * The same answer when a grant store (src/server/expiring-store.ts: codes,
 * refresh tokens) is full of live entries: nothing is forgotten to make
 * room, since a used code or a rotated refresh token must stay known for
 * its reuse to be caught (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
 */
export function grantStoreFull(what: string, retryAfterSeconds: number): TokenEndpointError {
  return new TokenEndpointError('temporarily_unavailable', `${what} store full; retry later`, {
    status: 503,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/** RFC 6749 §5.2 invalid_grant: the code or refresh token is invalid, expired, revoked, used, or was issued to another client or redirect URI. */
export const invalidGrant = (description: string) => new TokenEndpointError('invalid_grant', description);

/**
 * RFC 6749 §5.2: `error_description` values MUST NOT include characters
 * outside %x20-21 / %x23-5B / %x5D-7E. Descriptions that echo request input
 * pass through here, so `"`, `\`, control and non-ASCII characters become `?`.
 */
export function safeDescription(text: string): string {
  return toErrorDescription(text);
}

/** The one answer for an unknown client, a wrong secret or a method the client may not use: nothing to tell them apart. */
export const CLIENT_AUTHENTICATION_FAILED = 'client authentication failed';

/**
 * A `jose` verification failure in words, never quoting the token.
 * `subject` names what failed ("client assertion", "proof"), `keys` what
 * its signature was checked against.
 */
export function describeJoseFailure(error: unknown, subject: string, keys: string): string {
  switch ((error as { code?: string }).code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return `${subject} signature does not verify with ${keys}`;
    case 'ERR_JWT_EXPIRED':
      return `${subject} expired (exp)`;
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `${subject} claim check failed: ${(error as { claim?: string }).claim ?? 'claims'}`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return `${subject} alg is not allowed`;
    case 'ERR_JOSE_NOT_SUPPORTED':
      return `${subject} uses an unsupported algorithm, key or critical header`;
    case 'ERR_JWT_INVALID':
      return `${subject} payload is not a JWT claims set`;
    default:
      return `${subject} is malformed or its key is invalid`;
  }
}

/** Quotes a short piece of request input for an error description, sanitised and truncated. */
export function echo(value: string, max = 40): string {
  const cut = value.length > max ? `${value.slice(0, max)}...` : value;
  return `'${safeDescription(cut)}'`;
}
