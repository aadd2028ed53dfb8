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
import {
  AUTHORIZATION_CODE_GRANT,
  CLIENT_AUTH_METHODS as ALL_CLIENT_AUTH_METHODS,
  CLIENT_CREDENTIALS_GRANT,
  TOKEN_GRANT_TYPES,
  CONFIDENTIAL_AUTH_METHODS,
  MTLS_AUTH_METHODS,
  PRIVATE_JWK_MEMBERS,
  isMtlsAuthMethod,
  REFRESH_TOKEN_GRANT,
  type ConfidentialAuthMethod,
  type MtlsAuthMethod,
} from '../oauth/protocol';
import { X509Certificate } from 'node:crypto';
import type { CertificateAuthority } from '../oauth/x509';

/**
 * The methods a confidential reference-server client authenticates with
 * (src/oauth/protocol.ts). A public client is registered with `none`
 * instead (REGISTRABLE_AUTH_METHODS) and has none of these.
 */
export const CLIENT_AUTH_METHODS = [...CONFIDENTIAL_AUTH_METHODS, ...MTLS_AUTH_METHODS] as const;
export type ClientAuthMethod = ConfidentialAuthMethod | MtlsAuthMethod;

/** What `authMethods` may list: the confidential methods (mutual TLS among them, RFC 8705 §2), or `none` alone for a public client (RFC 7591 §2, RFC 6749 §2.1). */
export const REGISTRABLE_AUTH_METHODS = [...ALL_CLIENT_AUTH_METHODS, ...MTLS_AUTH_METHODS] as const;

/** Grant types the server implements: RFC 6749 §4.4, §4.1 (with PKCE, RFC 7636) and §6. */
export const SUPPORTED_GRANT_TYPES = TOKEN_GRANT_TYPES;

/** A client registered without `grantTypes`: a confidential one keeps client_credentials, as before; a public one gets the grants it may use. */
const DEFAULT_CONFIDENTIAL_GRANTS = [CLIENT_CREDENTIALS_GRANT] as const;
const DEFAULT_PUBLIC_GRANTS = [AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT] as const;

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
      description:
        'Public keys for private_key_jwt (RFC 7523); for self_signed_tls_client_auth, keys whose x5c holds the registered certificate (RFC 8705 §2.2.2). Private members are refused.',
      additionalProperties: true,
      required: ['keys'],
      properties: { keys: { type: 'array', minItems: 1, description: 'The public JWKs (RFC 7517 §5).', items: jwkSchema } },
    },
    authMethods: {
      type: 'array',
      minItems: 1,
      description:
        'Authentication methods this client may use (RFC 7591 token_endpoint_auth_method, several allowed); ["none"] alone registers a public client (RFC 6749 §2.1), for authorization_code and refresh_token only.',
      items: { type: 'string', enum: REGISTRABLE_AUTH_METHODS, description: 'An authentication method.' },
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
      description:
        'Grant types registered for the client (client_credentials, authorization_code, refresh_token); default ["client_credentials"], for a public client ["authorization_code", "refresh_token"]. [] → unauthorized_client (RFC 6749 §5.2). Refresh tokens are issued with authorization_code to clients registered for refresh_token.',
      items: { type: 'string', description: 'A grant type.' },
    },
    redirectUris: {
      type: 'array',
      description: 'Registered redirect URIs (RFC 6749 §3.1.2, RFC 7591 redirect_uris), compared by exact string match (RFC 9700 §4.1.3); required with authorization_code.',
      items: { type: 'string', format: 'uri', description: 'An absolute URI without a fragment (RFC 6749 §3.1.2).' },
    },
    requireDpop: { type: 'boolean', description: 'Refuse Bearer tokens: a request without a DPoP proof gets invalid_request (RFC 9449 §5).' },
    tlsClientAuthSubjectDn: {
      type: 'string',
      minLength: 1,
      description: 'tls_client_auth: the subject distinguished name its certificate must carry (RFC 8705 §2.1.2 tls_client_auth_subject_dn), e.g. CN=mtls-client.',
    },
    certificateBoundTokens: {
      type: 'boolean',
      description: 'Issue this client certificate-bound tokens only (RFC 8705 §3.4 tls_client_certificate_bound_access_tokens): a request without a client certificate gets invalid_request.',
    },
    certificate: { type: 'string', minLength: 1, description: "Demo only: the client's certificate (PEM), handed back to the caller with certificateKey." },
    certificateKey: { type: 'string', minLength: 1, description: "Demo only: the client certificate's private key (PEM), handed back to the caller, never used by the server." },
    privateJwk: { ...jwkSchema, description: "Demo only: the client's private JWK, handed back to the caller, never used by the server." },
  },
} as const;

const mtlsSchema = {
  type: 'object',
  description:
    'Mutual TLS (RFC 8705): a second listener, https, that asks for client certificates: tls_client_auth and self_signed_tls_client_auth, and tokens bound to the certificate (cnf x5t#S256). Certificates not given are generated at start under a CA of its own.',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', minimum: 0, maximum: 65_535, description: 'Port of the mutual-TLS listener; default 0 (ephemeral).' },
    certificate: { type: 'string', minLength: 1, description: "The listener's TLS certificate (PEM); with key. Default: issued by the generated CA for 127.0.0.1 and localhost." },
    key: { type: 'string', minLength: 1, description: "The listener's private key (PEM)." },
    clientCa: { type: 'string', minLength: 1, description: 'The CA certificate(s) (PEM) tls_client_auth certificates must chain to. Default: the generated CA.' },
    trustedProxies: {
      type: 'array',
      description:
        'Peer addresses of TLS-terminating proxies whose Client-Cert header (RFC 9440) is taken as the client certificate on the plain listener. From anyone else the header is ignored (RFC 9700 §4.13 spirit: a client cannot claim a certificate by a header).',
      items: { type: 'string', minLength: 1, description: 'An IP address, as the socket reports it (127.0.0.1, ::1).' },
    },
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

const refreshTokensSchema = {
  type: 'object',
  description: 'Refresh tokens (RFC 6749 §6), issued with authorization_code to clients registered for refresh_token.',
  additionalProperties: false,
  properties: {
    rotate: {
      type: 'boolean',
      description: 'Issue a new refresh token on every refresh and retire the old one; reuse of a retired one revokes its whole family (RFC 9700 §4.14.2). Default true.',
    },
    graceSeconds: {
      type: 'integer',
      minimum: 0,
      maximum: 3600,
      description:
        'After a rotation, a retry with the same refresh token returns the same successor for this long instead of revoking the family (attesto behaviour); 0 = no grace. Default 60.',
    },
    lifetimeSeconds: {
      type: 'integer',
      minimum: 1,
      maximum: 31_536_000,
      description: 'How long each refresh token can be used, from its issue. Default 86400.',
    },
  },
} as const;

/** Token endpoint authentication method names a metadata lie may use (RFC 8414 §2, the IANA OAuth registry). */
export const METADATA_AUTH_METHOD_NAMES = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'] as const;

/**
 * Test only: one way the RFC 8414 metadata document departs from what the
 * server does, so a metadata check can be shown to catch it. Exactly one
 * member; only the document changes, never the token endpoint's behaviour.
 */
const metadataLieSchema = {
  type: 'object',
  description:
    'TEST ONLY: make the RFC 8414 metadata document lie in exactly one way (one member), to exercise metadata checks. Only the served document changes; the token endpoint behaves as without it. Never set this on a server anyone relies on.',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    advertiseAuthMethod: {
      type: 'string',
      enum: METADATA_AUTH_METHOD_NAMES,
      description: 'Add to token_endpoint_auth_methods_supported a method the token endpoint refuses (no client is registered with it), e.g. client_secret_jwt.',
    },
    hideAuthMethod: {
      type: 'string',
      enum: METADATA_AUTH_METHOD_NAMES,
      description: 'Leave out of token_endpoint_auth_methods_supported a method the token endpoint accepts (some client is registered with it), e.g. client_secret_post.',
    },
    advertiseDpopAlg: {
      type: 'string',
      minLength: 1,
      description: 'Add to dpop_signing_alg_values_supported an algorithm DPoP proofs are refused with, e.g. ES256K (needs DPoP enabled).',
    },
    advertiseGrant: {
      type: 'string',
      minLength: 1,
      description: 'Add to grant_types_supported a grant the token endpoint answers with unsupported_grant_type, e.g. urn:ietf:params:oauth:grant-type:device_code.',
    },
    issuer: { type: 'string', format: 'uri', description: 'Serve this issuer in the document instead of the real one (RFC 8414 §3.3 says a client must then refuse the document).' },
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
    mtls: mtlsSchema,
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
    codeLifetimeSeconds: {
      type: 'integer',
      minimum: 1,
      maximum: 600,
      description: 'How long an authorization code can be redeemed (RFC 6749 §4.1.2: short, at most 10 minutes recommended). Default 60.',
    },
    refreshTokens: refreshTokensSchema,
    grantStoreSize: {
      type: 'integer',
      minimum: 1,
      maximum: 10_000_000,
      description:
        'Most live entries in each grant store (authorization codes, refresh tokens). Entries live until they expire, used codes and rotated refresh tokens too (to recognise reuse); when full, new ones get 503 temporarily_unavailable with Retry-After. Default 10000.',
    },
    demoUser: {
      type: 'string',
      minLength: 1,
      description: 'Test only: the resource owner /authorize approves without asking, the sub of tokens issued by authorization_code. Default "demo-user".',
    },
    path: { type: 'string', pattern: PATH_PATTERN, description: 'Token endpoint path. Default /oauth/token.' },
    host: { type: 'string', minLength: 1, pattern: HOST_PATTERN, description: 'Listen address; default 127.0.0.1.' },
    port: { type: 'integer', minimum: 0, maximum: 65_535, description: 'Listen port; default 0 (ephemeral).' },
    metadataLie: metadataLieSchema,
  },
} as const;

type SchemaServerConfig = FromSchema<typeof referenceServerConfigSchema>;

/** A registered client; `jwks` and `privateJwk` typed as jose's `JWK` (the schema says "an object with kty"). */
export type ReferenceClientConfig = Omit<FromSchema<typeof clientSchema>, 'jwks' | 'privateJwk'> & {
  jwks?: { keys: JWK[] };
  privateJwk?: JWK;
};

export type ReferenceDpopConfig = FromSchema<typeof dpopSchema>;
export type ReferenceMtlsConfig = FromSchema<typeof mtlsSchema>;
export type ReferenceRefreshTokenConfig = FromSchema<typeof refreshTokensSchema>;
/** Test only: one lie in the metadata document (see `metadataLieSchema`). */
export type ReferenceMetadataLie = FromSchema<typeof metadataLieSchema>;

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
  const json = isObject(config) && typeof config.clock === 'function' ? (({ clock: _notJson, ...rest }) => rest)(config) : config;
  const problem = validator.check(json);
  return problem?.instancePath === '/metadataLie' ? (metadataLieCountProblem(json) ?? problem) : problem;
}

/** `metadataLie` with no member or more than one, in words that name them (the schema's min/maxProperties, said clearly). */
function metadataLieCountProblem(config: unknown): SchemaProblem | undefined {
  const lie: unknown = isObject(config) ? config.metadataLie : undefined;
  if (!isObject(lie)) return undefined;
  const members = Object.keys(lie);
  if (members.length === 1) return undefined;
  const problem =
    members.length === 0
      ? `names no lie: give exactly one of ${Object.keys(metadataLieSchema.properties).join(', ')}`
      : `tells one lie at a time: give one of ${members.map((m) => JSON.stringify(m)).join(', ')}, not ${members.length === 2 ? 'both' : 'several'}`;
  return { instancePath: '/metadataLie', path: 'metadataLie', kind: 'object', problem };
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
  /** Registered with `none`: a public client (RFC 6749 §2.1), identified by client_id alone; `authMethods` is then empty. */
  readonly isPublic: boolean;
  /** Registered redirect URIs, exactly as configured (RFC 6749 §3.1.2). */
  readonly redirectUris: readonly string[];
  /** tls_client_auth: the subject DN its certificate must carry (RFC 8705 §2.1.2), its RDNs in the configured (RFC 4514) order. */
  readonly tlsSubjectDn?: readonly string[];
  /** self_signed_tls_client_auth: the DER of each registered certificate (jwks x5c, RFC 8705 §2.2.2). */
  readonly registeredCertificates: readonly Buffer[];
  /** Certificate-bound tokens only (RFC 8705 §3.4). */
  readonly certificateBoundTokens: boolean;
}

/** A client as reported back to the caller (the demo config's credentials included). */
export interface ReferenceClientInfo {
  id: string;
  secret?: string;
  /** The confidential methods it authenticates with; empty for a public client (see `publicClient`). */
  authMethods: ClientAuthMethod[];
  /** Registered with `none` (RFC 6749 §2.1): sends its client_id and no credential; authorization_code and refresh_token only. */
  publicClient: boolean;
  /** Registered redirect URIs (RFC 6749 §3.1.2). */
  redirectUris: string[];
  scopes: string[];
  grantTypes: string[];
  /** The client must present a DPoP proof (no Bearer tokens). */
  requireDpop: boolean;
  jwks?: { keys: JWK[] };
  privateJwk?: JWK;
  /** tls_client_auth: the registered subject DN (RFC 8705 §2.1.2). */
  tlsClientAuthSubjectDn?: string;
  /** Demo clients of mutual TLS: the certificate and its key (PEM), for a caller to present. */
  certificate?: string;
  certificateKey?: string;
  /** It gets certificate-bound tokens only (RFC 8705 §3.4). */
  certificateBoundTokens: boolean;
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
  readonly codeLifetimeSeconds: number;
  readonly refreshTokenRotation: boolean;
  readonly refreshTokenGraceSeconds: number;
  readonly refreshTokenLifetimeSeconds: number;
  readonly grantStoreSize: number;
  readonly demoUser: string;
  readonly path: string;
  readonly host: string;
  readonly port: number;
  readonly issuer?: string;
  readonly audience?: string;
  readonly clock: () => number;
  /** The grants the token endpoint serves: those it implements that some client is registered for; any other is unsupported_grant_type. */
  readonly grantTypes: ReadonlySet<string>;
  /** Test only: the one lie the metadata document tells (config `metadataLie`), checked to be one. */
  readonly metadataLie?: Readonly<ReferenceMetadataLie>;
  /** The mutual-TLS listener (config `mtls`), when configured. */
  readonly mtls?: {
    readonly port: number;
    readonly certificate?: string;
    readonly key?: string;
    readonly clientCa?: string;
    readonly trustedProxies: ReadonlySet<string>;
  };
}

export { ServerConfigError };

export const DEFAULT_SCOPES = ['read', 'write', 'admin'] as const;

/** Where the demo authorization-code clients are sent back to; nothing listens there, the code is read from the redirect's Location. */
export const DEMO_REDIRECT_URI = 'http://127.0.0.1/callback';

/**
 * The demo clients of shared-apis.md: one per authentication method, one
 * registered for no grant type, and one that must use DPoP; then, for
 * authorization_code (with refresh tokens), a public client and a
 * confidential one. The `jwt-client` key is generated per call. The
 * conformance suite's default run tests the client_credentials clients
 * (src/conformance/reference-run.ts): the authorization-code clients come
 * last, have no client_credentials grant and no scope it treats as invalid.
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
    // RFC 6749 §2.1 public client: client_id alone, PKCE, and refresh tokens bound to its DPoP key (RFC 9449 §5).
    { id: 'public-client', authMethods: ['none'], scopes: ['read', 'write'], grantTypes: [AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT], redirectUris: [DEMO_REDIRECT_URI] },
    {
      id: 'code-client',
      secret: 'code-secret',
      authMethods: ['client_secret_basic'],
      scopes: ['read', 'write'],
      grantTypes: [AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT],
      redirectUris: [DEMO_REDIRECT_URI],
    },
  ];
}

/**
 * The demo clients of mutual TLS (RFC 8705 §2), for a server with `mtls`:
 * one whose certificate the listener's CA issued (tls_client_auth, subject
 * CN=mtls-client), one with a self-signed certificate registered in its
 * jwks (self_signed_tls_client_auth); each handed back with its certificate
 * and key. Then `bound-client`, Basic with a certificate under the CA, that
 * gets certificate-bound tokens only (§3.4): without its certificate, none.
 */
export async function createMtlsDemoClients(ca: CertificateAuthority): Promise<ReferenceClientConfig[]> {
  const { createSelfSignedClientCertificate, certificateDer } = await import('../oauth/x509');
  const issued = await ca.issue('CN=mtls-client', {});
  const boundCertificate = await ca.issue('CN=bound-client', {});
  const selfSigned = await createSelfSignedClientCertificate('CN=self-signed-client');
  const { publicKey } = new X509Certificate(selfSigned.certificate);
  const jwk = (await exportJWK(publicKey)) as JWK;
  return [
    { id: 'mtls-client', authMethods: ['tls_client_auth'], tlsClientAuthSubjectDn: 'CN=mtls-client', scopes: ['read', 'write'], certificate: issued.certificate, certificateKey: issued.key },
    {
      id: 'self-signed-client',
      authMethods: ['self_signed_tls_client_auth'],
      jwks: { keys: [{ ...jwk, x5c: [certificateDer(selfSigned.certificate).toString('base64')] }] },
      scopes: ['read', 'write'],
      certificate: selfSigned.certificate,
      certificateKey: selfSigned.key,
    },
    {
      id: 'bound-client',
      secret: 'bound-secret',
      authMethods: ['client_secret_basic'],
      scopes: ['read', 'write'],
      certificateBoundTokens: true,
      certificate: boundCertificate.certificate,
      certificateKey: boundCertificate.key,
    },
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
  const refresh = config.refreshTokens ?? {};
  const dpopEnabled = dpop.enabled ?? true;
  const mtlsClient = [...clients.values()].find((client) => [...client.authMethods].some(isMtlsAuthMethod) || client.certificateBoundTokens);
  if (mtlsClient !== undefined && config.mtls === undefined) {
    throw new ServerConfigError(`client ${JSON.stringify(mtlsClient.id)} uses mutual TLS (RFC 8705): configure "mtls" (the listener that asks for client certificates)`);
  }
  const registeredGrants = new Set([...clients.values()].flatMap((client) => [...client.grantTypes]));
  // In the server's order, and only those it implements (a client may be registered for others).
  const grantTypes = new Set<string>(SUPPORTED_GRANT_TYPES.filter((grant) => registeredGrants.has(grant)));
  if (config.metadataLie !== undefined) checkMetadataLie(config.metadataLie, { clients, grantTypes, dpopEnabled, issuer: config.issuer });
  return Object.freeze({
    clients,
    scopes: knownScopes,
    tokenLifetimeSeconds: config.tokenLifetimeSeconds ?? 900,
    dpopEnabled,
    requireNonce: dpop.requireNonce ?? false,
    iatWindowSeconds: dpop.iatWindowSeconds ?? 60,
    nonceLifetimeSeconds: dpop.nonceLifetimeSeconds ?? 300,
    maxBodyBytes: config.maxBodyBytes ?? 65_536,
    clientAssertionMaxLifetimeSeconds: config.clientAssertionMaxLifetimeSeconds ?? 300,
    replayCacheSize: config.replayCacheSize ?? 10_000,
    codeLifetimeSeconds: config.codeLifetimeSeconds ?? 60,
    refreshTokenRotation: refresh.rotate ?? true,
    refreshTokenGraceSeconds: refresh.graceSeconds ?? 60,
    refreshTokenLifetimeSeconds: refresh.lifetimeSeconds ?? 86_400,
    grantStoreSize: config.grantStoreSize ?? 10_000,
    demoUser: config.demoUser ?? 'demo-user',
    path: config.path ?? '/oauth/token',
    host: config.host ?? '127.0.0.1',
    port: config.port ?? 0,
    issuer: config.issuer,
    audience: config.audience,
    clock: config.clock ?? Date.now,
    grantTypes,
    ...(config.metadataLie !== undefined ? { metadataLie: Object.freeze({ ...config.metadataLie }) } : {}),
    ...(config.mtls !== undefined ? { mtls: resolveMtls(config.mtls) } : {}),
  });
}

function resolveMtls(mtls: ReferenceMtlsConfig): NonNullable<ResolvedServerConfig['mtls']> {
  if ((mtls.certificate === undefined) !== (mtls.key === undefined)) throw new ServerConfigError('mtls: give certificate and key together');
  for (const member of ['certificate', 'clientCa'] as const) {
    const pem = mtls[member];
    if (pem === undefined) continue;
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw new ServerConfigError(`mtls.${member} is not a PEM certificate: ${(error as Error).message}`);
    }
  }
  return Object.freeze({
    port: mtls.port ?? 0,
    ...(mtls.certificate !== undefined ? { certificate: mtls.certificate } : {}),
    ...(mtls.key !== undefined ? { key: mtls.key } : {}),
    ...(mtls.clientCa !== undefined ? { clientCa: mtls.clientCa } : {}),
    trustedProxies: new Set(mtls.trustedProxies ?? []),
  });
}

/** The token endpoint authentication methods the server accepts: those some client is registered with (`none` for a public client). */
export function acceptedAuthMethods(clients: ReadonlyMap<string, RegisteredClient>): Set<string> {
  const methods = new Set<string>();
  for (const client of clients.values()) {
    client.authMethods.forEach((m) => methods.add(m));
    if (client.isPublic) methods.add('none');
  }
  return methods;
}

/**
 * A lie must be one: what it advertises is refused, what it hides is
 * accepted, its issuer is not the configured one. (An issuer left to the
 * server's origin is compared once the port is known, in createReferenceServer.)
 */
function checkMetadataLie(
  lie: ReferenceMetadataLie,
  server: { clients: ReadonlyMap<string, RegisteredClient>; grantTypes: ReadonlySet<string>; dpopEnabled: boolean; issuer: string | undefined },
): void {
  const methods = acceptedAuthMethods(server.clients);
  const noLie = (member: string, why: string) => new ServerConfigError(`metadataLie.${member} is no lie: ${why}`);
  if (lie.advertiseAuthMethod !== undefined && methods.has(lie.advertiseAuthMethod)) {
    throw noLie('advertiseAuthMethod', `${JSON.stringify(lie.advertiseAuthMethod)} is accepted (a client is registered with it); name a method no client uses, e.g. client_secret_jwt`);
  }
  if (lie.hideAuthMethod !== undefined && !methods.has(lie.hideAuthMethod)) {
    throw noLie('hideAuthMethod', `${JSON.stringify(lie.hideAuthMethod)} is not accepted anyway (no client is registered with it); name one of ${[...methods].join(', ')}`);
  }
  if (lie.advertiseDpopAlg !== undefined) {
    if (!server.dpopEnabled) throw noLie('advertiseDpopAlg', 'DPoP is disabled, so no DPoP algorithms are advertised; enable it or choose another lie');
    if ((DPOP_ALGORITHMS as readonly string[]).includes(lie.advertiseDpopAlg)) {
      throw noLie('advertiseDpopAlg', `${JSON.stringify(lie.advertiseDpopAlg)} is accepted for DPoP proofs (accepted: ${DPOP_ALGORITHMS.join(', ')}); name one that is refused, e.g. ES256K`);
    }
  }
  if (lie.advertiseGrant !== undefined && server.grantTypes.has(lie.advertiseGrant)) {
    throw noLie('advertiseGrant', `${JSON.stringify(lie.advertiseGrant)} is served (a client is registered for it); name one answered with unsupported_grant_type`);
  }
  if (lie.issuer !== undefined && server.issuer !== undefined && lie.issuer === server.issuer) throw noLie('issuer', 'it is the configured issuer');
}

/**
 * What the schema cannot say about a client: a secret for the secret
 * methods, scopes the server knows, usable public keys, a public client
 * that is only public, and redirect URIs for authorization_code.
 */
async function resolveClient(client: ReferenceClientConfig, where: string, knownScopes: ReadonlySet<string>): Promise<RegisteredClient> {
  const isPublic = client.authMethods.includes('none');
  // RFC 6749 §2.1: a client is confidential or public, not both; a public client holds no credential.
  if (isPublic && client.authMethods.length > 1) throw new ServerConfigError(`${where}.authMethods: "none" (a public client) cannot be combined with another method (RFC 6749 2.1)`);
  if (isPublic && (client.secret !== undefined || client.jwks !== undefined)) throw new ServerConfigError(`${where}: a public client ("none") has no secret or jwks (RFC 6749 2.1)`);
  const authMethods = client.authMethods.filter((method): method is ClientAuthMethod => method !== 'none');
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
  const grantTypes = client.grantTypes ?? [...(isPublic ? DEFAULT_PUBLIC_GRANTS : DEFAULT_CONFIDENTIAL_GRANTS)];
  // RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential clients."
  if (isPublic && grantTypes.includes(CLIENT_CREDENTIALS_GRANT)) throw new ServerConfigError(`${where}.grantTypes: a public client ("none") cannot use client_credentials (RFC 6749 4.4)`);
  const redirectUris = client.redirectUris ?? [];
  for (const [index, uri] of redirectUris.entries()) {
    // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
    if (uri.includes('#')) throw new ServerConfigError(`${where}.redirectUris[${index}] must not have a fragment (RFC 6749 3.1.2)`);
  }
  // RFC 6749 §3.1.2.2 requires registration for public clients; this server requires it of every client, so matching is always exact.
  if (grantTypes.includes(AUTHORIZATION_CODE_GRANT) && redirectUris.length === 0) {
    throw new ServerConfigError(`${where}.redirectUris must list at least one URI for authorization_code (RFC 6749 3.1.2.2)`);
  }
  let assertionAlgorithms: string[] = [];
  if (authMethods.includes('private_key_jwt')) {
    assertionAlgorithms = await checkClientJwks(client.jwks, `${where}.jwks`);
  }
  // RFC 8705 §2.1.2: tls_client_auth names the subject the certificate must carry; §2.2.2: a self-signed client registers its certificates.
  if (authMethods.includes('tls_client_auth') && client.tlsClientAuthSubjectDn === undefined) {
    throw new ServerConfigError(`${where}.tlsClientAuthSubjectDn is required for tls_client_auth (RFC 8705 2.1.2), e.g. "CN=${client.id}"`);
  }
  const registeredCertificates = authMethods.includes('self_signed_tls_client_auth') ? registeredCertificatesOf(client.jwks, `${where}.jwks`) : [];
  return Object.freeze({
    id: client.id,
    secret: client.secret,
    jwks: client.jwks ? { keys: client.jwks.keys.map((key) => ({ ...key })) } : undefined,
    authMethods: new Set(authMethods),
    scopes: Object.freeze([...new Set(scopes)]),
    grantTypes: new Set(grantTypes),
    requireDpop: client.requireDpop ?? false,
    assertionAlgorithms: Object.freeze(assertionAlgorithms),
    isPublic,
    redirectUris: Object.freeze([...redirectUris]),
    ...(client.tlsClientAuthSubjectDn !== undefined ? { tlsSubjectDn: Object.freeze(relativeNames(client.tlsClientAuthSubjectDn)) } : {}),
    registeredCertificates: Object.freeze(registeredCertificates),
    certificateBoundTokens: client.certificateBoundTokens ?? false,
  });
}

/** The certificates of a self-signed client: the first x5c entry of each key that has one (RFC 7517 §4.7: base64 DER, leaf first). */
function registeredCertificatesOf(jwks: ReferenceClientConfig['jwks'], where: string): Buffer[] {
  const certificates: Buffer[] = [];
  for (const [index, key] of (jwks?.keys ?? []).entries()) {
    const leaf = Array.isArray(key.x5c) ? key.x5c[0] : undefined;
    if (typeof leaf !== 'string') continue;
    try {
      certificates.push(new X509Certificate(Buffer.from(leaf, 'base64')).raw);
    } catch (error) {
      throw new ServerConfigError(`${where}.keys[${index}].x5c[0] is not a certificate: ${(error as Error).message}`);
    }
  }
  if (certificates.length === 0) throw new ServerConfigError(`${where} must hold a key with x5c (the registered certificate) for self_signed_tls_client_auth (RFC 8705 2.2.2)`);
  return certificates;
}

/** The RDNs of an RFC 4514 distinguished name (`CN=a,O=b`); values with escaped commas are not supported. */
export function relativeNames(dn: string): string[] {
  return dn.split(',').map((rdn) => rdn.trim()).filter(Boolean);
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
      publicClient: client.isPublic,
      redirectUris: [...client.redirectUris],
      scopes: [...client.scopes],
      grantTypes: [...client.grantTypes],
      requireDpop: client.requireDpop,
      certificateBoundTokens: client.certificateBoundTokens,
      ...(client.jwks ? { jwks: client.jwks } : {}),
      ...(config.privateJwk ? { privateJwk: config.privateJwk } : {}),
      ...(config.tlsClientAuthSubjectDn !== undefined ? { tlsClientAuthSubjectDn: config.tlsClientAuthSubjectDn } : {}),
      ...(config.certificate !== undefined ? { certificate: config.certificate } : {}),
      ...(config.certificateKey !== undefined ? { certificateKey: config.certificateKey } : {}),
    };
  }
  return out;
}
