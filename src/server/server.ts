/**
 * `createReferenceServer`: a small, faithful token endpoint on Node `http`,
 * listening on 127.0.0.1 and an ephemeral port by default. Plain http is the
 * usual loopback exception to RFC 6749 §3.2's TLS requirement. Beside the
 * token endpoint: RFC 8414 metadata, the JWKS of its access tokens, and a
 * test-only `/authorize` that approves a demo user without asking
 * (src/server/authorize.ts).
 */
import { X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isPlainObject } from '../oauth/guards';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { AuthorizationCodes } from './authorization-code';
import { AUTHORIZE_PATH, handleAuthorizeRequest } from './authorize';
import { ServerConfigError, createDemoClients, createMtlsDemoClients, describeClients, resolveServerConfig, type ReferenceClientInfo, type ReferenceServerConfig, type ResolvedServerConfig } from './config';
import { createAccessTokenSigner } from './access-token';
import { applyMetadataLie, authorizationServerMetadata } from './metadata';
import { prepareStandInKeys } from './client-assertion';
import { answerClientError, handleExpectation, handleTokenRequest, refuseConnect, respondWithError, sendJson, type TokenEndpointContext } from './handler';
import { normalizeHtu } from './htu';
import { BCP195_SERVER_TLS, OAUTH_METADATA_PATH } from '../oauth/protocol';
import { DpopNonces } from './nonce';
import { RefreshTokens } from './refresh-token';
import { ReplayCache } from './replay-cache';
import { hostHeaderProblem } from './request';

export interface ReferenceServer {
  /** Origin the server listens on, e.g. `http://127.0.0.1:54321`. */
  url: string;
  /** Absolute token endpoint URL (also the DPoP `htu`). */
  tokenEndpoint: string;
  /**
   * Absolute URL of the test-only authorization endpoint: a GET with a
   * valid authorization request is approved at once for the demo user and
   * answered with a 302 carrying the code (src/server/authorize.ts).
   */
  authorizationEndpoint: string;
  issuer: string;
  /** The registered clients by id, with their credentials (the demo `jwt-client` includes its private JWK). */
  clients: Record<string, ReferenceClientInfo>;
  /** Public keys that verify the issued access tokens (also served at `/jwks`). */
  jwks: { keys: JWK[] };
  /** Whether DPoP proofs are accepted (false: ignored, Bearer tokens only). */
  dpopEnabled: boolean;
  /** Whether DPoP proofs must carry a server nonce. */
  requireNonce: boolean;
  /** How it treats authorization codes and refresh tokens (config `codeLifetimeSeconds`, `refreshTokens`). */
  grants: {
    codeLifetimeSeconds: number;
    refreshTokens: { rotate: boolean; graceSeconds: number; lifetimeSeconds: number };
  };
  /**
   * The mutual-TLS listener (config `mtls`, RFC 8705): its origin, token
   * endpoint (the metadata's mtls_endpoint_aliases.token_endpoint), the CA
   * that issued its certificate when it made one (to trust it), and the
   * client CA it made when the config named none.
   */
  mtls?: { url: string; tokenEndpoint: string; ca?: string; clientCa?: string };
  /** The underlying Node server, e.g. as a harness target. */
  server: Server;
  close(): Promise<void>;
}

/** Where the server serves its RFC 8414 metadata (its issuer has no path component). */
export const METADATA_PATH = OAUTH_METADATA_PATH;
export const JWKS_PATH = '/jwks';

export async function createReferenceServer(config: ReferenceServerConfig = {}): Promise<ReferenceServer> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new ServerConfigError('config must be an object');
  // Mutual TLS (RFC 8705): a CA of the server's own when the config gives no listener certificate or client CA.
  const mtlsConfig = isPlainObject(config.mtls) ? config.mtls : undefined;
  const ca = mtlsConfig !== undefined && (mtlsConfig.certificate === undefined || mtlsConfig.clientCa === undefined) ? await (await import('../oauth/x509')).createCertificateAuthority() : undefined;
  const demoMtls = ca !== undefined && mtlsConfig?.clientCa === undefined ? await createMtlsDemoClients(ca) : [];
  const clientConfigs = config.clients ?? [...(await createDemoClients()), ...demoMtls];
  const resolved = await resolveServerConfig({ ...config, clients: clientConfigs });
  const signer = await createAccessTokenSigner();
  await prepareStandInKeys();
  let context: TokenEndpointContext | undefined;
  let metadata: Record<string, unknown> = {};
  let issuerPath = '';

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (!context) return respondWithError(req, res, new Error('not ready'));
    route(req, res, resolved, context, metadata, issuerPath).catch((error: unknown) => respondWithError(req, res, error));
  };
  // The Host check is done in `route`, so its answer carries the OAuth envelope too. Timeouts are
  // checked every second (Node's default is 30 s), so they hold to within a second.
  const server = prepareListener(createServer({ requireHostHeader: false, connectionsCheckingInterval: 1_000 }, handle), resolved);
  const listeners: Server[] = [server];
  await listen(server, resolved.port, resolved.host);
  let mtls: ReferenceServer['mtls'];
  let trustedCa: X509Certificate[] = [];
  if (resolved.mtls !== undefined) {
    // The listener's own certificate, under the generated CA unless given; client certificates are asked for and judged
    // per request (tls_client_auth wants a chain to the client CA, self-signed ones a registered certificate), never refused in the handshake.
    const own = resolved.mtls.certificate !== undefined ? { certificate: resolved.mtls.certificate, key: resolved.mtls.key! } : await ca!.issue('CN=localhost', { server: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } });
    const clientCa = resolved.mtls.clientCa ?? ca!.certificate;
    trustedCa = certificatesOf(clientCa);
    const secure = prepareListener(
      createHttpsServer({ ...BCP195_SERVER_TLS, key: own.key, cert: own.certificate, ca: clientCa, requestCert: true, rejectUnauthorized: false, requireHostHeader: false, connectionsCheckingInterval: 1_000 }, handle),
      resolved,
    );
    listeners.push(secure);
    try {
      await listen(secure, resolved.mtls.port, resolved.host);
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw error;
    }
    const origin = `https://${urlHost(resolved.host)}:${(secure.address() as AddressInfo).port}`;
    mtls = { url: origin, tokenEndpoint: `${origin}${resolved.path}`, ...(resolved.mtls.certificate === undefined ? { ca: ca!.certificate } : {}), ...(resolved.mtls.clientCa === undefined ? { clientCa: ca!.certificate } : {}) };
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(resolved.host)}:${port}`;
  const tokenEndpoint = `${url}${resolved.path}`;
  const issuer = resolved.issuer ?? url;
  // The issuer is kept exactly as configured (RFC 8414 §2); only the join avoids a double slash.
  const issuerBase = issuer.replace(/\/+$/, '');
  issuerPath = issuerPathOf(issuer);
  const issuerEndpoint = `${issuerBase}${resolved.path}`;
  context = {
    config: resolved,
    issuer,
    audience: resolved.audience ?? issuer,
    audiences: new Set([issuer, tokenEndpoint, issuerEndpoint, ...(mtls ? [mtls.tokenEndpoint] : [])]),
    endpoints: new Set([tokenEndpoint, issuerEndpoint, ...(mtls ? [mtls.tokenEndpoint] : [])].map((u) => normalizeHtu(u)!).filter(Boolean)),
    ...(resolved.mtls !== undefined ? { mtls: { trustedCa, trustedProxies: resolved.mtls.trustedProxies } } : {}),
    nonces: new DpopNonces(resolved.nonceLifetimeSeconds, resolved.clock),
    dpopReplay: new ReplayCache(resolved.replayCacheSize, resolved.clock),
    assertionReplay: new ReplayCache(resolved.replayCacheSize, resolved.clock),
    signer,
    codes: new AuthorizationCodes(resolved.grantStoreSize, resolved.codeLifetimeSeconds, resolved.clock),
    refreshTokens: new RefreshTokens({
      rotation: resolved.refreshTokenRotation,
      graceSeconds: resolved.refreshTokenGraceSeconds,
      lifetimeSeconds: resolved.refreshTokenLifetimeSeconds,
      storeSize: resolved.grantStoreSize,
      clock: resolved.clock,
    }),
  };
  if (resolved.metadataLie?.issuer === issuer) {
    // Only now is the issuer known when it is the server's origin (an ephemeral port).
    await Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))));
    throw new ServerConfigError(`metadataLie.issuer is no lie: it is the server's issuer ${issuer}`);
  }
  metadata = applyMetadataLie(
    authorizationServerMetadata({ issuer, tokenEndpoint: issuerEndpoint, authorizationEndpoint: `${issuerBase}${AUTHORIZE_PATH}`, jwksUri: `${issuerBase}${JWKS_PATH}`, ...(mtls ? { mtlsTokenEndpoint: mtls.tokenEndpoint } : {}) }, resolved),
    resolved.metadataLie,
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    tokenEndpoint,
    authorizationEndpoint: `${url}${AUTHORIZE_PATH}`,
    issuer,
    clients: describeClients(clientConfigs, resolved),
    jwks: signer.jwks,
    dpopEnabled: resolved.dpopEnabled,
    requireNonce: resolved.requireNonce,
    grants: {
      codeLifetimeSeconds: resolved.codeLifetimeSeconds,
      refreshTokens: { rotate: resolved.refreshTokenRotation, graceSeconds: resolved.refreshTokenGraceSeconds, lifetimeSeconds: resolved.refreshTokenLifetimeSeconds },
    },
    ...(mtls ? { mtls } : {}),
    server,
    close: () =>
      (closing ??= Promise.all(
        listeners.map(
          (listener) =>
            new Promise<void>((resolve) => {
              listener.close(() => resolve());
              listener.closeAllConnections();
            }),
        ),
      ).then(() => undefined)),
  };
}

/** The listener settings both the plain and the mutual-TLS listener get. */
function prepareListener<T extends Server>(server: T, resolved: ResolvedServerConfig): T {
  // A client may half-close once its request is sent (RFC 9112 §9.6 lets the server still answer); Node's
  // default drops the pending response instead. A long-standing, untyped http.Server switch.
  (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on('clientError', answerClientError);
  server.on('connect', refuseConnect);
  // Requests with Expect (RFC 9110 §10.1.1): 100-continue is invited unless the body is too large;
  // any other expectation gets 417 in the OAuth envelope instead of Node's bare one.
  const onExpectation = (req: IncomingMessage, res: ServerResponse) => handleExpectation(req, res, resolved.maxBodyBytes, () => server.emit('request', req, res));
  server.on('checkContinue', onExpectation);
  server.on('checkExpectation', onExpectation);
  // Slow or stalled clients cannot hold a request open for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Each certificate of a PEM bundle. */
function certificatesOf(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block));
}

async function route(req: IncomingMessage, res: ServerResponse, config: ResolvedServerConfig, context: TokenEndpointContext, metadata: Record<string, unknown>, issuerPath: string): Promise<void> {
  // RFC 9112 §3.2: no Host in HTTP/1.1, more than one, or an invalid one is answered 400.
  const hostProblem = hostHeaderProblem(req);
  if (hostProblem !== undefined) return sendJson(res, 400, { error: 'invalid_request', error_description: hostProblem }, { Connection: 'close' });
  let target = req.url ?? '/';
  // absolute-form request targets (RFC 9112 §3.2.2), as sent through proxies
  if (!target.startsWith('/')) target = URL.canParse(target) ? (({ pathname, search }) => pathname + search)(new URL(target)) : '/';
  const queryStart = target.indexOf('?');
  let path = queryStart === -1 ? target : target.slice(0, queryStart);
  // An issuer with a path (https://as.example/tenant): its metadata sits at the RFC 8414 §3.1 path-inserted URL, and the
  // endpoints it advertises under its path are the same endpoints.
  if (issuerPath !== '' && path === `${METADATA_PATH}${issuerPath}`) path = METADATA_PATH;
  else if (issuerPath !== '' && path.startsWith(`${issuerPath}/`)) path = path.slice(issuerPath.length);
  const search = queryStart === -1 ? '' : target.slice(queryStart + 1);
  if (path === config.path) return handleTokenRequest(req, res, search, context);
  if (path === AUTHORIZE_PATH) return handleAuthorizeRequest(req, res, search, context);
  if ((path === METADATA_PATH || path === JWKS_PATH) && (req.method === 'GET' || req.method === 'HEAD')) {
    return sendJson(res, 200, path === JWKS_PATH ? context.signer.jwks : metadata);
  }
  if (path === METADATA_PATH || path === JWKS_PATH) {
    return sendJson(res, 405, { error: 'invalid_request', error_description: 'GET only' }, { Allow: 'GET, HEAD' });
  }
  sendJson(res, 404, { error: 'invalid_request', error_description: 'not found' });
}

/** The issuer's path without a terminating "/" (RFC 8414 §3.1); '' for an issuer that is an origin. */
function issuerPathOf(issuer: string): string {
  return URL.canParse(issuer) ? new URL(issuer).pathname.replace(/\/+$/, '') : '';
}

/** A host as it appears in a URL; wildcard addresses are reached through loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
