/**
 * The suite's configuration as a JSON Schema (draft-07): the one description
 * of what a config file, a programmatic config and the CLI flags may say.
 * The TypeScript types come from it (json-schema-to-ts `FromSchema`), the
 * validator compiles it, and the build publishes it as
 * `dist/conformance.schema.json` (scripts/write-schema.js) for editors.
 *
 * `additionalProperties: false` on every object the suite defines: a typo
 * must not silently disable a check. The two open objects are a private JWK
 * (RFC 7517 §4: members an implementation does not understand are ignored)
 * and the `{ id: reason }` map of expected failures.
 */
import type { FromSchema } from 'json-schema-to-ts';
import type { JWK } from 'jose';
import { DPOP_KEY_ALGORITHMS } from '../../oauth/keys';
import { CLIENT_AUTH_METHODS, MTLS_AUTH_METHODS, TOKEN_GRANT_TYPES } from '../../oauth/protocol';
import { FAIL_ON, PROFILES } from '../types';

/** The methods a suite client may use (src/oauth/protocol.ts): the confidential ones, and `none` for a public client of the authorization_code grant. */
/** What a client of the suite authenticates with: the methods of src/oauth/protocol.ts, and mutual TLS (RFC 8705 §2). */
export const AUTH_METHODS = [...CLIENT_AUTH_METHODS, ...MTLS_AUTH_METHODS] as const;

/** How the server treats a refresh token it has just rotated (`grants.refreshToken.rotation`, RFC 6749 §6, RFC 9700 §4.14.2). */
export const ROTATION_POLICIES = ['required', 'forbidden', 'any'] as const;
/** What a retry with a just-rotated refresh token gets within the grace window (`grants.refreshToken.grace`). */
export const GRACE_POLICIES = ['same-successor', 'new-successor', 'none'] as const;

/** A proxy URL's start (parseProxyUrl in ../proxy.ts reads the rest); the validator words it with PATTERN_WORDS. */
export const PROXY_URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$';
/** How a problem with each pattern is worded (`proxy must be …`). */
export const PATTERN_WORDS: Readonly<Record<string, string>> = {
  [PROXY_URL_PATTERN]: 'be an http:// or https:// proxy URL (http://host:port or http://user:password@host:port)',
};

/** One shaped header value: literal text, or the name of the environment variable that holds it (a gateway key is a secret). */
const headerValueSchema = {
  description: 'A header value: the text, or { "env": "VAR" } to read it from the environment when the run starts.',
  anyOf: [
    { type: 'string', description: 'The header value as sent.' },
    {
      type: 'object',
      description: 'Read the value from an environment variable.',
      additionalProperties: false,
      required: ['env'],
      properties: { env: { type: 'string', minLength: 1, description: 'Name of the environment variable holding the value.' } },
    },
  ],
} as const;

/** Extra header fields for every request (a gateway's API key, a tenant header); values are redacted in every report. */
const headersSchema = (description: string) =>
  ({
    type: 'object',
    description,
    additionalProperties: headerValueSchema,
  }) as const;

const clientSchema = {
  type: 'object',
  description: 'One client of the token endpoint under test.',
  additionalProperties: false,
  required: ['id', 'auth'],
  properties: {
    id: { type: 'string', minLength: 1, description: 'The client_id (RFC 6749 §2.2).' },
    auth: {
      type: 'string',
      enum: AUTH_METHODS,
      description:
        'How the client authenticates (RFC 6749 §2.3.1 client_secret_basic / client_secret_post; RFC 7523 private_key_jwt; none: a public client, RFC 6749 §2.1, which sends its client_id alone and cannot use client_credentials).',
    },
    grantTypes: {
      type: 'array',
      description:
        'The grants the server registers this client for and the suite uses it with (RFC 7591 §2 grant_types); default ["client_credentials"]. The list replaces the default: a client that also serves client_credentials lists it too. Add authorization_code (and refresh_token) for the checks of those grants (config "grants" says where codes come from).',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: TOKEN_GRANT_TYPES, description: 'A grant type.' },
    },
    secret: {
      type: 'string',
      minLength: 1,
      description: 'Client secret for client_secret_basic / client_secret_post. Prefer secretEnv: a secret in a file is a secret in the repository.',
    },
    secretEnv: { type: 'string', minLength: 1, description: 'Name of the environment variable holding the client secret.' },
    privateKey: {
      description: 'private_key_jwt: a private JWK object, or a path (relative to the config file) to a JWK JSON or PKCS#8 PEM file.',
      anyOf: [
        { type: 'string', minLength: 1, description: 'Path to a private JWK (JSON) or PKCS#8 PEM file.' },
        {
          type: 'object',
          description: 'A private JWK (RFC 7517); other JWK members are allowed (RFC 7517 §4).',
          additionalProperties: true,
          properties: { kty: { type: 'string', description: 'The key type (RFC 7517 §4.1).' } },
        },
      ],
    },
    audience: {
      type: 'string',
      description: "private_key_jwt: the assertion's aud (default: the token endpoint URL; RFC 7523 §3 item 3).",
    },
    alg: { type: 'string', description: 'private_key_jwt: signing algorithm (default from the key: ES256, RS256 → PS256, EdDSA).' },
    certificate: {
      type: 'string',
      minLength: 1,
      description:
        'Mutual TLS (RFC 8705): the client certificate (a PEM file path, relative to the config file, or the PEM itself), presented to the mTLS token endpoint (mtlsUrl). Required for tls_client_auth and self_signed_tls_client_auth; any other client with one gets certificate-bound tokens checked too.',
    },
    certificateKey: { type: 'string', minLength: 1, description: "The client certificate's private key: a PEM file path (relative to the config file), or the PEM itself (then never shown)." },
    certificateBoundTokens: {
      type: 'boolean',
      description: 'The server issues this client certificate-bound tokens only (RFC 8705 §3.4 tls_client_certificate_bound_access_tokens): enables mtls-required-absent.',
    },
    exclusiveAuthMethod: {
      type: 'boolean',
      description:
        'The server registers this client for its `auth` method alone (RFC 7591 §2 token_endpoint_auth_method) and must refuse the others: enables method-disallowed. RFC 6749 does not require such a binding, so it is not assumed.',
    },
    requireDpop: {
      type: 'boolean',
      description: 'The server requires DPoP from this client (RFC 9449; attesto `client_requires_dpop?`): no Bearer tokens for it.',
    },
    requiresDpop: {
      type: 'boolean',
      description: 'Deprecated alias of requireDpop (the reference server has always said requireDpop); give one of the two, not both.',
    },
    headers: headersSchema(
      "Header fields added to this client's requests, after the global headers (same name: this one wins). Authorization, DPoP, Content-Type and the other fields the suite generates are refused.",
    ),
  },
  // Both the name and its deprecated alias: which one wins would be a guess.
  not: { required: ['requireDpop', 'requiresDpop'] },
} as const;

/** A command the suite runs to obtain a credential: one string for the shell, or the program and its arguments. */
const commandSchema = (description: string) =>
  ({
    description,
    anyOf: [
      { type: 'string', minLength: 1, description: 'A command line, run by the shell (sh -c).' },
      { type: 'array', minItems: 1, items: { type: 'string' }, description: 'The program and its arguments, run without a shell.' },
    ],
  }) as const;

/** Where the suite gets authorization codes and refresh tokens, and what the server promises about them. */
const grantsSchema = {
  type: 'object',
  description:
    'The authorization_code and refresh_token grants (RFC 6749 §4.1, §6): where codes come from and how the server treats refresh tokens. Their checks use the clients whose grantTypes name the grant. Absent: those checks are skipped.',
  additionalProperties: false,
  properties: {
    authorizationCode: {
      type: 'object',
      description: 'The authorization_code grant with PKCE (RFC 6749 §4.1.3, RFC 7636).',
      additionalProperties: false,
      properties: {
        command: commandSchema(
          'Prints one fresh authorization code as JSON: {"code": "…", "code_verifier": "…", "redirect_uri": "…", "scope": "…"} (redirect_uri when the authorization request sent one; scope when it is not the one asked). Run once per code in the config file\'s folder, with TOKEN_CONTRACT_CLIENT_ID (and TOKEN_CONTRACT_SCOPE when a scope is asked, TOKEN_CONTRACT_DPOP_JKT when the code will be redeemed with DPoP: bind it with dpop_jkt if the server wants, RFC 9449 §10) in its environment; the code must have been issued for an S256 challenge of code_verifier. Its output and stderr are never shown: they carry credentials. A command that fails ends the run (exit 2).',
        ),
        scope: { type: 'string', description: 'The scope codes are asked for (TOKEN_CONTRACT_SCOPE); default the run\'s scope.' },
        timeoutSeconds: { type: 'integer', minimum: 1, maximum: 600, description: 'How long the command may take before it is killed (default 60).' },
        lifetimeSeconds: {
          type: 'integer',
          minimum: 1,
          maximum: 600,
          description: "The server's authorization code lifetime (RFC 6749 §4.1.2: at most 10 minutes recommended): enables code-expired, which waits this long plus 2 s.",
        },
      },
    },
    refreshToken: {
      type: 'object',
      description: 'The refresh_token grant (RFC 6749 §6) and what the server promises about rotation (RFC 9700 §4.14.2).',
      additionalProperties: false,
      properties: {
        command: commandSchema(
          'Prints one fresh refresh token of a confidential client as JSON: {"refresh_token": "…", "scope": "…"}, run once per token with TOKEN_CONTRACT_CLIENT_ID in its environment. Absent: refresh tokens come from redeemed authorization codes (always so for a public client: its token is bound to the DPoP key that redeemed the code, RFC 9449 §5).',
        ),
        timeoutSeconds: { type: 'integer', minimum: 1, maximum: 600, description: 'How long the command may take before it is killed (default 60).' },
        rotation: {
          type: 'string',
          enum: ROTATION_POLICIES,
          description:
            'required: every refresh returns a new refresh token and retires the old one (enables rt-reuse-revokes-family and rt-grace); forbidden: never a new one; any (default): either, and the old one may stay valid (RFC 6749 §6: the server MAY issue a new one, and MAY revoke the old).',
        },
        grace: {
          type: 'string',
          enum: GRACE_POLICIES,
          description:
            "What a retry with a just-rotated refresh token gets within graceSeconds: the same successor again (attesto), a new successor that replaces the first, or none (default: a reuse, refused). After the window every reuse is refused and revokes the token's family.",
        },
        graceSeconds: { type: 'integer', minimum: 1, maximum: 600, description: 'The grace window in seconds (needed with grace same-successor or new-successor).' },
        widerScope: {
          type: 'string',
          description:
            'A scope the client may have but its refresh token was not granted: rt-scope-widen asks for it on top (default invalidScope); rt-scope-narrow asks its code for it too, to have two scopes to narrow.',
        },
      },
    },
  },
} as const;

const idsSchema = (description: string) =>
  ({ type: 'array', description, items: { type: 'string', minLength: 1, description: 'A check id or a group name (see --list).' } }) as const;

export const conformanceConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'token-contract conformance configuration',
  description: 'Configuration of a token-contract conformance run (`token-contract conformance --config FILE`, runConformance, describeTokenEndpointConformance).',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', description: 'The schema this file follows (for editors); ignored by the suite.' },
    url: {
      type: 'string',
      description: 'Absolute token endpoint URL; https:// (RFC 6749 §3.2), http:// only to a loopback host or with allowInsecureHttp. Absent: the suite starts the reference server and tests it.',
    },
    mtlsUrl: {
      type: 'string',
      description:
        "The token endpoint for mutual TLS (RFC 8705 §5 mtls_endpoint_aliases.token_endpoint), https://; default the issuer's metadata alias, else url. Requests with a client certificate go there.",
    },
    introspectionUrl: {
      type: 'string',
      description:
        "The token introspection endpoint (RFC 7662), https:// (http:// only to a loopback host or with allowInsecureHttp); default the issuer's metadata introspection_endpoint. When an access token is opaque, mtls-bound and dpop-jkt ask it for the token's cnf (RFC 8705 §3.2, RFC 9449 §6.2), authenticated as the client the token was issued to.",
    },
    mtlsIntrospectionUrl: {
      type: 'string',
      description: "The introspection endpoint for clients with a certificate (RFC 8705 §5 mtls_endpoint_aliases.introspection_endpoint), https://; default the metadata's alias, else introspectionUrl.",
    },
    issuer: {
      type: 'string',
      description:
        "The authorization server's issuer identifier (RFC 8414 §2): the run reads its metadata (/.well-known/oauth-authorization-server, RFC 8414 §3.1, else /.well-known/openid-configuration), takes the token endpoint (token_endpoint) and DPoP support and key algorithm (dpop_signing_alg_values_supported) from it, and runs the metadata checks. A member given here (url, dpop) wins over the metadata; with a url, metadata that cannot be used fails the metadata checks instead of ending the run.",
    },
    profile: {
      type: 'string',
      enum: PROFILES,
      description: 'attesto (default): MUST and CONTRACT departures fail; rfc: only MUST departures fail.',
    },
    failOn: {
      type: 'string',
      enum: FAIL_ON,
      description:
        'The lowest level that fails the run (--fail-on): MUST, CONTRACT, SHOULD, MAY, or inconclusive (every finding, and checks without a verdict). Default: CONTRACT under the attesto profile, MUST under rfc. Under rfc a CONTRACT finding never fails.',
    },
    strictExpected: {
      type: 'boolean',
      description: 'A listed expected failure that now passes fails the run (--strict-expected), so the list cannot go stale. Default false: it is reported as an unexpected pass.',
    },
    scope: { type: 'string', description: 'Scope requested by the success checks; must be allowed to every configured client (RFC 6749 §3.3).' },
    invalidScope: {
      type: 'string',
      description: 'A scope the server knows but grants to none of the clients (enables the scope-invalid check, RFC 6749 §5.2 invalid_scope).',
    },
    dpop: {
      description: 'DPoP support of the server (RFC 9449): true runs the DPoP checks; an object says more.',
      anyOf: [
        { type: 'boolean', description: 'true: the server supports DPoP (same as { "enabled": true }).' },
        {
          type: 'object',
          description: 'DPoP support in detail.',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean', description: 'The server supports DPoP: run the DPoP checks (default false).' },
            nonce: { type: 'boolean', description: 'The server requires DPoP nonces (RFC 9449 §8): run the nonce checks (implies enabled; default false).' },
            disabled: {
              type: 'boolean',
              description: 'The server has DPoP switched off and must ignore proofs (the dpop-disabled check); excludes enabled and nonce.',
            },
            alg: {
              type: 'string',
              enum: DPOP_KEY_ALGORITHMS,
              description:
                "The algorithm of the run's DPoP key (RFC 9449 §4.2 alg). Default ES256; with an issuer whose metadata lists dpop_signing_alg_values_supported without ES256, the first of the listed ones the suite can generate.",
            },
          },
        },
      ],
    },
    clients: { type: 'array', description: 'The clients the checks use (one per authentication method is enough).', items: clientSchema },
    unauthorizedClient: {
      ...clientSchema,
      description: 'A client registered for no client_credentials grant (enables grant-not-for-client, RFC 6749 §5.2 unauthorized_client).',
    },
    grants: grantsSchema,
    only: idsSchema('Check ids or group names to run; default all.'),
    skip: idsSchema('Check ids or group names to leave out.'),
    expectedFailures: {
      description: 'Checks known to fail: reported XFAIL instead of FAIL, XPASS once they pass.',
      anyOf: [
        { type: 'array', description: 'Check ids.', items: { type: 'string', minLength: 1, description: 'A check id.' } },
        { type: 'object', description: 'Check id → why it fails.', additionalProperties: { type: 'string', description: 'Why the check fails.' } },
        { type: 'string', minLength: 1, description: 'Path (relative to the config file) of a file listing them: one id per line with "# reason", or JSON/YAML.' },
      ],
    },
    headers: headersSchema(
      'Header fields added to every request the suite sends (a gateway API key, a tenant header); each value is registered as a secret and redacted in every report. Authorization, DPoP, Content-Type and the other fields the suite generates are refused; a check that removes or changes one still does.',
    ),
    extraParams: {
      type: 'object',
      description:
        'Parameters added to every token request body (e.g. audience, or resource of RFC 8707). The parameters the suite generates (grant_type, scope, client credentials) are refused; a check that removes or changes one still does.',
      additionalProperties: { type: 'string', description: 'The parameter value.' },
    },
    rate: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'At most this many requests per second across the run (every request: the probe, retries, nonce round trips); default: no pacing.',
    },
    proxy: {
      description:
        'The HTTP proxy every request goes through, each in a CONNECT tunnel (RFC 9110 §9.3.6), https and http targets alike: http://host:port, http://user:password@host:port (percent-encode reserved characters), or https://… for a proxy spoken to over TLS. It applies to every target, NO_PROXY notwithstanding. false: no proxy, HTTPS_PROXY and HTTP_PROXY ignored. Absent: https_proxy/HTTPS_PROXY for an https:// target, http_proxy/HTTP_PROXY for an http:// one, unless no_proxy/NO_PROXY names the host. The credentials are secrets: no report shows them.',
      anyOf: [
        { type: 'string', pattern: PROXY_URL_PATTERN, description: 'The proxy URL.' },
        { type: 'boolean', const: false, description: 'No proxy: the proxy environment variables are ignored.' },
      ],
    },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000, description: 'Per-request timeout in milliseconds (default 10000).' },
    concurrency: { type: 'integer', minimum: 1, maximum: 64, description: 'Checks run at once (default 4); code-expired, which mostly waits out the code lifetime, runs beside them.' },
    allowInsecureHttp: { type: 'boolean', description: 'Allow plain http:// to a non-loopback host (RFC 6749 §3.2 requires TLS; default false).' },
    caFile: {
      type: 'string',
      minLength: 1,
      description: 'PEM file (relative to the config file) of CA certificate(s) to trust for an https:// target, next to the usual roots.',
    },
    referenceServer: {
      type: 'object',
      description: 'Options for the reference server started when url is absent.',
      additionalProperties: false,
      properties: {
        requireNonce: { type: 'boolean', description: 'The reference server requires DPoP nonces (RFC 9449 §8; default true).' },
      },
    },
  },
} as const;

/**
 * `T` with `undefined` allowed in every optional member, at every depth (read
 * as absent by the suite): a consumer compiling with
 * exactOptionalPropertyTypes can then build a config from values that may be
 * undefined (`{ url: process.env.TOKEN_URL }`). Index signatures (headers,
 * expectedFailures) keep their value types: a member there is a value.
 */
type Undefinable<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? Undefinable<U>[]
    : T extends object
      ? { [K in keyof T]: string extends K ? Undefinable<T[K]> : Undefinable<T[K]> | ({} extends Pick<T, K> ? undefined : never) }
      : T;

type SchemaConfig = Undefinable<FromSchema<typeof conformanceConfigSchema>>;

/**
 * One client as the user describes it (a config file entry or the
 * single-client flags). `privateKey` is typed as jose's `JWK` (the schema
 * only says "an object"): callers hand over the JWKs jose gives them.
 */
export type ClientConfig = Undefinable<Omit<FromSchema<typeof clientSchema>, 'privateKey'>> & { privateKey?: string | JWK | undefined };
/** `dpop` in its object form. */
export type DpopConfig = Exclude<NonNullable<SchemaConfig['dpop']>, boolean>;
/** The suite's configuration (see `conformanceConfigSchema` for every member's meaning). */
export type ConformanceConfig = Omit<SchemaConfig, 'clients' | 'unauthorizedClient'> & {
  clients?: ClientConfig[] | undefined;
  unauthorizedClient?: ClientConfig | undefined;
};
