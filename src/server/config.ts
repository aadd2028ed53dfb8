/**
 * Configuration of the reference token server: the types users write, the
 * demo defaults, and `resolveServerConfig`, which checks a configuration once
 * at start-up and turns it into the frozen form the request pipeline reads.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { ServerConfigError } from '../errors';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** Grant types the server implements (RFC 6749 §4.4 only). */
export const SUPPORTED_GRANT_TYPES = ['client_credentials'] as const;

/**
 * Asymmetric JWS algorithms accepted for DPoP proofs (RFC 9449 §4.2: "MUST
 * NOT be none or an identifier for a symmetric algorithm").
 */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;

/**
 * JWS algorithms accepted for `private_key_jwt` assertions (RFC 7523 §3 item
 * 9). The algorithm always comes from the registered key plus this list,
 * never from the assertion header alone; RS256 is left out (FAPI 2 style).
 */
export const CLIENT_ASSERTION_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;

export interface ReferenceClientConfig {
  id: string;
  /** Shared secret for `client_secret_basic` / `client_secret_post`. */
  secret?: string;
  /** Public keys for `private_key_jwt` (RFC 7523). Private members are refused. */
  jwks?: { keys: JWK[] };
  /** Authentication methods this client may use (RFC 7591 `token_endpoint_auth_method`, several allowed). */
  authMethods: ClientAuthMethod[];
  /** Scopes the client may be granted; also its default when a request names none (RFC 6749 §3.3). */
  scopes?: string[] | string;
  /** Grant types registered for the client; default `["client_credentials"]`. `[]` → `unauthorized_client`. */
  grantTypes?: string[];
  /** Refuse Bearer tokens: a request without a DPoP proof gets `invalid_request` (RFC 9449 §5). */
  requireDpop?: boolean;
  /** Demo only: the client's private JWK, handed back to the caller, never used by the server. */
  privateJwk?: JWK;
}

export interface ReferenceDpopConfig {
  /** Accept DPoP proofs at all. Default true; false ignores proofs and issues Bearer tokens (RFC 9449 §5). */
  enabled?: boolean;
  /** Demand a server nonce in every proof (RFC 9449 §8). Default false. */
  requireNonce?: boolean;
  /** Accepted distance between a proof's `iat` and now, both ways (RFC 9449 §11.1). Default 60. */
  iatWindowSeconds?: number;
  /** How long an issued nonce stays valid; nonces rotate at this period. Default 300. */
  nonceLifetimeSeconds?: number;
}

export interface ReferenceServerConfig {
  /** Issuer identifier (RFC 8414); default the server origin, e.g. `http://127.0.0.1:54321`. */
  issuer?: string;
  /** Registered clients; default the demo clients (see `createDemoClients`). */
  clients?: ReferenceClientConfig[];
  /** Every scope the server knows; default `read write admin`. */
  scopes?: string[];
  /** `expires_in` and access-token `exp` distance. Default 900 (attesto_phoenix `access_token_ttl`). */
  tokenLifetimeSeconds?: number;
  dpop?: ReferenceDpopConfig;
  /** Largest accepted request body; larger → 413 without reading the rest. Default 65536. */
  maxBodyBytes?: number;
  /** Upper bound of `exp − now` for client assertions (RFC 7523 §3 item 4). Default 300. */
  clientAssertionMaxLifetimeSeconds?: number;
  /** Entries kept per replay cache (DPoP `jti`, assertion `jti`); oldest evicted first. Default 10000. */
  replayCacheSize?: number;
  /** Access-token `aud` (RFC 9068 §2.2). Default the issuer. */
  audience?: string;
  /** Token endpoint path. Default `/oauth/token`. */
  path?: string;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; default 0 (ephemeral). */
  port?: number;
  /** Clock in milliseconds since the epoch (tests); default `Date.now`. */
  clock?: () => number;
}

/** What the server knows about a client after start-up checks. */
export interface RegisteredClient {
  readonly id: string;
  readonly secret?: string;
  readonly jwks?: { keys: JWK[] };
  readonly authMethods: ReadonlySet<ClientAuthMethod>;
  readonly scopes: readonly string[];
  readonly grantTypes: ReadonlySet<string>;
  readonly requireDpop: boolean;
  /** Assertion algorithms usable with this client's registered keys. */
  readonly assertionAlgorithms: readonly string[];
}

/** A client as reported back to the caller (the demo config's credentials included). */
export interface ReferenceClientInfo {
  id: string;
  secret?: string;
  authMethods: ClientAuthMethod[];
  scopes: string[];
  grantTypes: string[];
  /** The client must present a DPoP proof (no Bearer tokens). */
  requireDpop: boolean;
  jwks?: { keys: JWK[] };
  privateJwk?: JWK;
}

export interface ResolvedServerConfig {
  readonly clients: ReadonlyMap<string, RegisteredClient>;
  readonly scopes: ReadonlySet<string>;
  readonly tokenLifetimeSeconds: number;
  readonly dpopEnabled: boolean;
  readonly requireNonce: boolean;
  readonly iatWindowSeconds: number;
  readonly nonceLifetimeSeconds: number;
  readonly maxBodyBytes: number;
  readonly clientAssertionMaxLifetimeSeconds: number;
  readonly replayCacheSize: number;
  readonly path: string;
  readonly host: string;
  readonly port: number;
  readonly issuer?: string;
  readonly audience?: string;
  readonly clock: () => number;
}

export { ServerConfigError };

export const DEFAULT_SCOPES = ['read', 'write', 'admin'] as const;

/**
 * The demo clients of shared-apis.md: one per authentication method, one
 * registered for no grant type, and one that must use DPoP. The `jwt-client`
 * key is generated per call.
 */
export async function createDemoClients(): Promise<ReferenceClientConfig[]> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const decorate = (jwk: JWK): JWK => ({ ...jwk, kid, alg: 'ES256', use: 'sig' });
  return [
    { id: 'basic-client', secret: 'basic-secret', authMethods: ['client_secret_basic'], scopes: ['read', 'write'] },
    { id: 'post-client', secret: 'post-secret', authMethods: ['client_secret_post'], scopes: ['read', 'write'] },
    {
      id: 'jwt-client',
      authMethods: ['private_key_jwt'],
      jwks: { keys: [decorate(publicJwk)] },
      privateJwk: decorate(await exportJWK(privateKey)),
      scopes: ['read', 'write'],
    },
    { id: 'no-grant-client', secret: 'no-grant-secret', authMethods: ['client_secret_basic'], scopes: ['read', 'write'], grantTypes: [] },
    // Sender-constrained only: without a DPoP proof it gets invalid_request, never a Bearer token.
    { id: 'dpop-client', secret: 'dpop-secret', authMethods: ['client_secret_basic'], scopes: ['read', 'write'], requireDpop: true },
  ];
}

/** JWK members that make a key private or symmetric (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
export const PRIVATE_JWK_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Checks a configuration and fills in defaults. Throws `ServerConfigError` naming the problem. */
export async function resolveServerConfig(config: ReferenceServerConfig = {}): Promise<ResolvedServerConfig> {
  if (!isObject(config)) throw new ServerConfigError('config must be an object');
  const scopes = config.scopes ?? [...DEFAULT_SCOPES];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) {
    throw new ServerConfigError('scopes must be an array of RFC 6749 §3.3 scope tokens');
  }
  const knownScopes = new Set(scopes);
  const clientConfigs = config.clients ?? (await createDemoClients());
  if (!Array.isArray(clientConfigs)) throw new ServerConfigError('clients must be an array');
  const clients = new Map<string, RegisteredClient>();
  for (const [index, client] of clientConfigs.entries()) {
    const registered = await resolveClient(client, `clients[${index}]`, knownScopes);
    if (clients.has(registered.id)) throw new ServerConfigError(`clients[${index}].id ${JSON.stringify(registered.id)} is registered twice`);
    clients.set(registered.id, registered);
  }
  const dpop = config.dpop ?? {};
  if (!isObject(dpop)) throw new ServerConfigError('dpop must be an object');
  if (dpop.requireNonce !== undefined && typeof dpop.requireNonce !== 'boolean') throw new ServerConfigError('dpop.requireNonce must be a boolean');
  if (dpop.enabled !== undefined && typeof dpop.enabled !== 'boolean') throw new ServerConfigError('dpop.enabled must be a boolean');
  if (dpop.enabled === false && dpop.requireNonce === true) throw new ServerConfigError('dpop.requireNonce needs DPoP enabled');
  const path = config.path ?? '/oauth/token';
  if (typeof path !== 'string' || !/^\/[\x21-\x7e]*$/.test(path) || path.includes('?') || path.includes('#')) {
    throw new ServerConfigError('path must start with "/" and hold no query, fragment or spaces');
  }
  const host = config.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) throw new ServerConfigError('host must be a non-empty string');
  if (config.issuer !== undefined) absoluteHttpUrl(config.issuer, 'issuer');
  if (config.audience !== undefined && (typeof config.audience !== 'string' || config.audience.length === 0)) {
    throw new ServerConfigError('audience must be a non-empty string');
  }
  if (config.clock !== undefined && typeof config.clock !== 'function') throw new ServerConfigError('clock must be a function');
  return Object.freeze({
    clients,
    scopes: knownScopes,
    tokenLifetimeSeconds: whole(config.tokenLifetimeSeconds, 'tokenLifetimeSeconds', 900, 1, 31_536_000),
    dpopEnabled: dpop.enabled ?? true,
    requireNonce: dpop.requireNonce ?? false,
    iatWindowSeconds: whole(dpop.iatWindowSeconds, 'dpop.iatWindowSeconds', 60, 1, 3600),
    nonceLifetimeSeconds: whole(dpop.nonceLifetimeSeconds, 'dpop.nonceLifetimeSeconds', 300, 1, 86_400),
    maxBodyBytes: whole(config.maxBodyBytes, 'maxBodyBytes', 65_536, 64, 16 * 1024 * 1024),
    clientAssertionMaxLifetimeSeconds: whole(config.clientAssertionMaxLifetimeSeconds, 'clientAssertionMaxLifetimeSeconds', 300, 1, 86_400),
    replayCacheSize: whole(config.replayCacheSize, 'replayCacheSize', 10_000, 1, 10_000_000),
    path,
    host,
    port: whole(config.port, 'port', 0, 0, 65_535),
    issuer: config.issuer,
    audience: config.audience,
    clock: config.clock ?? Date.now,
  });
}

async function resolveClient(client: ReferenceClientConfig, where: string, knownScopes: ReadonlySet<string>): Promise<RegisteredClient> {
  if (!isObject(client)) throw new ServerConfigError(`${where} must be an object`);
  if (typeof client.id !== 'string' || client.id.length === 0) throw new ServerConfigError(`${where}.id must be a non-empty string`);
  const authMethods = client.authMethods;
  if (!Array.isArray(authMethods) || authMethods.length === 0 || !authMethods.every((m) => (CLIENT_AUTH_METHODS as readonly string[]).includes(m))) {
    throw new ServerConfigError(`${where}.authMethods must list one or more of ${CLIENT_AUTH_METHODS.join(', ')}`);
  }
  const usesSecret = authMethods.includes('client_secret_basic') || authMethods.includes('client_secret_post');
  if (usesSecret && (typeof client.secret !== 'string' || client.secret.length === 0)) {
    throw new ServerConfigError(`${where}.secret is required for client_secret_basic / client_secret_post`);
  }
  const scopes = typeof client.scopes === 'string' ? client.scopes.split(' ').filter(Boolean) : (client.scopes ?? []);
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) throw new ServerConfigError(`${where}.scopes must be an array of strings`);
  for (const scope of scopes) {
    if (!knownScopes.has(scope)) throw new ServerConfigError(`${where}.scopes names ${JSON.stringify(scope)}, which is not in the server's scopes`);
  }
  const grantTypes = client.grantTypes ?? [...SUPPORTED_GRANT_TYPES];
  if (!Array.isArray(grantTypes) || !grantTypes.every((g) => typeof g === 'string')) throw new ServerConfigError(`${where}.grantTypes must be an array of strings`);
  let assertionAlgorithms: string[] = [];
  if (authMethods.includes('private_key_jwt')) {
    assertionAlgorithms = await checkClientJwks(client.jwks, `${where}.jwks`);
  }
  if (client.requireDpop !== undefined && typeof client.requireDpop !== 'boolean') throw new ServerConfigError(`${where}.requireDpop must be a boolean`);
  return Object.freeze({
    id: client.id,
    secret: client.secret,
    jwks: client.jwks ? { keys: client.jwks.keys.map((key) => ({ ...key })) } : undefined,
    authMethods: new Set(authMethods),
    scopes: Object.freeze([...new Set(scopes)]),
    grantTypes: new Set(grantTypes),
    requireDpop: client.requireDpop ?? false,
    assertionAlgorithms: Object.freeze(assertionAlgorithms),
  });
}

/** Public keys only, importable by jose, RSA at least 2048 bits; returns the algorithms they allow. */
async function checkClientJwks(jwks: ReferenceClientConfig['jwks'], where: string): Promise<string[]> {
  if (!isObject(jwks) || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new ServerConfigError(`${where} must be a JWK Set with at least one public key (required for private_key_jwt)`);
  }
  const algorithms = new Set<string>();
  for (const [index, key] of jwks.keys.entries()) {
    const at = `${where}.keys[${index}]`;
    if (!isObject(key)) throw new ServerConfigError(`${at} must be a JWK object`);
    if (PRIVATE_JWK_MEMBERS.some((member) => member in key)) throw new ServerConfigError(`${at} must be a public key (private members found)`);
    const keyAlgorithms = algorithmsForKey(key);
    if (keyAlgorithms.length === 0) throw new ServerConfigError(`${at} allows none of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}`);
    if (key.kty === 'RSA' && rsaModulusBits(key) < 2048) throw new ServerConfigError(`${at} is an RSA key under 2048 bits`);
    try {
      await importJWK(key, keyAlgorithms[0]);
    } catch (error) {
      throw new ServerConfigError(`${at} is not a usable key: ${(error as Error).message}`);
    }
    keyAlgorithms.forEach((alg) => algorithms.add(alg));
  }
  return [...algorithms];
}

/** Algorithms a registered key may sign assertions with: its `alg` if set, else those of its type. */
export function algorithmsForKey(key: JWK): string[] {
  const byType = (() => {
    switch (key.kty) {
      case 'EC':
        return { 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'] }[key.crv ?? ''] ?? [];
      case 'OKP':
        return key.crv === 'Ed25519' || key.crv === 'Ed448' ? ['EdDSA'] : [];
      case 'RSA':
        return ['PS256', 'PS384', 'PS512'];
      default:
        return [];
    }
  })().filter((alg) => (CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(alg));
  return key.alg === undefined ? byType : byType.filter((alg) => alg === key.alg);
}

export function rsaModulusBits(key: JWK): number {
  if (typeof key.n !== 'string') return 0;
  const bytes = Buffer.from(key.n, 'base64url');
  let bits = bytes.length * 8;
  for (let i = 0; i < bytes.length && bytes[i] === 0; i++) bits -= 8;
  const first = bytes.find((b) => b !== 0);
  if (first !== undefined) bits -= Math.clz32(first) - 24;
  return bits;
}

function whole(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ServerConfigError(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

function absoluteHttpUrl(value: unknown, name: string): URL {
  if (typeof value !== 'string' || !URL.canParse(value)) throw new ServerConfigError(`${name} must be an absolute URL`);
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ServerConfigError(`${name} must be an http(s) URL`);
  if (url.search || url.hash) throw new ServerConfigError(`${name} must have no query or fragment (RFC 8414 §2)`);
  return url;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The client list as handed back to callers: credentials included, internal sets as arrays. */
export function describeClients(configs: readonly ReferenceClientConfig[], resolved: ResolvedServerConfig): Record<string, ReferenceClientInfo> {
  const out: Record<string, ReferenceClientInfo> = {};
  for (const config of configs) {
    const client = resolved.clients.get(config.id)!;
    out[client.id] = {
      id: client.id,
      ...(client.secret !== undefined ? { secret: client.secret } : {}),
      authMethods: [...client.authMethods],
      scopes: [...client.scopes],
      grantTypes: [...client.grantTypes],
      requireDpop: client.requireDpop,
      ...(client.jwks ? { jwks: client.jwks } : {}),
      ...(config.privateJwk ? { privateJwk: config.privateJwk } : {}),
    };
  }
  return out;
}
