/**
 * Configuration of the reference token server: the types users write, the
 * demo defaults, and `resolveServerConfig`, which checks a configuration once
 * at start-up and turns it into the frozen form the request pipeline reads.
 */
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { FromSchema } from 'json-schema-to-ts';
import { createSchemaValidator, formatSchemaProblem, isPlainText, type SchemaProblem } from '../config-schema';
import { ServerConfigError } from '../errors';
import { SCOPE_TOKEN } from '../oauth/grammar';
import { sha256Thumbprint } from '../oauth/thumbprint';
import { CLIENT_CREDENTIALS_GRANT, CONFIDENTIAL_AUTH_METHODS, PRIVATE_JWK_MEMBERS } from '../oauth/protocol';

/** The methods a reference-server client may be registered for: those of confidential clients (src/oauth/protocol.ts). */
export const CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** Grant types the server implements (RFC 6749 §4.4 only). */
export const SUPPORTED_GRANT_TYPES = [CLIENT_CREDENTIALS_GRANT] as const;

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

export { PRIVATE_JWK_MEMBERS, SCOPE_TOKEN };
/** A token endpoint path: "/" then visible ASCII without "?" or "#" (no query, no fragment, no spaces). */
const PATH_PATTERN = '^/[\\x21\\x22\\x24-\\x3e\\x40-\\x7e]*$';
/** A listen address: a host name or an IP address, never blank. */
const HOST_PATTERN = '^\\S+$';

/** An open JWK object: RFC 7517 §4 lets a JWK carry members an implementation does not understand. */
const jwkSchema = {
  type: 'object',
  description: 'A JWK (RFC 7517).',
  additionalProperties: true,
  properties: { kty: { type: 'string', description: 'The key type (RFC 7517 §4.1).' } },
  required: ['kty'],
} as const;

const clientSchema = {
  type: 'object',
  description: 'A client registered with the reference server.',
  additionalProperties: false,
  required: ['id', 'authMethods'],
  properties: {
    id: { type: 'string', minLength: 1, description: 'The client_id (RFC 6749 §2.2).' },
    secret: { type: 'string', minLength: 1, description: 'Shared secret for client_secret_basic / client_secret_post (RFC 6749 §2.3.1).' },
    jwks: {
      type: 'object',
      description: 'Public keys for private_key_jwt (RFC 7523); private members are refused.',
      additionalProperties: true,
      required: ['keys'],
      properties: { keys: { type: 'array', minItems: 1, description: 'The public JWKs (RFC 7517 §5).', items: jwkSchema } },
    },
    authMethods: {
      type: 'array',
      minItems: 1,
      description: 'Authentication methods this client may use (RFC 7591 token_endpoint_auth_method, several allowed).',
      items: { type: 'string', enum: CLIENT_AUTH_METHODS, description: 'An authentication method.' },
    },
    scopes: {
      description: 'Scopes the client may be granted; also its default when a request names none (RFC 6749 §3.3).',
      anyOf: [
        { type: 'array', description: 'Scope tokens.', items: { type: 'string', description: 'A scope token.' } },
        { type: 'string', description: 'Space-separated scope tokens (RFC 6749 §3.3).' },
      ],
    },
    grantTypes: {
      type: 'array',
      description: 'Grant types registered for the client; default ["client_credentials"]. [] → unauthorized_client (RFC 6749 §5.2).',
      items: { type: 'string', description: 'A grant type.' },
    },
    requireDpop: { type: 'boolean', description: 'Refuse Bearer tokens: a request without a DPoP proof gets invalid_request (RFC 9449 §5).' },
    privateJwk: { ...jwkSchema, description: "Demo only: the client's private JWK, handed back to the caller, never used by the server." },
  },
} as const;

const dpopSchema = {
  type: 'object',
  description: 'DPoP (RFC 9449) settings.',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean', description: 'Accept DPoP proofs at all. Default true; false ignores proofs and issues Bearer tokens (RFC 9449 §5).' },
    requireNonce: { type: 'boolean', description: 'Demand a server nonce in every proof (RFC 9449 §8). Default false.' },
    iatWindowSeconds: {
      type: 'integer',
      minimum: 1,
      maximum: 3600,
      description: "Accepted distance between a proof's iat and now, both ways (RFC 9449 §11.1). Default 60.",
    },
    nonceLifetimeSeconds: {
      type: 'integer',
      minimum: 1,
      maximum: 86_400,
      description: 'How long an issued nonce stays valid; nonces rotate at this period. Default 300.',
    },
  },
} as const;

/**
 * The reference server's configuration as a JSON Schema (draft-07): what a
 * `serve --config` file, `serve` flags and a programmatic config may say,
 * checked by one Ajv validation (`checkServerConfigSchema`). The types below
 * come from it; `clock`, a function, is added in TypeScript only.
 */
export const referenceServerConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'token-contract reference server configuration',
  description: 'Configuration of the reference token server (`token-contract serve --config FILE`, createReferenceServer).',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', description: 'The schema this file follows (for editors); ignored.' },
    issuer: { type: 'string', format: 'uri', description: 'Issuer identifier (RFC 8414 §2); default the server origin, e.g. http://127.0.0.1:54321.' },
    clients: { type: 'array', description: 'Registered clients; default the demo clients (see createDemoClients).', items: clientSchema },
    scopes: {
      type: 'array',
      description: 'Every scope the server knows; default read write admin.',
      items: { type: 'string', pattern: SCOPE_TOKEN.source, description: 'An RFC 6749 §3.3 scope token.' },
    },
    tokenLifetimeSeconds: {
      type: 'integer',
      minimum: 1,
      maximum: 31_536_000,
      description: 'expires_in and access-token exp distance. Default 900 (attesto_phoenix access_token_ttl).',
    },
    dpop: dpopSchema,
    maxBodyBytes: {
      type: 'integer',
      minimum: 64,
      maximum: 16 * 1024 * 1024,
      description: 'Largest accepted request body; larger → 413 without reading the rest. Default 65536.',
    },
    clientAssertionMaxLifetimeSeconds: {
      type: 'integer',
      minimum: 1,
      maximum: 86_400,
      description: 'Upper bound of exp − now for client assertions (RFC 7523 §3 item 4). Default 300.',
    },
    replayCacheSize: {
      type: 'integer',
      minimum: 1,
      maximum: 10_000_000,
      description:
        'Most live entries per replay cache (DPoP jti, assertion jti). An entry lives until its credential expires and is never evicted early; when full, new proofs and assertions get 503 temporarily_unavailable with Retry-After. Default 10000.',
    },
    audience: { type: 'string', minLength: 1, description: 'Access-token aud (RFC 9068 §2.2). Default the issuer.' },
    path: { type: 'string', pattern: PATH_PATTERN, description: 'Token endpoint path. Default /oauth/token.' },
    host: { type: 'string', minLength: 1, pattern: HOST_PATTERN, description: 'Listen address; default 127.0.0.1.' },
    port: { type: 'integer', minimum: 0, maximum: 65_535, description: 'Listen port; default 0 (ephemeral).' },
  },
} as const;

type SchemaServerConfig = FromSchema<typeof referenceServerConfigSchema>;

/** A registered client; `jwks` and `privateJwk` typed as jose's `JWK` (the schema says "an object with kty"). */
export type ReferenceClientConfig = Omit<FromSchema<typeof clientSchema>, 'jwks' | 'privateJwk'> & {
  jwks?: { keys: JWK[] };
  privateJwk?: JWK;
};

export type ReferenceDpopConfig = FromSchema<typeof dpopSchema>;

export type ReferenceServerConfig = Omit<SchemaServerConfig, 'clients' | '$schema'> & {
  clients?: ReferenceClientConfig[];
  /** Clock in milliseconds since the epoch (tests); default `Date.now`. Not JSON, so not in the schema. */
  clock?: () => number;
};

const validator = createSchemaValidator(referenceServerConfigSchema, {
  // Everything under a client may be a credential (secret, privateJwk): never shown.
  isSecret: (segments) => segments[0] === 'clients',
  patternWords: {
    [SCOPE_TOKEN.source]: 'be an RFC 6749 §3.3 scope token',
    [PATH_PATTERN]: 'start with "/" and hold no query, fragment or spaces',
    [HOST_PATTERN]: 'be a host name or address without spaces',
  },
});

/**
 * The first schema problem of a server configuration (`clock` aside, it is
 * no JSON), or undefined: for callers that word the place themselves (the
 * CLI names a flag).
 */
export function checkServerConfigSchema(config: unknown): SchemaProblem | undefined {
  // Only a function is the clock; a file's "clock" (never a function) is an unknown member.
  if (!isObject(config) || typeof config.clock !== 'function') return validator.check(config);
  const { clock: _notJson, ...json } = config;
  return validator.check(json);
}

/** Throws a `ServerConfigError` for the first schema problem, the message starting with `where` (`config`, a file name). */
export function assertServerConfigSchema(config: unknown, where = 'config'): void {
  const problem = checkServerConfigSchema(config);
  if (problem !== undefined) throw new ServerConfigError(formatSchemaProblem(problem, where));
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
  const kid = await sha256Thumbprint(publicJwk);
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

/** Checks a configuration and fills in defaults. Throws `ServerConfigError` naming the problem. */
export async function resolveServerConfig(config: ReferenceServerConfig = {}): Promise<ResolvedServerConfig> {
  if (isObject(config) && config.clock !== undefined && typeof config.clock !== 'function') throw new ServerConfigError('clock must be a function');
  // Programmatic configs get the same schema check as files and flags.
  assertServerConfigSchema(config, 'config');
  const knownScopes = new Set(config.scopes ?? DEFAULT_SCOPES);
  const clientConfigs = config.clients ?? (await createDemoClients());
  const clients = new Map<string, RegisteredClient>();
  for (const [index, client] of clientConfigs.entries()) {
    const registered = await resolveClient(client, `clients[${index}]`, knownScopes);
    if (clients.has(registered.id)) throw new ServerConfigError(`clients[${index}].id ${JSON.stringify(registered.id)} is registered twice`);
    clients.set(registered.id, registered);
  }
  const dpop = config.dpop ?? {};
  if (dpop.enabled === false && dpop.requireNonce === true) throw new ServerConfigError('dpop.requireNonce needs DPoP enabled');
  if (config.issuer !== undefined) absoluteHttpUrl(config.issuer, 'issuer');
  return Object.freeze({
    clients,
    scopes: knownScopes,
    tokenLifetimeSeconds: config.tokenLifetimeSeconds ?? 900,
    dpopEnabled: dpop.enabled ?? true,
    requireNonce: dpop.requireNonce ?? false,
    iatWindowSeconds: dpop.iatWindowSeconds ?? 60,
    nonceLifetimeSeconds: dpop.nonceLifetimeSeconds ?? 300,
    maxBodyBytes: config.maxBodyBytes ?? 65_536,
    clientAssertionMaxLifetimeSeconds: config.clientAssertionMaxLifetimeSeconds ?? 300,
    replayCacheSize: config.replayCacheSize ?? 10_000,
    path: config.path ?? '/oauth/token',
    host: config.host ?? '127.0.0.1',
    port: config.port ?? 0,
    issuer: config.issuer,
    audience: config.audience,
    clock: config.clock ?? Date.now,
  });
}

/** What the schema cannot say about a client: a secret for the secret methods, scopes the server knows, usable public keys. */
async function resolveClient(client: ReferenceClientConfig, where: string, knownScopes: ReadonlySet<string>): Promise<RegisteredClient> {
  const authMethods = client.authMethods;
  const usesSecret = authMethods.includes('client_secret_basic') || authMethods.includes('client_secret_post');
  if (usesSecret && client.secret === undefined) {
    throw new ServerConfigError(`${where}.secret is required for client_secret_basic / client_secret_post`);
  }
  const scopes = typeof client.scopes === 'string' ? client.scopes.split(' ').filter(Boolean) : (client.scopes ?? []);
  for (const scope of scopes) {
    // A scope is no secret, but this list sits under a client, where a misplaced secret may land: quoted only when plainly none.
    const named = isPlainText(scope) ? ` ${JSON.stringify(scope)}` : ' a scope (not shown)';
    if (!knownScopes.has(scope)) throw new ServerConfigError(`${where}.scopes names${named}, which is not in the server's scopes`);
  }
  const grantTypes = client.grantTypes ?? [...SUPPORTED_GRANT_TYPES];
  let assertionAlgorithms: string[] = [];
  if (authMethods.includes('private_key_jwt')) {
    assertionAlgorithms = await checkClientJwks(client.jwks, `${where}.jwks`);
  }
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
  if (jwks === undefined) {
    throw new ServerConfigError(`${where} must be a JWK Set with at least one public key (required for private_key_jwt)`);
  }
  const algorithms = new Set<string>();
  for (const [index, key] of jwks.keys.entries()) {
    const at = `${where}.keys[${index}]`;
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
