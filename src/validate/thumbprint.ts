/**
 * The RFC 7638 JWK SHA-256 thumbprint of the caller's DPoP key, the value a
 * DPoP-bound token's `cnf.jkt` must carry (RFC 9449 §6.1). Computed with
 * jose; the key may be a public or private JWK, a KeyObject or CryptoKey,
 * a key pair holder (`{ publicJwk }`, `{ jwk }`, `{ publicKey }`), or an
 * already computed thumbprint string.
 *
 * jose is loaded on the first key, not with this module: the validator and
 * the matchers load this module on every test file, and most never see a key.
 */
import type { JWK, KeyLike } from 'jose';
import { KeyObject } from 'node:crypto';
import { sha256Thumbprint } from '../oauth/thumbprint';
import { InvalidExpectationError } from './problem';

export type DpopKeyInput =
  | JWK
  | KeyLike
  | string
  | { publicJwk: JWK }
  | { jwk: JWK }
  | { publicKey: KeyLike | JWK };

// base64url of a SHA-256 digest: 32 bytes -> 43 characters, no padding (RFC 7638 §3, RFC 7515 §2).
const SHA256_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

const cache = new WeakMap<object, Promise<string>>();

/** The RFC 7638 SHA-256 thumbprint of `key`; InvalidExpectationError for anything that is not a usable key. */
export function dpopKeyThumbprint(key: DpopKeyInput): Promise<string> {
  if (typeof key === 'string') {
    if (!SHA256_THUMBPRINT.test(key)) {
      return Promise.reject(new InvalidExpectationError('dpopKey as a string must be an RFC 7638 SHA-256 thumbprint (43 base64url characters)'));
    }
    return Promise.resolve(key);
  }
  if (key === null || typeof key !== 'object') {
    return Promise.reject(new InvalidExpectationError(`dpopKey must be a JWK, a KeyObject/CryptoKey or a thumbprint, received ${key === null ? 'null' : typeof key}`));
  }
  let pending = cache.get(key);
  if (!pending) {
    pending = computeThumbprint(key);
    cache.set(key, pending);
  }
  return pending;
}

async function computeThumbprint(key: object): Promise<string> {
  const jwk = await toJwk(key);
  try {
    return await sha256Thumbprint(jwk);
  } catch (error) {
    throw new InvalidExpectationError(`dpopKey is not a usable JWK: ${reason(error)}`);
  }
}

async function toJwk(key: object, depth = 0): Promise<JWK> {
  if (isCryptoKeyLike(key)) {
    const { exportJWK } = await import('jose');
    try {
      return await exportJWK(key as KeyLike);
    } catch (error) {
      throw new InvalidExpectationError(`dpopKey could not be exported as a JWK: ${reason(error)}`);
    }
  }
  if (typeof (key as JWK).kty === 'string') return key as JWK;
  if (depth === 0) {
    const holder = key as { publicJwk?: unknown; jwk?: unknown; publicKey?: unknown };
    const inner = holder.publicJwk ?? holder.jwk ?? holder.publicKey;
    if (inner !== null && typeof inner === 'object') return toJwk(inner, 1);
  }
  throw new InvalidExpectationError('dpopKey must be a JWK (with "kty"), a KeyObject/CryptoKey, { publicJwk }, or a thumbprint string');
}

function isCryptoKeyLike(key: object): boolean {
  if (key instanceof KeyObject) return true;
  return typeof CryptoKey !== 'undefined' && key instanceof CryptoKey;
}

// jose's messages name the missing or unsupported member, never key material.
function reason(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
