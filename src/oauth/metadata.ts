/**
 * Authorization server metadata as RFC 8414 §2 defines it, with the members
 * RFC 9449 §5.1 and RFC 8705 §3.3, §5 add: which members hold URLs, lists,
 * booleans; which are required; the defaults an omitted member means; and
 * the grant types a token endpoint may be asked for. The metadata checks
 * (src/conformance/checks/metadata*.ts) and discovery read these; nothing
 * else restates them.
 */
import { AUTHORIZATION_CODE_GRANT, CLIENT_CREDENTIALS_GRANT, REFRESH_TOKEN_GRANT } from './protocol';

/** Members whose value is a URL (RFC 8414 §2; RFC 7009, RFC 7662 endpoints as RFC 8414 registers them). */
export const METADATA_URL_MEMBERS = [
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'jwks_uri',
  'registration_endpoint',
  'service_documentation',
  'op_policy_uri',
  'op_tos_uri',
  'revocation_endpoint',
  'introspection_endpoint',
] as const;

/** Members whose value is a JSON array of strings (RFC 8414 §2; RFC 9449 §5.1). */
export const METADATA_LIST_MEMBERS = [
  'scopes_supported',
  'response_types_supported',
  'response_modes_supported',
  'grant_types_supported',
  'token_endpoint_auth_methods_supported',
  'token_endpoint_auth_signing_alg_values_supported',
  'ui_locales_supported',
  'revocation_endpoint_auth_methods_supported',
  'revocation_endpoint_auth_signing_alg_values_supported',
  'introspection_endpoint_auth_methods_supported',
  'introspection_endpoint_auth_signing_alg_values_supported',
  'code_challenge_methods_supported',
  'dpop_signing_alg_values_supported',
] as const;

/** Members whose value is a JSON boolean (RFC 8705 §3.3). */
export const METADATA_BOOLEAN_MEMBERS = ['tls_client_certificate_bound_access_tokens'] as const;

/** RFC 8705 §5: a JSON object of endpoint name → URL, the endpoints' mutual-TLS aliases. */
export const MTLS_ENDPOINT_ALIASES = 'mtls_endpoint_aliases';

/** RFC 8414 §2: "The value "none" MUST NOT be used" in these lists. */
export const METADATA_SIGNING_ALG_MEMBERS = [
  'token_endpoint_auth_signing_alg_values_supported',
  'revocation_endpoint_auth_signing_alg_values_supported',
  'introspection_endpoint_auth_signing_alg_values_supported',
] as const;

/**
 * RFC 8414 §3.2: "Claims with zero elements MUST be omitted from the
 * response", except where §2 makes the member REQUIRED: a server with no
 * authorization endpoint can only say so with an empty list.
 */
export const METADATA_MAY_BE_EMPTY = ['response_types_supported'] as const;

/** RFC 8414 §2: grant_types_supported, "If omitted, the default value is ["authorization_code", "implicit"]". */
export const DEFAULT_METADATA_GRANT_TYPES = [AUTHORIZATION_CODE_GRANT, 'implicit'] as const;

/** RFC 8414 §2: token_endpoint_auth_methods_supported, "If omitted, the default is client_secret_basic". */
export const DEFAULT_METADATA_AUTH_METHODS = ['client_secret_basic'] as const;

/** RFC 6749 §4.2: the implicit grant is served by the authorization endpoint; a token endpoint is never asked for it. */
export const IMPLICIT_GRANT = 'implicit';

/** The grants that use the authorization endpoint: with one, RFC 8414 §2 requires `authorization_endpoint`. */
export const AUTHORIZATION_ENDPOINT_GRANTS = [AUTHORIZATION_CODE_GRANT, IMPLICIT_GRANT] as const;

/** The auth methods that sign a JWT: with one, RFC 8414 §2 requires token_endpoint_auth_signing_alg_values_supported. */
export const JWT_AUTH_METHODS = ['private_key_jwt', 'client_secret_jwt'] as const;

/**
 * Grant types a token endpoint is commonly asked for, from the IANA OAuth
 * registry: a server that does not list one in grant_types_supported is
 * expected to answer it unsupported_grant_type (RFC 6749 §5.2).
 */
export const WELL_KNOWN_TOKEN_GRANTS = [
  CLIENT_CREDENTIALS_GRANT,
  AUTHORIZATION_CODE_GRANT,
  REFRESH_TOKEN_GRANT,
  'password',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:saml2-bearer',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;
