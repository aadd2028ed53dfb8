/**
 * The default run's target: the reference server with its demo clients (one
 * per method, one without the grant, one bound to DPoP), and what that run
 * provides, known before any server starts (the Jest entry registers its
 * tests from it; a test pins it to what the started servers provide).
 */
import { authorizeWithReferenceServer } from '../harness/authorize';
import { AUTHORIZATION_CODE_GRANT, CLIENT_CREDENTIALS_GRANT, CONFIDENTIAL_AUTH_METHODS, OAUTH_PARAMETERS, REFRESH_TOKEN_GRANT, isMtlsAuthMethod, type TokenGrantType } from '../oauth/protocol';
import { createDemoClients, createMtlsDemoClients, type ReferenceClientConfig, type ReferenceServer, type ReferenceServerConfig } from '../server';
import { capabilitiesOf, type Capability } from './capabilities';
import type { ConformanceConfig } from './config';
import type { CodeSource } from './grant-sources';

const isSuiteAuthMethod = (method: string): method is (typeof CONFIDENTIAL_AUTH_METHODS)[number] => (CONFIDENTIAL_AUTH_METHODS as readonly string[]).includes(method);

/** The scope the default run requests, and the one no demo client may have. */
const REFERENCE_SCOPE = 'read';
const REFERENCE_INVALID_SCOPE = 'admin';
/** A scope the code clients may have but their codes are not asked for: what rt-scope-widen adds. */
const REFERENCE_WIDER_SCOPE = 'write';

/**
 * The default run's reference server keeps codes and the refresh grace
 * window short, so code-expired, rt-grace and rt-reuse-revokes-family wait
 * seconds, not the server's one-minute defaults. Long enough that a slow
 * machine redeems a code and retries a refresh well inside them (a check
 * that cannot be sure it did is not judged, never failed).
 */
export const DEFAULT_RUN_SERVER: Pick<ReferenceServerConfig, 'codeLifetimeSeconds' | 'refreshTokens'> = Object.freeze({
  codeLifetimeSeconds: 5,
  refreshTokens: { graceSeconds: 3 },
});

/** The clients of the default run: the reference server's demo clients. */
export async function defaultRunClients(): Promise<ReferenceClientConfig[]> {
  return createDemoClients();
}

/**
 * The default run's mutual TLS (RFC 8705): a CA made for the run, the
 * listener's certificate under it, and the two demo mTLS clients (one under
 * the CA, one self-signed), so the mtls checks run against the reference
 * server too.
 */
export async function defaultRunMtls(): Promise<{ mtls: NonNullable<ReferenceServerConfig['mtls']>; clients: ReferenceClientConfig[] }> {
  const { createCertificateAuthority } = await import('../oauth/x509');
  const ca = await createCertificateAuthority('CN=token-contract default run CA');
  const listener = await ca.issue('CN=localhost', { server: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } });
  return { mtls: { certificate: listener.certificate, key: listener.key, clientCa: ca.certificate }, clients: await createMtlsDemoClients(ca) };
}

/**
 * The configuration that tests a reference server with its demo clients:
 * the client_credentials ones, the one registered for no grant
 * (`unauthorizedClient`), and the authorization-code clients with what the
 * server promises about their codes and refresh tokens. Codes come from
 * `referenceCodeSource(server)`.
 */
export function referenceTargetConfig(server: ReferenceServer): ConformanceConfig {
  const clients: NonNullable<ConformanceConfig['clients']> = [];
  let unauthorizedClient: ConformanceConfig['unauthorizedClient'];
  for (const info of Object.values(server.clients)) {
    // Mutual TLS (RFC 8705): the client's certificate and key, as the server handed them back.
    const mtlsAuth = info.authMethods.find(isMtlsAuthMethod);
    if (mtlsAuth !== undefined && info.certificate !== undefined && info.certificateKey !== undefined && server.mtls !== undefined) {
      clients.push({ id: info.id, auth: mtlsAuth, certificate: info.certificate, certificateKey: info.certificateKey, ...(info.certificateBoundTokens ? { certificateBoundTokens: true } : {}) });
      continue;
    }
    const lifecycle = info.grantTypes.filter((g): g is TokenGrantType => g === AUTHORIZATION_CODE_GRANT || g === REFRESH_TOKEN_GRANT);
    if (info.publicClient) {
      if (lifecycle.length > 0) clients.push({ id: info.id, auth: 'none', grantTypes: lifecycle });
      continue;
    }
    const auth = info.authMethods.find(isSuiteAuthMethod);
    // Mutual-TLS clients (RFC 8705) are not the suite's yet.
    if (auth === undefined) continue;
    if (!info.grantTypes.includes(CLIENT_CREDENTIALS_GRANT) && lifecycle.length > 0) {
      clients.push({ id: info.id, auth, ...(info.secret !== undefined ? { secret: info.secret } : {}), ...(info.privateJwk ? { privateKey: info.privateJwk } : {}), grantTypes: lifecycle });
      continue;
    }
    const client = {
      id: info.id,
      auth,
      ...(info.secret !== undefined ? { secret: info.secret } : {}),
      ...(info.privateJwk ? { privateKey: info.privateJwk } : {}),
      ...(info.requireDpop ? { requireDpop: true } : {}),
      // A client with a certificate beside its own method: it presents it at the mTLS endpoint (certificate-bound tokens).
      ...(info.certificate !== undefined && info.certificateKey !== undefined && server.mtls !== undefined
        ? { certificate: info.certificate, certificateKey: info.certificateKey, ...(info.certificateBoundTokens ? { certificateBoundTokens: true } : {}) }
        : {}),
      // The reference server registers each demo client for one method and refuses the others.
      ...(info.authMethods.length === 1 ? { exclusiveAuthMethod: true } : {}),
    };
    if (!info.grantTypes.includes(CLIENT_CREDENTIALS_GRANT)) unauthorizedClient ??= client;
    else if (auth !== 'private_key_jwt' || info.privateJwk) clients.push(client);
  }
  const { codeLifetimeSeconds, refreshTokens } = server.grants;
  const grace = refreshTokens.rotate && refreshTokens.graceSeconds > 0;
  return {
    url: server.tokenEndpoint,
    ...(server.mtls !== undefined ? { mtlsUrl: server.mtls.tokenEndpoint } : {}),
    // Its RFC 8414 metadata is judged too (the metadata checks): the runner reads it once the server listens.
    issuer: server.issuer,
    scope: REFERENCE_SCOPE,
    invalidScope: REFERENCE_INVALID_SCOPE,
    dpop: server.dpopEnabled ? { enabled: true, nonce: server.requireNonce } : { disabled: true },
    clients,
    ...(unauthorizedClient ? { unauthorizedClient } : {}),
    grants: {
      authorizationCode: { lifetimeSeconds: codeLifetimeSeconds },
      refreshToken: {
        rotation: refreshTokens.rotate ? 'required' : 'forbidden',
        // attesto's behaviour: a retry within the window gets the same successor back.
        ...(grace ? { grace: 'same-successor', graceSeconds: refreshTokens.graceSeconds } : {}),
        widerScope: REFERENCE_WIDER_SCOPE,
      },
    },
  };
}

/**
 * Codes from the reference server's test-only `/authorize` (it approves its
 * demo user at once), for the client's first registered redirect URI, sent
 * explicitly so the token request must repeat it (RFC 6749 §4.1.3), and
 * bound to the suite's DPoP key when the client redeems with DPoP.
 */
export function referenceCodeSource(server: ReferenceServer): CodeSource {
  return async ({ clientId, scope, dpopJkt }) => {
    const redirectUri = server.clients[clientId]?.redirectUris[0];
    const result = await authorizeWithReferenceServer(server, {
      clientId,
      ...(redirectUri !== undefined ? { redirectUri } : {}),
      ...(scope !== undefined ? { scope } : {}),
      // The code is bound to the key the suite redeems it with (RFC 9449 §10), as a DPoP client's would be.
      ...(dpopJkt !== undefined ? { params: { [OAUTH_PARAMETERS.dpopJkt]: dpopJkt } } : {}),
    });
    return { code: result.code, codeVerifier: result.codeVerifier, ...(result.redirectUri !== undefined ? { redirectUri: result.redirectUri } : {}) };
  };
}

/** What the second reference server adds: DPoP switched off (for `dpop-disabled`). */
export const COMPANION_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>(['dpop_disabled']);

/** The capabilities of the default run's main reference server, known before it starts. */
export function referenceRunCapabilities(requireNonce: boolean): Set<Capability> {
  return capabilitiesOf({
    url: 'http://127.0.0.1/oauth/token',
    clients: [
      { auth: 'client_secret_basic', exclusiveAuthMethod: true },
      { auth: 'client_secret_post', exclusiveAuthMethod: true },
      { auth: 'private_key_jwt', exclusiveAuthMethod: true },
      { auth: 'client_secret_basic', requiresDpop: true, exclusiveAuthMethod: true },
      { auth: 'none', grantTypes: [AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT] },
      { auth: 'client_secret_basic', grantTypes: [AUTHORIZATION_CODE_GRANT, REFRESH_TOKEN_GRANT] },
      { auth: 'tls_client_auth', certificate: true },
      { auth: 'self_signed_tls_client_auth', certificate: true },
      { auth: 'client_secret_basic', certificate: true, certificateBoundTokens: true, exclusiveAuthMethod: true },
    ],
    mtlsUrl: 'https://127.0.0.1/oauth/token',
    dpop: { enabled: true, nonce: requireNonce },
    invalidScope: REFERENCE_INVALID_SCOPE,
    issuer: 'http://127.0.0.1',
    unauthorizedClient: true,
    sources: { authorizationCode: true },
    grants: { authorizationCode: { lifetimeSeconds: DEFAULT_RUN_SERVER.codeLifetimeSeconds }, refreshToken: { widerScope: REFERENCE_WIDER_SCOPE, rotation: 'required' } },
  });
}
