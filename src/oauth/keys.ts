/**
 * Asymmetric signing keys for DPoP proofs (RFC 9449) and client assertions
 * (RFC 7523): generation, import from a JWK or a key object, and RFC 7638
 * thumbprints. Every JOSE operation goes through `jose`.
 */
import { exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';
import { InvalidArgumentError, InvalidKeyError } from '../errors';
import { isPlainObject } from './guards';
import { PRIVATE_JWK_MEMBERS } from './protocol';
import { sha256Thumbprint } from './thumbprint';

/**
 * A key pair ready to sign: DPoP proofs (RFC 9449) and client assertions
 * (RFC 7523) alike, with its public JWK and RFC 7638 thumbprint.
 */
export interface SigningKey {
  /** JWS algorithm the key signs with (`ES256`, `PS256`, `EdDSA`, ...). */
  readonly alg: string;
  readonly privateKey: KeyLike;
  readonly publicKey: KeyLike;
  /** Public members only: what goes into a DPoP proof's `jwk` header. */
  readonly publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of `publicJwk`: the expected `cnf.jkt` (RFC 9449 §6.1). */
  readonly thumbprint: string;
}

/** @deprecated until 1.0: the same type as {@link SigningKey}, named for its first use. */
export type DpopKey = SigningKey;

/** Anything the harness accepts as a signing key: a {@link SigningKey}, a private JWK, or a private key object. */
export type SigningKeyInput = SigningKey | JWK | KeyLike;

/** Algorithms {@link generateDpopKey} can generate keys for. */
export const DPOP_KEY_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'ES256K', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;
export type DpopKeyAlgorithm = (typeof DPOP_KEY_ALGORITHMS)[number];


/**
 * Generates a fresh extractable key pair for DPoP proofs or client
 * assertions. ES256 by default, as RFC 9449's examples and most servers use.
 */
export async function generateDpopKey(alg: DpopKeyAlgorithm = 'ES256'): Promise<SigningKey> {
  if (!(DPOP_KEY_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new InvalidArgumentError(`generateDpopKey: unsupported algorithm ${JSON.stringify(alg)}; use one of ${DPOP_KEY_ALGORITHMS.join(', ')}`);
  }
  const options = alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true };
  const { privateKey, publicKey } = await generateKeyPair(alg, options);
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicKey, publicJwk, thumbprint: await sha256Thumbprint(publicJwk) };
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url without padding) of a public
 * or private JWK, or of a key object. Only the required members count
 * (RFC 7638 §3.2), so a private JWK has the same thumbprint as its public half.
 */
export async function jwkThumbprint(key: JWK | KeyLike | SigningKey): Promise<string> {
  if (isDpopKey(key)) return key.thumbprint;
  let jwk: JWK;
  if (isJwk(key)) jwk = key;
  else if (isKeyLike(key)) jwk = await exportKey(key);
  else throw new InvalidArgumentError('jwkThumbprint: expected a JWK object (with "kty") or a key object');
  try {
    return await sha256Thumbprint(jwk);
  } catch (cause) {
    throw new InvalidKeyError(`jwkThumbprint: ${describeJoseError(cause)}`);
  }
}

/**
 * Turns any accepted key input into a {@link SigningKey}. `alg` overrides the
 * algorithm inferred from the key (see {@link algorithmForJwk}).
 */
export async function importSigningKey(input: SigningKeyInput, alg?: string): Promise<SigningKey> {
  if (isDpopKey(input)) {
    if (alg === undefined || alg === input.alg) return input;
    return { ...input, alg };
  }
  if (isJwk(input)) {
    if (!hasPrivateMembers(input)) {
      throw new InvalidKeyError('signing key: the JWK has no private members ("d"); a private key is needed to sign');
    }
    const algorithm = signingAlgorithm(alg ?? algorithmForJwk(input));
    const publicJwk = publicJwkOf(input);
    let privateKey: KeyLike;
    let publicKey: KeyLike;
    try {
      privateKey = (await importJWK({ ...input, ext: true }, algorithm)) as KeyLike;
      publicKey = (await importJWK({ ...publicJwk, ext: true }, algorithm)) as KeyLike;
    } catch (cause) {
      throw new InvalidKeyError(`signing key: cannot import the ${String(input.kty)} JWK for ${algorithm}: ${describeJoseError(cause)}`);
    }
    checkKeyStrength(publicKey, algorithm);
    return { alg: algorithm, privateKey, publicKey, publicJwk, thumbprint: await sha256Thumbprint(publicJwk) };
  }
  if (isKeyLike(input)) {
    if (input.type !== 'private') {
      throw new InvalidKeyError(`signing key: expected a private key object, got a ${String(input.type)} key`);
    }
    const privateJwk = await exportKey(input);
    const algorithm = signingAlgorithm(alg ?? algorithmForJwk(privateJwk));
    const publicJwk = publicJwkOf(privateJwk);
    let publicKey: KeyLike;
    try {
      publicKey = (await importJWK({ ...publicJwk, ext: true }, algorithm)) as KeyLike;
    } catch (cause) {
      throw new InvalidKeyError(`signing key: cannot use the key for ${algorithm}: ${describeJoseError(cause)}`);
    }
    checkKeyStrength(publicKey, algorithm);
    return { alg: algorithm, privateKey: input, publicKey, publicJwk, thumbprint: await sha256Thumbprint(publicJwk) };
  }
  throw new InvalidArgumentError('signing key: expected a SigningKey, a private JWK or a private key object');
}

/**
 * An algorithm a signing key may be made for: asymmetric only. `none` signs
 * nothing and the HMAC algorithms need a shared secret, which DPoP (RFC 9449
 * §4.2: "MUST NOT be none or an identifier for a symmetric algorithm") and
 * private_key_jwt (RFC 7523 §3 item 9, OIDC Core §9: a public-key signature)
 * both exclude. (The harness writes deliberately unsigned or HS256 proofs by
 * hand, as negative overrides; that path never makes a signing key.)
 */
function signingAlgorithm(alg: string): string {
  if (alg === 'none' || /^HS\d+$/.test(alg)) throw new InvalidKeyError(`signing key: alg ${JSON.stringify(alg)} is not an asymmetric signature algorithm (DPoP and private_key_jwt sign with a private key)`);
  return alg;
}

/** RFC 7518 §3.3 and §3.5: "A key of size 2048 bits or larger MUST be used" with the RSA algorithms. */
const MIN_RSA_BITS = 2048;

function checkKeyStrength(publicKey: KeyLike, alg: string): void {
  const details = (publicKey as { asymmetricKeyDetails?: { modulusLength?: number } }).asymmetricKeyDetails;
  const bits = details?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_BITS) throw new InvalidKeyError(`signing key: a ${bits}-bit RSA key is too short for ${alg}; RFC 7518 §3.3 requires ${MIN_RSA_BITS} bits or more`);
}

/** The private JWK of a signing key (for tests that must put a private key where a public one belongs). */
export async function privateJwkOf(key: SigningKey): Promise<JWK> {
  return exportKey(key.privateKey);
}

/**
 * The JWS algorithm a JWK signs with: its `alg` member when present, else
 * ES256/ES384/ES512 by curve, EdDSA for OKP keys, and PS256 for RSA (the
 * RSA algorithm FAPI 2 and attesto allow by default). Symmetric keys are
 * refused: DPoP and private_key_jwt need asymmetric keys (RFC 9449 §4.2).
 */
export function algorithmForJwk(jwk: JWK): string {
  if (typeof jwk.alg === 'string' && jwk.alg !== '') return jwk.alg;
  switch (jwk.kty) {
    case 'EC':
      switch (jwk.crv) {
        case 'P-256':
          return 'ES256';
        case 'P-384':
          return 'ES384';
        case 'P-521':
          return 'ES512';
        case 'secp256k1':
          return 'ES256K';
        default:
          throw new InvalidKeyError(`signing key: unsupported EC curve ${JSON.stringify(jwk.crv)}`);
      }
    case 'OKP':
      if (jwk.crv === 'Ed25519' || jwk.crv === 'Ed448') return 'EdDSA';
      throw new InvalidKeyError(`signing key: OKP curve ${JSON.stringify(jwk.crv)} cannot sign`);
    case 'RSA':
      return 'PS256';
    case 'oct':
      throw new InvalidKeyError('signing key: symmetric ("oct") keys cannot sign DPoP proofs or private_key_jwt assertions');
    default:
      throw new InvalidKeyError(`signing key: unsupported key type ${JSON.stringify(jwk.kty)}`);
  }
}

/** A copy of a JWK without its private members (and without `ext`/`key_ops`, which are WebCrypto artefacts). */
export function publicJwkOf(jwk: JWK): JWK {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(jwk)) {
    if ((PRIVATE_JWK_MEMBERS as readonly string[]).includes(name) || name === 'ext' || name === 'key_ops') continue;
    out[name] = value;
  }
  return out as unknown as JWK;
}

export function isDpopKey(value: unknown): value is SigningKey {
  return isPlainObject(value) && 'privateKey' in value && isPlainObject(value.publicJwk) && typeof value.alg === 'string';
}

export function isJwk(value: unknown): value is JWK {
  return isPlainObject(value) && typeof value.kty === 'string';
}

function isKeyLike(value: unknown): value is KeyLike {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function hasPrivateMembers(jwk: JWK): boolean {
  return typeof jwk.d === 'string';
}

async function exportKey(key: KeyLike): Promise<JWK> {
  try {
    return await exportJWK(key);
  } catch (cause) {
    throw new InvalidKeyError(`signing key: cannot export the key as a JWK (is it extractable?): ${describeJoseError(cause)}`);
  }
}

/** A jose error's message. jose messages describe the key or token shape, never key material. */
export function describeJoseError(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
