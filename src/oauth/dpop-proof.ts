/**
 * DPoP proof JWTs (RFC 9449 §4.2), built with `jose`, plus the negative
 * variants of the RFC 9449 §4.3 check list. Each override breaks one thing.
 */
import { createHash } from 'node:crypto';
import { base64url } from 'jose';
import { InvalidArgumentError } from '../errors';
import { isPlainObject } from './guards';
import { DPOP_PROOF_TYPE } from './protocol';
import { nowSeconds, randomJti, signJws, type JwsOverrides } from './jws';
import { importSigningKey, privateJwkOf, type SigningKeyInput } from './keys';

export { DPOP_PROOF_TYPE };

/** Claims a proof carries; names for {@link DpopProofOverrides.omit}. */
export type DpopProofClaim = 'jti' | 'htm' | 'htu' | 'iat' | 'nonce' | 'ath';

/**
 * Negative overrides for a DPoP proof. Used by `createDpopProof` directly
 * and as the `proof` option of a token request. Each one breaks one thing:
 *
 * | override | breaks (RFC 9449 §4.3 item) |
 * |---|---|
 * | `typ: 'jwt'` / `typ: null` | wrong / missing `typ` (4) |
 * | `alg: 'none'` / `alg: 'HS256'` | unsecured / symmetric algorithm (5, §4.2) |
 * | `omitHeader: ['jwk']` | no `jwk` (3) |
 * | `includePrivateJwk: true` | `jwk` carries the private key (7) |
 * | `badSignature: true` / `signWith: otherKey` | signature does not verify with `jwk` (6) |
 * | `htm: 'GET'` | method mismatch (8) |
 * | `htu: 'https://…/other'` | URI mismatch (9), sent verbatim |
 * | `omit: ['jti']` (or `htm`, `htu`, `iat`) | missing claim (3) |
 * | `iat: now - 3600` / `iat: now + 3600` | outside the acceptance window (11) |
 * | `jti: sameJti` | replay (§11.1) |
 * | `nonce: 'stale'` / `nonce: null` | wrong / no server nonce (10, §8) |
 * | `crit: ['urn:example:unknown']` | unknown critical header (RFC 7515 §4.1.11) |
 */
export interface DpopProofOverrides extends JwsOverrides {
  /** `typ` header value; `null` removes it. */
  typ?: string | null;
  /** `htm` claim, sent verbatim (case matters: RFC 9449 §4.3 item 8). */
  htm?: string;
  /** `htu` claim, sent verbatim (not stripped of query or fragment). */
  htu?: string;
  iat?: number;
  jti?: string;
  /** `nonce` claim; `null` sends none even when a nonce is known. */
  nonce?: string | null;
  /** Payload claims removed after everything else is applied. */
  omit?: Array<DpopProofClaim | (string & {})>;
  /** Put the private JWK (with `d`) in the `jwk` header (RFC 9449 §4.2: MUST NOT). */
  includePrivateJwk?: boolean;
  /** Payload claims added or replaced (e.g. `nbf`, `exp`, a non-string `jti`). */
  claims?: Record<string, unknown>;
}

export interface DpopProofOptions extends Omit<DpopProofOverrides, 'htm' | 'htu' | 'nonce'> {
  /** Key that signs the proof; its public JWK goes into the `jwk` header. */
  key: SigningKeyInput;
  /** HTTP method of the request (`POST` for the token endpoint). */
  htm: string;
  /** Target URI of the request; query and fragment are removed (RFC 9449 §4.2). */
  htu: string;
  /** Server-provided nonce (RFC 9449 §8); omitted when absent. */
  nonce?: string | null;
  /** `ath` claim as given (RFC 9449 §4.2, for resource requests). */
  ath?: string;
  /** Access token to compute `ath` from: base64url(SHA-256(token)). */
  accessToken?: string;
  /** Signing algorithm; inferred from the key when absent. */
  alg?: string;
}

/**
 * Builds a DPoP proof JWT: header `{ typ: 'dpop+jwt', alg, jwk }` with the
 * public JWK only, payload `{ jti, htm, htu, iat[, nonce][, ath] }`.
 */
export async function createDpopProof(options: DpopProofOptions): Promise<string> {
  if (!isPlainObject(options)) throw new InvalidArgumentError('createDpopProof: options must be an object');
  const { key: keyInput, htm, htu } = options;
  if (keyInput === undefined || keyInput === null) throw new InvalidArgumentError('createDpopProof: key is required');
  if (typeof htm !== 'string' || htm === '') throw new InvalidArgumentError('createDpopProof: htm must be a non-empty string');
  if (typeof htu !== 'string') throw new InvalidArgumentError('createDpopProof: htu must be a string');

  const isHmac = options.alg !== undefined && /^HS\d+$/.test(options.alg);
  const key = await importSigningKey(keyInput, options.alg === 'none' || isHmac ? undefined : options.alg);

  const header: Record<string, unknown> = { alg: key.alg, typ: DPOP_PROOF_TYPE, jwk: key.publicJwk };
  if (options.includePrivateJwk === true) header.jwk = await privateJwkOf(key);
  if (options.typ === null) delete header.typ;
  else if (options.typ !== undefined) header.typ = options.typ;

  const payload: Record<string, unknown> = {
    jti: options.jti ?? randomJti(),
    htm,
    htu: stripQueryAndFragment(htu),
    iat: options.iat ?? nowSeconds(),
  };
  if (typeof options.nonce === 'string') payload.nonce = options.nonce;
  if (options.ath !== undefined) payload.ath = options.ath;
  else if (options.accessToken !== undefined) payload.ath = accessTokenHash(options.accessToken);
  if (options.claims !== undefined) Object.assign(payload, options.claims);
  for (const claim of options.omit ?? []) delete payload[claim];

  return signJws({ key, header, payload, overrides: { ...options, alg: options.alg === key.alg ? undefined : options.alg }, what: 'DPoP proof' });
}

/**
 * `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token's
 * ASCII bytes. A plain digest, not a JOSE operation, so node:crypto.
 */
export function accessTokenHash(accessToken: string): string {
  if (typeof accessToken !== 'string' || accessToken === '') throw new InvalidArgumentError('accessTokenHash: access token must be a non-empty string');
  return base64url.encode(createHash('sha256').update(accessToken, 'ascii').digest());
}

/**
 * The `htu` value for a request URI: the URI without query and fragment
 * (RFC 9449 §4.2). A value that is not an absolute URI is refused: a broken
 * `htu` on purpose goes through the `htu` override or `claims`.
 */
export function stripQueryAndFragment(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InvalidArgumentError(`DPoP htu: ${JSON.stringify(uri)} is not an absolute URI (use the htu override or claims to send a broken one)`);
  }
  url.search = '';
  url.hash = '';
  return url.href;
}
