/**
 * Protocol facts of the token endpoint, each written once: media types,
 * URNs, client-authentication methods, the members and parameters that
 * carry secrets. The harness, the suite, the reference server, the
 * reporters and the redaction all read them from here.
 */

/** RFC 6749 §4.4.2, Appendix B: token requests are form-encoded. */
export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';
/** RFC 6749 §5.1, §5.2: token endpoint answers are JSON (and the attesto contract also accepts JSON requests). */
export const JSON_MEDIA_TYPE = 'application/json';

/** `client_assertion_type` for JWT client authentication (RFC 7523 §2.2). */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The grant every check exercises (RFC 6749 §4.4). */
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';

/** The authorization code grant (RFC 6749 §4.1.3). */
export const AUTHORIZATION_CODE_GRANT = 'authorization_code';
/** The refresh token grant (RFC 6749 §6). */
export const REFRESH_TOKEN_GRANT = 'refresh_token';

/** The grants this toolkit knows, by their RFC 7591 §2 `grant_types` names: what the reference server serves and the suite tests. */
export const TOKEN_GRANT_TYPES = [CLIENT_CREDENTIALS_GRANT, AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT] as const;
export type TokenGrantType = (typeof TOKEN_GRANT_TYPES)[number];

/** `response_type` of the authorization code flow (RFC 6749 §4.1.1). */
export const CODE_RESPONSE_TYPE = 'code';

/**
 * PKCE `code_challenge_method` values (RFC 7636 §4.3, §4.2): `S256` is the
 * one a client that can hash MUST use; `plain` is defined, and refused by
 * servers that follow RFC 9700 §2.1.1.
 */
export const PKCE_S256 = 'S256';
export const PKCE_PLAIN = 'plain';
export const PKCE_METHODS = [PKCE_S256, PKCE_PLAIN] as const;
export type PkceMethod = (typeof PKCE_METHODS)[number];

/**
 * Parameter names of the authorization code and refresh token flows: the
 * authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 9449 §10), its
 * answer (§4.1.2) and the token requests (§4.1.3, RFC 7636 §4.5, §6).
 */
export const OAUTH_PARAMETERS = {
  grantType: 'grant_type',
  responseType: 'response_type',
  clientId: 'client_id',
  scope: 'scope',
  state: 'state',
  code: 'code',
  codeVerifier: 'code_verifier',
  codeChallenge: 'code_challenge',
  codeChallengeMethod: 'code_challenge_method',
  redirectUri: 'redirect_uri',
  refreshToken: 'refresh_token',
  dpopJkt: 'dpop_jkt',
  error: 'error',
  errorDescription: 'error_description',
} as const;

/**
 * The error codes of an authorization response (RFC 6749 §4.1.2.1), sent to
 * the client's redirect URI in the query.
 */
export const AUTHORIZATION_ERROR_CODES = [
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
] as const;
export type AuthorizationErrorCode = (typeof AUTHORIZATION_ERROR_CODES)[number];

/** RFC 8414 §3: the well-known suffix of an authorization server's metadata (inserted before the issuer's path, §3.1). */
export const OAUTH_METADATA_PATH = '/.well-known/oauth-authorization-server';
/** OpenID Connect Discovery 1.0 §4: appended to the issuer, path and all. */
export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';

/** The token endpoint's path in the attesto contract (and the fragment's default): `POST /oauth/token`. */
export const DEFAULT_TOKEN_PATH = '/oauth/token';

/**
 * A URL that is a bare origin (`https://as.example`, path `/`, no query)
 * names the server, not an endpoint at its root: the harness and the suite
 * both read it as the server's DEFAULT_TOKEN_PATH. Any other path is taken as
 * written.
 */
export function isBareOrigin(url: URL): boolean {
  return url.pathname === '/' && url.search === '';
}

/**
 * Client-authentication methods at the token endpoint, by their RFC 7591
 * §2 `token_endpoint_auth_method` names: the two client-secret methods of
 * RFC 6749 §2.3.1, `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9) and
 * `none` (a public client sends only `client_id`).
 */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** The methods of confidential clients: what `client_credentials` needs (RFC 6749 §4.4). */
export const CONFIDENTIAL_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const satisfies readonly ClientAuthMethod[];
export type ConfidentialAuthMethod = (typeof CONFIDENTIAL_AUTH_METHODS)[number];

/** The methods that authenticate with a shared secret (RFC 6749 §2.3.1). */
export const SECRET_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const satisfies readonly ClientAuthMethod[];

export function isSecretAuthMethod(method: string): method is (typeof SECRET_AUTH_METHODS)[number] {
  return (SECRET_AUTH_METHODS as readonly string[]).includes(method);
}

/**
 * The mutual-TLS client-authentication methods (RFC 8705 §2.1, §2.2): a
 * client certificate issued under a trusted CA and matching the registered
 * subject, or a self-signed one matching a registered certificate.
 */
export const MTLS_AUTH_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'] as const;
export type MtlsAuthMethod = (typeof MTLS_AUTH_METHODS)[number];

export function isMtlsAuthMethod(method: string): method is MtlsAuthMethod {
  return (MTLS_AUTH_METHODS as readonly string[]).includes(method);
}

/**
 * The TLS 1.2 cipher suites BCP 195 recommends (RFC 9325 §4.2), in
 * OpenSSL's names: ECDHE key exchange (forward secrecy, §4.1) with AES-GCM.
 * FAPI 2.0 Security Profile §5.2.1 permits only these over TLS 1.2.
 */
export const BCP195_TLS12_SUITES = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'] as const;

/**
 * A TLS server posture that follows BCP 195: TLS 1.2 or later (RFC 8996
 * §2, §3), the recommended TLS 1.2 suites only, TLS 1.3's own suites as
 * they are (RFC 9325 §4.2.1). Options for `tls.createServer`.
 */
export const BCP195_SERVER_TLS = Object.freeze({
  minVersion: 'TLSv1.2',
  ciphers: ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', ...BCP195_TLS12_SUITES].join(':'),
} as const);

/** The `cnf` member of a certificate-bound token: the certificate's SHA-256 thumbprint (RFC 8705 §3.1). */
export const X5T_S256 = 'x5t#S256';

/** The header a TLS-terminating proxy conveys the client certificate in (RFC 9440 §2.2: a byte sequence, `:base64(DER):`). */
export const CLIENT_CERT_HEADER = 'Client-Cert';

/** The `typ` header every DPoP proof carries (RFC 9449 §4.2). */
export const DPOP_PROOF_TYPE = 'dpop+jwt';
/** The request header carrying a DPoP proof (RFC 9449 §4.1). */
export const DPOP_HEADER = 'DPoP';
/** The response header carrying a server nonce (RFC 9449 §8.1). */
export const DPOP_NONCE_HEADER = 'DPoP-Nonce';

/** The error code of a nonce challenge (RFC 9449 §8; §12.2 registers it). */
export const USE_DPOP_NONCE = 'use_dpop_nonce';

/** JWK members that make a key private or symmetric (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Token-response members that carry credentials (RFC 6749 §5.1; OIDC Core §3.1.3.3 `id_token`). */
export const TOKEN_RESPONSE_SECRETS = ['access_token', 'refresh_token', 'id_token'] as const;

/**
 * Request parameters and response members whose values are credentials: the
 * tokens, the client secret (RFC 6749 §2.3.1), client assertions and
 * assertion grants (RFC 7521 §4.2, §4.1), authorization codes (§4.1.3),
 * PKCE code verifiers (RFC 7636 §4.5: with an intercepted code, the verifier
 * is what redeems it) and resource-owner passwords (§4.3.2). Each has the
 * placeholder a reproducing `curl` line shows instead of the value.
 */
export const SECRET_PARAMETERS = {
  access_token: '<ACCESS_TOKEN>',
  refresh_token: '<REFRESH_TOKEN>',
  id_token: '<ID_TOKEN>',
  client_secret: '<CLIENT_SECRET>',
  client_assertion: '<CLIENT_ASSERTION_JWT>',
  assertion: '<ASSERTION>',
  code: '<CODE>',
  code_verifier: '<CODE_VERIFIER>',
  password: '<PASSWORD>',
  // The token an introspection (RFC 7662 §2.1) or revocation (RFC 7009 §2.1) request carries.
  token: '<TOKEN>',
} as const satisfies Record<string, string>;
export type SecretParameter = keyof typeof SECRET_PARAMETERS;

export function isSecretParameter(name: string): name is SecretParameter {
  return Object.prototype.hasOwnProperty.call(SECRET_PARAMETERS, name);
}

/** Header fields whose values are credentials (RFC 9110 §11.6.2, §11.7.2; RFC 9449 §4.1; RFC 6265). */
export const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'dpop', 'cookie', 'set-cookie'] as const;

export function isSecretHeader(name: string): boolean {
  return (SECRET_HEADERS as readonly string[]).includes(name.toLowerCase());
}

/**
 * The error codes a token endpoint may answer with by RFC, each with the RFC
 * that defines it for the token error response: the codes of RFC 6749 §5.2
 * and the token-endpoint entries of the IANA "OAuth Extensions Error
 * Registry" (RFC 6749 §11.4). The `rfc` validation profile accepts these (and
 * a caller's own `errorCodes`); the attesto contract's enum is narrower
 * (src/openapi/schemas.ts TOKEN_ERROR_CODES).
 */
export const RFC_TOKEN_ERROR_CODES = {
  invalid_request: 'RFC 6749 §5.2',
  invalid_client: 'RFC 6749 §5.2',
  invalid_grant: 'RFC 6749 §5.2',
  unauthorized_client: 'RFC 6749 §5.2',
  unsupported_grant_type: 'RFC 6749 §5.2',
  invalid_scope: 'RFC 6749 §5.2',
  invalid_target: 'RFC 8707 §2',
  authorization_pending: 'RFC 8628 §3.5',
  slow_down: 'RFC 8628 §3.5',
  access_denied: 'RFC 8628 §3.5',
  expired_token: 'RFC 8628 §3.5',
  invalid_dpop_proof: 'RFC 9449 §5',
  use_dpop_nonce: 'RFC 9449 §8',
} as const satisfies Record<string, string>;
export type RfcTokenErrorCode = keyof typeof RFC_TOKEN_ERROR_CODES;

export function isRfcTokenErrorCode(code: unknown): code is RfcTokenErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(RFC_TOKEN_ERROR_CODES, code);
}
