/**
 * Access tokens: JWTs in the style of RFC 9068, signed ES256 with a key the
 * server generates at start. A DPoP-bound token carries `cnf.jkt` (RFC 9449
 * §6.1), the same value the response body reports.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type KeyLike } from 'jose';
import { sha256Thumbprint } from '../oauth/thumbprint';
import { X5T_S256 } from '../oauth/protocol';

export const ACCESS_TOKEN_ALG = 'ES256';

export interface AccessTokenSigner {
  /** The public key in a JWK Set, for verifying issued tokens (`/jwks`). */
  readonly jwks: { keys: JWK[] };
  sign(claims: AccessTokenClaims): Promise<string>;
}

export interface AccessTokenClaims {
  issuer: string;
  audience: string;
  clientId: string;
  /** `sub` (RFC 9068 §2.2): the resource owner for authorization_code and refresh_token; default the client (client_credentials). */
  subject?: string;
  scopes: readonly string[];
  lifetimeSeconds: number;
  nowSeconds: number;
  jkt?: string;
  /** The client certificate's SHA-256 thumbprint: `cnf["x5t#S256"]` (RFC 8705 §3.1). */
  x5t?: string;
}

export async function createAccessTokenSigner(): Promise<AccessTokenSigner> {
  const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await sha256Thumbprint(publicJwk);
  const jwks = { keys: [{ ...publicJwk, kid, alg: ACCESS_TOKEN_ALG, use: 'sig' }] };
  return { jwks, sign: (claims) => signAccessToken(claims, privateKey, kid) };
}

function signAccessToken(claims: AccessTokenClaims, key: KeyLike, kid: string): Promise<string> {
  const payload: Record<string, unknown> = { client_id: claims.clientId };
  if (claims.scopes.length > 0) payload.scope = claims.scopes.join(' ');
  if (claims.jkt !== undefined || claims.x5t !== undefined) payload.cnf = { ...(claims.jkt !== undefined ? { jkt: claims.jkt } : {}), ...(claims.x5t !== undefined ? { [X5T_S256]: claims.x5t } : {}) };
  // RFC 9068 §2.1 typ at+jwt; §2.2 iss, exp, aud, sub, client_id, iat, jti.
  return new SignJWT(payload)
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: 'at+jwt', kid })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(claims.subject ?? claims.clientId)
    .setIssuedAt(claims.nowSeconds)
    .setExpirationTime(claims.nowSeconds + claims.lifetimeSeconds)
    .setJti(randomUUID())
    .sign(key);
}
