/**
 * Reading the claims of a JWT access token (RFC 9068), e.g. `cnf.jkt` for
 * DPoP binding (RFC 9449 §6.1). Decoding only: the signature is not checked.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import { InvalidArgumentError } from '../errors';
import { X5T_S256 } from './protocol';

export interface AccessTokenClaims extends JWTPayload {
  /** Confirmation claim (RFC 7800); `jkt` for DPoP-bound tokens (RFC 9449 §6.1). */
  cnf?: { jkt?: string; [member: string]: unknown };
  scope?: string;
  client_id?: string;
}

/**
 * The claims of a JWT access token, or `undefined` when the token is opaque
 * (not a compact JWS with a JSON object payload, including encrypted JWTs).
 * Never throws on the token's content, and never echoes it.
 */
export function decodeAccessToken(accessToken: string): AccessTokenClaims | undefined {
  if (typeof accessToken !== 'string') throw new InvalidArgumentError('decodeAccessToken: the access token must be a string');
  if (accessToken.split('.').length !== 3) return undefined;
  try {
    return decodeJwt(accessToken) as AccessTokenClaims;
  } catch {
    return undefined;
  }
}

/** The JWT access token's `cnf["x5t#S256"]` (RFC 8705 §3.1): `opaque` when the token is no JWT, `undefined` when it has none. */
export function accessTokenX5t(accessToken: string): string | undefined | 'opaque' {
  const claims = decodeAccessToken(accessToken);
  if (claims === undefined) return 'opaque';
  const x5t = claims.cnf?.[X5T_S256];
  return typeof x5t === 'string' ? x5t : undefined;
}

/** `cnf.jkt` of a JWT access token; `undefined` for opaque tokens or tokens without one. */
export function accessTokenJkt(accessToken: string): string | undefined {
  const jkt = decodeAccessToken(accessToken)?.cnf?.jkt;
  return typeof jkt === 'string' ? jkt : undefined;
}
