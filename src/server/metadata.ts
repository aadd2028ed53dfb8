/**
 * The reference server's RFC 8414 §2 metadata, derived from the resolved
 * configuration so that every member says what the token endpoint does:
 *
 * - `token_endpoint_auth_methods_supported`: the methods some registered
 *   client uses (`none` for a public client), the only ones accepted;
 * - `token_endpoint_auth_signing_alg_values_supported` (with private_key_jwt
 *   only): the algorithms the registered assertion keys allow, the only ones
 *   verified (RFC 7523 §3 item 9, src/server/client-assertion.ts);
 * - `dpop_signing_alg_values_supported` (with DPoP enabled only): the
 *   algorithms proofs are accepted with (RFC 9449 §5.1);
 * - `grant_types_supported`: the implemented grants some client is
 *   registered for; any other is answered unsupported_grant_type;
 * - with authorization_code: the authorization endpoint, the `code`
 *   response type and PKCE S256 only (RFC 7636 §4.4.1);
 * - `scopes_supported`: the server's scopes.
 *
 * Test only, config `metadataLie` changes exactly one member of the
 * document (`applyMetadataLie`); the behaviour stays as it is.
 */
import { AUTHORIZATION_CODE_GRANT, CODE_RESPONSE_TYPE, PKCE_S256 } from '../oauth/protocol';
import { ACCESS_TOKEN_ALG } from './access-token';
import { CLIENT_ASSERTION_ALGORITHMS, DPOP_ALGORITHMS, acceptedAuthMethods, type ReferenceMetadataLie, type ResolvedServerConfig } from './config';

export interface MetadataEndpoints {
  issuer: string;
  tokenEndpoint: string;
  authorizationEndpoint: string;
  jwksUri: string;
  /** The mutual-TLS listener's token endpoint (config `mtls`). */
  mtlsTokenEndpoint?: string;
}

/** The truthful document. */
export function authorizationServerMetadata(where: MetadataEndpoints, config: ResolvedServerConfig): Record<string, unknown> {
  const methods = [...acceptedAuthMethods(config.clients)];
  const assertionAlgorithms = new Set<string>();
  for (const client of config.clients.values()) {
    if (client.authMethods.has('private_key_jwt')) client.assertionAlgorithms.forEach((alg) => assertionAlgorithms.add(alg));
  }
  const codeFlow = config.grantTypes.has(AUTHORIZATION_CODE_GRANT);
  return {
    issuer: where.issuer,
    ...(codeFlow ? { authorization_endpoint: where.authorizationEndpoint } : {}),
    token_endpoint: where.tokenEndpoint,
    jwks_uri: where.jwksUri,
    // RFC 8414 §2: REQUIRED; a server without an authorization endpoint supports no response type.
    response_types_supported: codeFlow ? [CODE_RESPONSE_TYPE] : [],
    grant_types_supported: [...config.grantTypes],
    ...(codeFlow ? { code_challenge_methods_supported: [PKCE_S256] } : {}),
    token_endpoint_auth_methods_supported: methods,
    // In the allow-list's order, as verified.
    ...(assertionAlgorithms.size > 0 ? { token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS.filter((alg) => assertionAlgorithms.has(alg)) } : {}),
    scopes_supported: [...config.scopes],
    ...(config.dpopEnabled ? { dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS] } : {}),
    access_token_signing_alg_values_supported: [ACCESS_TOKEN_ALG],
    // RFC 8705 §3.3 and §5: certificate-bound tokens, and where the mutual-TLS token endpoint is.
    ...(where.mtlsTokenEndpoint !== undefined ? { tls_client_certificate_bound_access_tokens: true, mtls_endpoint_aliases: { token_endpoint: where.mtlsTokenEndpoint } } : {}),
  };
}

/** Test only: the document with the one configured lie told (resolveServerConfig checked it is one). */
export function applyMetadataLie(metadata: Record<string, unknown>, lie: Readonly<ReferenceMetadataLie> | undefined): Record<string, unknown> {
  if (lie === undefined) return metadata;
  const out = { ...metadata };
  const list = (member: string): string[] => (Array.isArray(out[member]) ? [...(out[member] as string[])] : []);
  if (lie.advertiseAuthMethod !== undefined) out.token_endpoint_auth_methods_supported = [...list('token_endpoint_auth_methods_supported'), lie.advertiseAuthMethod];
  if (lie.hideAuthMethod !== undefined) out.token_endpoint_auth_methods_supported = list('token_endpoint_auth_methods_supported').filter((m) => m !== lie.hideAuthMethod);
  if (lie.advertiseDpopAlg !== undefined) out.dpop_signing_alg_values_supported = [...list('dpop_signing_alg_values_supported'), lie.advertiseDpopAlg];
  if (lie.advertiseGrant !== undefined) out.grant_types_supported = [...list('grant_types_supported'), lie.advertiseGrant];
  if (lie.issuer !== undefined) out.issuer = lie.issuer;
  return out;
}
