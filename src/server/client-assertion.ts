/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2, §3; RFC 7521 §4.2;
 * OpenID Connect Core §9). The signature is checked with `jose` against the
 * client's registered public keys, with the algorithm taken from those keys
 * and the allow-list, never from the assertion header alone.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '../openapi';
import type { RegisteredClient, ResolvedServerConfig } from './config';
import { CLIENT_AUTHENTICATION_FAILED, describeJoseFailure, invalidClient, replayCacheFull } from './errors';
import type { ReplayCache } from './replay-cache';

export interface ClientAssertionContext {
  config: ResolvedServerConfig;
  /** Accepted `aud` values: the issuer and the token endpoint URL (RFC 7523 §3 item 3). */
  audiences: ReadonlySet<string>;
  replay: ReplayCache;
}


const keySets = new WeakMap<RegisteredClient, ReturnType<typeof createLocalJWKSet>>();

function keySetOf(client: RegisteredClient): ReturnType<typeof createLocalJWKSet> {
  let keySet = keySets.get(client);
  if (!keySet) {
    keySet = createLocalJWKSet(client.jwks!);
    keySets.set(client, keySet);
  }
  return keySet;
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
  const client = context.config.clients.get(clientId);
  if (!client || !client.authMethods.has('private_key_jwt') || !client.jwks) throw invalidClient(CLIENT_AUTHENTICATION_FAILED);
  if (typeof header.alg !== 'string' || !client.assertionAlgorithms.includes(header.alg)) {
    throw invalidClient(`client assertion alg must be one of ${client.assertionAlgorithms.join(', ')} (from the registered keys)`);
  }

  const now = context.config.clock();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, keySetOf(client), {
      algorithms: [...client.assertionAlgorithms],
      currentDate: new Date(now),
      clockTolerance: 0,
    }));
  } catch (error) {
    throw invalidClient(describeJoseFailure(error, 'client assertion', "the client's registered keys"));
  }

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
