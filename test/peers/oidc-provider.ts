/**
 * Starts panva's oidc-provider (test/peers/oidc-provider-peer.mjs) in a
 * child process on 127.0.0.1 with an ephemeral port: a real, independent
 * token endpoint for interop tests.
 *
 * The child is stopped by `stop()`, when the parent process exits, and
 * (through its stdin pipe) when the parent dies without running handlers.
 *
 * Besides client_credentials it serves authorization_code (PKCE S256) and
 * refresh_token (rotated on every use) for `clients.code` and `clients.spa`.
 * Their codes come without a browser: `issueCode` asks the child, over its
 * stdin/stdout, to save a Grant and an AuthorizationCode through the
 * provider's own models for a PKCE pair made here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createCertificateAuthority, createSelfSignedClientCertificate, type CertifiedKey } from '../../src/oauth/x509';
import type { CodeRequest, IssuedCode } from '../../src/conformance/grant-sources';
import { createPkcePair } from '../../src/oauth/pkce';

/** The one redirect URI the code clients register (never contacted: codes are minted, not redirected). */
export const PEER_REDIRECT_URI = 'http://127.0.0.1/callback';

export interface PeerCodeRequest extends CodeRequest {
  /** Binds the code to this DPoP key thumbprint (RFC 9449 §10, `dpop_jkt`). */
  dpopJkt?: string;
  /** Another redirect URI to bind the code to (default: the client's registered one). */
  redirectUri?: string;
}

export interface OidcProviderPeer {
  issuer: string;
  /** `POST` token endpoint: `<issuer>/token`. */
  tokenEndpoint: string;
  /** Introspection endpoint (RFC 7662), authenticated like the token endpoint. */
  introspectionEndpoint: string;
  clients: {
    /**
     * `client_secret_basic`; the secret contains `:`, space, `%`, `+`, `&` and `=`, which only
     * RFC 6749 §2.3.1 form-encoding before base64 gets through (secrets are VSCHAR, Appendix A.2).
     */
    basic: { id: string; secret: string };
    post: { id: string; secret: string };
    /** `private_key_jwt` with an ES256 key generated at start. */
    jwt: { id: string; privateJwk: JWK; publicJwk: JWK };
    /** `client_secret_basic`, registered for no grant type at all. */
    noGrant: { id: string; secret: string };
    /** Confidential, `client_secret_basic`: authorization_code + refresh_token, scope `read write`. */
    code: { id: string; secret: string; redirectUri: string };
    /** Public (`none`): authorization_code + refresh_token; with DPoP its refresh tokens are bound to the key. */
    spa: { id: string; redirectUri: string };
  };
  /** Lifetime of minted codes in seconds. */
  codeLifetimeSeconds: number;
  /**
   * With `mtls`: the https listener's CA (PEM, to trust it) and the mutual-TLS
   * clients (RFC 8705), each registered for certificate-bound tokens:
   * `tlsClientAuth` (a certificate under the client CA, subject DN
   * registered), `selfSigned` (its self-signed certificate registered in its
   * jwks as x5c) and `bound` (client_secret_basic, with a certificate under
   * the client CA it must present to get a token).
   */
  mtls?: {
    ca: string;
    clients: {
      tlsClientAuth: { id: string } & CertifiedKey;
      selfSigned: { id: string } & CertifiedKey;
      bound: { id: string; secret: string } & CertifiedKey;
    };
  };
  /**
   * A fresh authorization code for `clientId` (a `CodeSource`, see
   * src/conformance/grant-sources.ts): a new S256 PKCE pair, the challenge
   * stored with the code, the verifier returned. `scope` defaults to the
   * client's registered scope and is cut to it; the granted scope is returned.
   */
  issueCode(request: PeerCodeRequest): Promise<IssuedCode & { redirectUri: string; scope: string }>;
  requireNonce: boolean;
  /** Process id of the child running the provider. */
  pid: number;
  /**
   * The provider's `oidc-provider:error` debug lines so far, one per rejected
   * request: they carry the hidden reason (`detail=...`) behind a generic
   * `error_description`, so tests can prove *why* a request was rejected.
   */
  readonly errorLog: readonly string[];
  /**
   * Resolves with the first error line logged after `errorLog` had `since`
   * entries (and containing `mustContain`, when given).
   */
  nextError(since: number, mustContain?: string, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOidcProviderOptions {
  /** Second flavour: every DPoP proof must carry a server nonce (RFC 9449 §8). */
  requireNonce?: boolean;
  /** Also print the provider's error lines (see `errorLog`) to this process's stderr. */
  debug?: boolean;
  /** Start-up deadline (default 15 000 ms). */
  timeoutMs?: number;
  /** Lifetime of minted authorization codes (default 60 s, oidc-provider's default). */
  codeLifetimeSeconds?: number;
  /** Serve https with the provider's mTLS feature (see `OidcProviderPeer.mtls`). */
  mtls?: boolean;
  /** Access tokens as JWTs (default, their cnf visible) or opaque (their cnf only through introspection, RFC 7662). */
  accessTokenFormat?: 'jwt' | 'opaque';
}

/** The child's entry script (exported for lifecycle tests). */
export const OIDC_PROVIDER_PEER_SCRIPT = path.join(__dirname, 'oidc-provider-peer.mjs');

export async function startOidcProvider(options: StartOidcProviderOptions = {}): Promise<OidcProviderPeer> {
  const requireNonce = options.requireNonce === true;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid: 'jwt-client-es256' };
  const { d: _private, ...publicJwk } = privateJwk;

  const clients: OidcProviderPeer['clients'] = {
    basic: { id: 'basic-client', secret: 'b:sic s3cret%+/&=' },
    post: { id: 'post-client', secret: 'post-secret' },
    jwt: { id: 'jwt-client', privateJwk, publicJwk },
    noGrant: { id: 'no-grant-client', secret: 'no-grant-secret' },
    code: { id: 'code-client', secret: 'code-secret-1', redirectUri: PEER_REDIRECT_URI },
    spa: { id: 'spa-client', redirectUri: PEER_REDIRECT_URI },
  };
  const codeLifetimeSeconds = options.codeLifetimeSeconds ?? 60;
  const common = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'read write' };
  const codeCommon = { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [PEER_REDIRECT_URI], scope: 'read write' };
  const registered: Array<Record<string, unknown>> = [
    { ...common, client_id: clients.basic.id, client_secret: clients.basic.secret, token_endpoint_auth_method: 'client_secret_basic' },
    { ...common, client_id: clients.post.id, client_secret: clients.post.secret, token_endpoint_auth_method: 'client_secret_post' },
    { ...common, client_id: clients.jwt.id, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk] } },
    { ...common, grant_types: [], client_id: clients.noGrant.id, client_secret: clients.noGrant.secret, token_endpoint_auth_method: 'client_secret_basic' },
    { ...codeCommon, client_id: clients.code.id, client_secret: clients.code.secret, token_endpoint_auth_method: 'client_secret_basic' },
    { ...codeCommon, client_id: clients.spa.id, token_endpoint_auth_method: 'none' },
  ];

  const mtls = options.mtls === true ? await mtlsSetup() : undefined;
  if (mtls !== undefined) registered.push(...mtls.registered);
  const peerConfig = { requireNonce, clients: registered, codeLifetimeSeconds, accessTokenFormat: options.accessTokenFormat ?? 'jwt', ...(mtls ? { mtls: mtls.listener } : {}) };
  const env: NodeJS.ProcessEnv = { ...process.env, PEER_CONFIG: JSON.stringify(peerConfig) };
  env.DEBUG = 'oidc-provider:error';
  delete env.DEBUG_COLORS;
  const child = spawn(process.execPath, ['--no-warnings', OIDC_PROVIDER_PEER_SCRIPT], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stderr = '';
  let partial = '';
  const errorLog: string[] = [];
  const waiters = new Set<() => void>();
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    if (options.debug === true) process.stderr.write(chunk);
    stderr = (stderr + chunk).slice(-4000);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.includes('oidc-provider:error')) errorLog.push(line);
    for (const wake of waiters) wake();
  });

  let port: number;
  try {
    port = await waitForReady(child, options.timeoutMs ?? 15_000, () => stderr);
  } catch (error) {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    throw error;
  }

  const control = controlChannel(child);
  const redirectUris = new Map<string, string>([
    [clients.code.id, clients.code.redirectUri],
    [clients.spa.id, clients.spa.redirectUri],
  ]);

  const issuer = `${mtls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    ...(mtls ? { mtls: mtls.peer } : {}),
    issuer,
    tokenEndpoint: `${issuer}/token`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    clients,
    requireNonce,
    codeLifetimeSeconds,
    async issueCode({ clientId, scope, dpopJkt, redirectUri }) {
      const pkce = createPkcePair();
      const uri = redirectUri ?? redirectUris.get(clientId) ?? PEER_REDIRECT_URI;
      const result = (await control.call('issueCode', { clientId, scope, redirectUri: uri, codeChallenge: pkce.codeChallenge, dpopJkt })) as { code: string; scope: string };
      return { code: result.code, codeVerifier: pkce.codeVerifier, redirectUri: uri, scope: result.scope };
    },
    pid: child.pid!,
    errorLog,
    nextError(since, mustContain, timeoutMs = 2000) {
      return new Promise<string>((resolve, reject) => {
        const check = (): boolean => {
          const line = errorLog.slice(since).find((entry) => mustContain === undefined || entry.includes(mustContain));
          if (line === undefined) return false;
          waiters.delete(wake);
          clearTimeout(timer);
          resolve(line);
          return true;
        };
        const wake = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`oidc-provider peer: no error logged within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(wake);
        check();
      });
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}

/**
 * The mutual-TLS side of the peer: a CA for the listener and for
 * tls_client_auth certificates, the listener's certificate (127.0.0.1), the
 * clients' certificates, and their registrations (RFC 8705 §2.1.2, §2.2.2,
 * §3.4 client metadata).
 */
async function mtlsSetup(): Promise<{ listener: { certificate: string; key: string; clientCa: string }; registered: Array<Record<string, unknown>>; peer: NonNullable<OidcProviderPeer['mtls']> }> {
  const ca = await createCertificateAuthority('CN=oidc-provider peer CA');
  const [listener, tlsClientAuth, bound, selfSigned] = await Promise.all([
    ca.issue('CN=localhost', { server: { dns: ['localhost'], ip: ['127.0.0.1'] } }),
    ca.issue('CN=peer-mtls-client', {}),
    ca.issue('CN=peer-bound-client', {}),
    createSelfSignedClientCertificate('CN=peer-self-signed-client'),
  ]);
  const clients = {
    tlsClientAuth: { id: 'mtls-client', ...tlsClientAuth },
    selfSigned: { id: 'self-signed-client', ...selfSigned },
    bound: { id: 'bound-client', secret: 'bound-secret', ...bound },
  };
  const selfSignedCertificate = new X509Certificate(selfSigned.certificate);
  const common = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'read write', tls_client_certificate_bound_access_tokens: true };
  const registered = [
    { ...common, client_id: clients.tlsClientAuth.id, token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=peer-mtls-client' },
    {
      ...common,
      client_id: clients.selfSigned.id,
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [{ ...selfSignedCertificate.publicKey.export({ format: 'jwk' }), x5c: [selfSignedCertificate.raw.toString('base64')] }] },
    },
    { ...common, client_id: clients.bound.id, client_secret: clients.bound.secret, token_endpoint_auth_method: 'client_secret_basic' },
  ];
  return { listener: { certificate: listener.certificate, key: listener.key, clientCa: ca.certificate }, registered, peer: { ca: ca.certificate, clients } };
}

/** The child's control path: one JSON request a line on stdin, one `REPLY <json>` line back on stdout. */
function controlChannel(child: ChildProcess): { call(op: string, params: Record<string, unknown>): Promise<unknown> } {
  let nextId = 1;
  let partial = '';
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const failAll = (error: Error): void => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  child.stdout!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('REPLY ')) continue;
      const message = JSON.parse(line.slice('REPLY '.length)) as { id: number; ok: boolean; result?: unknown; error?: string };
      const waiter = pending.get(message.id);
      if (!waiter) continue;
      pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`oidc-provider peer: ${message.error}`));
    }
  });
  child.once('exit', () => failAll(new Error('oidc-provider peer exited')));
  return {
    call(op, params) {
      if (child.exitCode !== null || child.signalCode !== null || !child.stdin!.writable) return Promise.reject(new Error('oidc-provider peer is not running'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.stdin!.write(`${JSON.stringify({ id, op, ...params })}\n`);
      });
    },
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`oidc-provider peer: no READY line within ${timeoutMs} ms\n${stderr()}`)), timeoutMs);
    const onData = (chunk: string): void => {
      stdout += chunk;
      const match = /^READY (\d+)$/m.exec(stdout);
      if (match) {
        cleanup();
        resolve(Number(match[1]));
      }
    };
    const onExit = (code: number | null, signal: string | null): void =>
      fail(new Error(`oidc-provider peer exited before READY (code ${code}, signal ${signal})\n${stderr()}`));
    const onError = (error: Error): void => fail(new Error(`oidc-provider peer could not start: ${error.message}`));
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout!.removeListener('data', onData);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
    }
    function fail(error: Error): void {
      cleanup();
      reject(error);
    }
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.stdin?.end();
    child.kill('SIGTERM');
  });
}
