/**
 * Compact JWS signing shared by DPoP proofs and client assertions, with the
 * negative variants the conformance checks need. Each variant breaks exactly
 * one property of an otherwise valid token.
 */
import { randomBytes } from 'node:crypto';
import { base64url, CompactSign, generateSecret, type JWK, type KeyLike } from 'jose';
import { InvalidArgumentError, SigningError } from '../errors';
import { describeJoseError, importSigningKey, type SigningKey, type SigningKeyInput } from './keys';

/** Negative overrides at the JWS level (RFC 7515), common to proofs and assertions. */
export interface JwsOverrides {
  /**
   * `'none'`: an unsecured JWS (`alg: none`, empty signature; RFC 7518 §3.6).
   * `'HS256'` / `'HS384'` / `'HS512'`: an HMAC signature with `hmacSecret`
   * (random by default), i.e. a symmetric algorithm where an asymmetric one
   * is required. Any other value signs with that algorithm, which must suit
   * the key (e.g. `RS256` for an RSA key whose default is PS256).
   */
  alg?: string;
  /** Secret for `alg: 'HS…'`; 32 random bytes by default. */
  hmacSecret?: Uint8Array | string;
  /** Flip one bit of an otherwise valid signature. */
  badSignature?: boolean;
  /** Sign with this other key while the token still names the usual key (DPoP: header `jwk` stays ours). */
  signWith?: SigningKeyInput;
  /** Protected header members added or replaced. */
  header?: Record<string, unknown>;
  /** Protected header members removed (e.g. `['typ']`, `['jwk']`). */
  omitHeader?: string[];
  /**
   * Extension header names to list in `crit` (RFC 7515 §4.1.11); each is
   * also set in the header (value `true` unless `header` gives one), so the
   * only fault is that the server cannot understand them.
   */
  crit?: string[];
}

export interface SignJwsInput {
  key: SigningKey;
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  overrides: JwsOverrides;
  /** Used in error messages: "DPoP proof", "client assertion". */
  what: string;
}

const HMAC_ALGORITHMS = new Set(['HS256', 'HS384', 'HS512']);

/** Builds the compact JWS. `header.alg` is filled in here from the key or the override. */
export async function signJws({ key, header, payload, overrides, what }: SignJwsInput): Promise<string> {
  const protectedHeader: Record<string, unknown> = { ...header };
  if (overrides.header !== undefined) Object.assign(protectedHeader, overrides.header);
  const crit = overrides.crit;
  if (crit !== undefined) {
    if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name === '')) {
      throw new InvalidArgumentError(`${what}: crit must be a non-empty array of header names`);
    }
    protectedHeader.crit = [...crit];
    for (const name of crit) if (!(name in protectedHeader)) protectedHeader[name] = true;
  }
  for (const name of overrides.omitHeader ?? []) {
    if (name === 'alg') throw new InvalidArgumentError(`${what}: "alg" cannot be omitted; use alg: 'none' for an unsecured JWS`);
    delete protectedHeader[name];
  }

  const payloadBytes = new TextEncoder().encode(JSON.stringify(payload));

  if (overrides.alg === 'none') {
    // An unsecured JWS has no signature to compute (RFC 7515 §A.5): nothing cryptographic to delegate.
    const unsecuredHeader = { ...protectedHeader, alg: 'none' };
    return `${base64url.encode(JSON.stringify(unsecuredHeader))}.${base64url.encode(payloadBytes)}.`;
  }

  let signingKey: KeyLike | Uint8Array;
  let alg: string;
  if (overrides.alg !== undefined && HMAC_ALGORITHMS.has(overrides.alg)) {
    alg = overrides.alg;
    signingKey =
      typeof overrides.hmacSecret === 'string'
        ? new TextEncoder().encode(overrides.hmacSecret)
        : (overrides.hmacSecret ?? ((await generateSecret(alg, { extractable: true })) as Uint8Array | KeyLike));
  } else if (overrides.signWith !== undefined) {
    const other = await importSigningKey(overrides.signWith);
    alg = overrides.alg ?? other.alg;
    signingKey = other.privateKey;
  } else {
    alg = overrides.alg ?? key.alg;
    signingKey = key.privateKey;
  }
  // The header names the algorithm actually used: jose signs by `alg`. Use `alg`, not `header`, to change it.
  protectedHeader.alg = alg;

  let jws: string;
  try {
    const critOption = crit === undefined ? undefined : Object.fromEntries(crit.map((name) => [name, true]));
    jws = await new CompactSign(payloadBytes)
      .setProtectedHeader(protectedHeader as { alg: string })
      .sign(signingKey, critOption === undefined ? undefined : { crit: critOption });
  } catch (cause) {
    throw new SigningError(`${what}: cannot sign with alg ${alg}: ${describeJoseError(cause)}`);
  }
  return overrides.badSignature === true ? corruptSignature(jws) : jws;
}

/** Flips the lowest bit of one signature byte: the JWS stays well-formed but no longer verifies. */
function corruptSignature(jws: string): string {
  const [head, body, signature] = jws.split('.') as [string, string, string];
  const bytes = base64url.decode(signature);
  const index = Math.floor(bytes.length / 2);
  bytes[index] = bytes[index]! ^ 0x01;
  return `${head}.${body}.${base64url.encode(bytes)}`;
}

/** A random, URL-safe JWT ID with 128 bits of entropy (RFC 7519 §4.1.7: collision-resistant). */
export function randomJti(): string {
  return base64url.encode(randomBytes(16));
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export type { JWK };
