/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2, §3; RFC 7521 §4.2;
 * OpenID Connect Core §9). The signature is checked with `jose` against the
 * client's registered public keys, with the algorithm taken from those keys
 * and the allow-list, never from the assertion header alone.
 *
 * An unknown `iss` must not be told apart from a known client whose
 * assertion does not verify, in words or in time, or client ids can be
 * enumerated (the guessing attacks of RFC 6749 §10.10 start there):
 * whenever there is no registered key to check the assertion with (unknown
 * client, a client without private_key_jwt, no key for the header's
 * algorithm, no key matching its `kid`), the very same `jwtVerify` runs
 * against a stand-in key of that algorithm, and the failure is worded the
 * same.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type KeyLike } from 'jose';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '../openapi';
import { CLIENT_ASSERTION_ALGORITHMS, type RegisteredClient, type ResolvedServerConfig } from './config';
import { describeJoseFailure, invalidClient, replayCacheFull } from './errors';
import type { ReplayCache } from './replay-cache';

export interface ClientAssertionContext {
  config: ResolvedServerConfig;
  /** Accepted `aud` values: the issuer and the token endpoint URL (RFC 7523 §3 item 3). */
  audiences: ReadonlySet<string>;
  replay: ReplayCache;
}


const ALGORITHMS: readonly string[] = CLIENT_ASSERTION_ALGORITHMS;

/**
 * Where an assertion's signature failure is said not to verify: worded so it
 * holds for an unknown client too, which has no keys at all.
 */
const REGISTERED_KEYS = 'a private_key_jwt key registered for its iss';

const keySets = new WeakMap<RegisteredClient, JWTVerifyGetKey>();

/**
 * The client's registered keys as a jose key resolver. When none of them
 * fits the header (no key for this `alg` or `kid`, or more than one without
 * a `kid` to choose), jose would fail before any signature work; the
 * stand-in is returned instead, so the failure costs what a wrong signature
 * costs, as it does for an unknown client.
 */
function keysOf(client: RegisteredClient, standIn: KeyLike): JWTVerifyGetKey {
  let keySet = keySets.get(client);
  if (!keySet) {
    keySet = createLocalJWKSet(client.jwks!);
    keySets.set(client, keySet);
  }
  const registered = keySet;
  return async (header, token) => {
    try {
      return await registered(header, token);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') return standIn;
      throw error;
    }
  };
}

/**
 * Stand-in public keys, one per algorithm family, made once per process;
 * their private halves are dropped at once, so nothing they "verify" can be
 * forged, and a stand-in verification is never taken as success anyway.
 * The three PS algorithms share one RSA key (2048 bits, the least allowed).
 */
const standIns = new Map<string, Promise<KeyLike>>();

function standInKey(alg: string): Promise<KeyLike> {
  const family = alg.startsWith('PS') ? 'PS256' : alg;
  let key = standIns.get(family);
  if (!key) {
    key = generateKeyPair(family).then(({ publicKey }) => publicKey);
    standIns.set(family, key);
  }
  return key;
}

/** Makes the stand-in keys ahead of the first request, so no request pays for a key generation. */
export async function prepareStandInKeys(): Promise<void> {
  await Promise.all(ALGORITHMS.map(standInKey));
}

/**
 * Verifies a client assertion and records its `jti`; returns the client.
 * `bodyClientId` is the optional `client_id` parameter, which must name the
 * same client (RFC 7521 §4.2).
 */
export async function verifyClientAssertion(
  assertionType: string | undefined,
  assertion: string | undefined,
  bodyClientId: string | undefined,
  context: ClientAssertionContext,
): Promise<RegisteredClient> {
  if (assertionType !== CLIENT_ASSERTION_TYPE_JWT_BEARER) {
    throw invalidClient(
      assertionType === undefined ? 'client_assertion_type is required with client_assertion' : `client_assertion_type must be ${CLIENT_ASSERTION_TYPE_JWT_BEARER}`,
    );
  }
  if (assertion === undefined) throw invalidClient('client_assertion is required with client_assertion_type');

  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    unverified = decodeJwt(assertion);
  } catch {
    throw invalidClient('client_assertion is not a signed JWT');
  }
  const clientId = unverified.iss;
  if (typeof clientId !== 'string' || clientId === '') throw invalidClient('client assertion has no iss (the client_id)');
  if (bodyClientId !== undefined && bodyClientId !== clientId) throw invalidClient('client_id does not match the client assertion iss');
  // The allow-list alone decides here, so this answer is the same whoever iss names.
  const alg = header.alg;
  if (typeof alg !== 'string' || !ALGORITHMS.includes(alg)) throw invalidClient(`client assertion alg must be one of ${ALGORITHMS.join(', ')}`);
  const known = context.config.clients.get(clientId);
  // RFC 7523 §3 item 9: only a key registered for this client, of an algorithm its keys allow.
  const client = known && known.authMethods.has('private_key_jwt') && known.jwks && known.assertionAlgorithms.includes(alg) ? known : undefined;
  const standIn = await standInKey(alg);

  const now = context.config.clock();
  let payload: JWTPayload;
  try {
    // Both paths hand jose a key resolver, so they differ in nothing but the key.
    ({ payload } = await jwtVerify(assertion, client ? keysOf(client, standIn) : async () => standIn, {
      algorithms: [alg],
      currentDate: new Date(now),
      clockTolerance: 0,
    }));
  } catch (error) {
    throw invalidClient(describeJoseFailure(error, 'client assertion', REGISTERED_KEYS));
  }
  // Unreachable (no one holds the stand-in's private key), and refused all the same.
  if (!client) throw invalidClient(describeJoseFailure({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' }, 'client assertion', REGISTERED_KEYS));

  // RFC 7523 §3 items 1–2: iss and sub both name the client.
  if (payload.sub !== clientId) throw invalidClient('client assertion sub must equal iss (the client_id)');
  // Item 3: one audience, the issuer or the token endpoint URL. A scalar only
  // (FAPI 2 and attesto_phoenix), so an assertion is never valid at two servers.
  if (typeof payload.aud !== 'string') throw invalidClient('client assertion aud must be a single string (the issuer or the token endpoint URL)');
  if (!context.audiences.has(payload.aud)) throw invalidClient('client assertion aud must be the issuer or the token endpoint URL');
  // Item 4: exp is required and bounds the lifetime.
  if (typeof payload.exp !== 'number') throw invalidClient('client assertion has no exp');
  if (payload.exp - now / 1000 > context.config.clientAssertionMaxLifetimeSeconds) {
    throw invalidClient(`client assertion lifetime (exp - now) exceeds ${context.config.clientAssertionMaxLifetimeSeconds} s`);
  }
  // Item 7 and OIDC Core §9: jti is required and may be used once.
  if (typeof payload.jti !== 'string' || payload.jti === '') throw invalidClient('client assertion has no jti');
  // Remembered until exp: after it, the assertion is refused as expired, so it cannot be replayed.
  // Rounded up, as exp may be fractional (RFC 7519 §2 NumericDate) and jose compares whole seconds.
  const outcome = context.replay.add(`${clientId}\u0000${payload.jti}`, Math.ceil(payload.exp) * 1000);
  if (outcome === 'replay') throw invalidClient('client assertion jti was already used (replay)');
  if (outcome === 'full') throw replayCacheFull(context.replay.retryAfterSeconds());
  return client;
}
