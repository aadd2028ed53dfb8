/**
 * A token endpoint that answers like attesto_phoenix v2.13 (AP) in a Phoenix
 * host, as the "AP notes" of the conformance checklist describe it. The
 * reference server does the OAuth work (it follows AP's check order); this
 * front reshapes requests and answers where AP differs:
 *
 * - HTTPS, because AP's DPoP `htu` must be https (checklist §9.6); one port
 *   also speaks plain HTTP (first byte sniffed), answered as AP's
 *   `require_https` does: 400 invalid_request "TLS required", after the
 *   Content-Type, query-string and DPoP-count checks (AP check order).
 * - Plug.Parsers runs before the controller: a repeated form parameter keeps
 *   its last value (§2 dup-param), a JSON body that does not parse is the
 *   host's HTML error page (body-badjson), and there is no GET route, so the
 *   router's HTML 404 answers (method-get). Those pages carry Plug's default
 *   `cache-control: max-age=0, private, must-revalidate` (§9.8).
 * - Controller answers are `application/json; charset=utf-8` (Phoenix).
 * - `unsupported grant_type: <value>` echoes the value verbatim (§9.7), also
 *   for a client not registered for the grant, which gets
 *   unsupported_grant_type rather than unauthorized_client (§9.3).
 * - The DPoP token response has no `cnf` (§9.1); the JWT access token keeps
 *   `cnf.jkt`. No `DPoP-Nonce` on success (nonce-rotate).
 * - invalid_dpop_proof descriptions read "invalid DPoP proof: :<reason>";
 *   every invalid_client reads "client authentication failed" (CA).
 *
 * What AP shares with the reference is left as the reference does it: 400
 * without WWW-Authenticate for body credentials, 401 + `Basic realm="OAuth"`
 * for a failed Authorization header, form-url-decoded Basic credentials,
 * invalid_client 400 for every private_key_jwt failure (aud arrays included),
 * 300 s assertion cap, ±60 s proof iat window checked before the nonce.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createTestCertificate } from '../../support/certificates';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createReferenceServer, type ReferenceServer } from '../../../src/server';
import { headerLines, rejectQueryParameters, requestMediaType } from '../../../src/server/request';
import { TokenEndpointError } from '../../../src/server/errors';
import { HttpClient, type WireResponse } from '../../../src/conformance/http';
import type { ConformanceConfig } from '../../../src/conformance';
import { BCP195_SERVER_TLS } from '../../../src/oauth/protocol';

export const TOKEN_PATH = '/oauth/token';
/** Plug's default for responses the controller does not frame (router 404, parser errors). */
export const PLUG_CACHE_CONTROL = 'max-age=0, private, must-revalidate';
const PHOENIX_JSON = 'application/json; charset=utf-8';

/** A self-signed certificate for 127.0.0.1 (test/support/certificates.ts); `caFile` trusts it. */
export interface LoopbackCertificate {
  key: Buffer;
  cert: Buffer;
  caFile: string;
  remove(): void;
}

export async function makeLoopbackCertificate(): Promise<LoopbackCertificate> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-like-'));
  const caFile = join(dir, 'cert.pem');
  const { cert, key } = await createTestCertificate('127.0.0.1', { dns: [], ip: ['127.0.0.1'] });
  writeFileSync(caFile, cert);
  return { key: Buffer.from(key), cert: Buffer.from(cert), caFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Credentials with characters Basic must form-url-encode (RFC 6749 §2.3.1): AP decodes them (TCT "url-decodes Basic credentials"). */
export const AP_BASIC_CLIENT = { id: 'ap:basic client', secret: 's3cr:t+/%é ~' } as const;

export interface AttestoPhoenixLike {
  tokenEndpoint: string;
  /** The run configuration: every client kind, DPoP (nonces as started), the CA to trust. */
  config: ConformanceConfig;
  /** The jwt client's private key, for tests that sign assertions themselves. */
  jwtClient: { id: string; privateJwk: JWK };
  reference: ReferenceServer;
  close(): Promise<void>;
}

export interface AttestoPhoenixLikeOptions {
  /** `dpop_nonce_required: true` (with a nonce store). */
  requireNonce?: boolean;
  /** `dpop_enabled: false`: proofs are ignored and Bearer tokens issued. Default true. */
  dpopEnabled?: boolean;
}

export async function startAttestoPhoenixLike(certificate: LoopbackCertificate, options: AttestoPhoenixLikeOptions = {}): Promise<AttestoPhoenixLike> {
  const dpopEnabled = options.dpopEnabled !== false;
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), alg: 'ES256', kid: 'ap-jwt' };
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'ap-jwt' };
  const upstream = new HttpClient({ timeoutMs: 10_000, maxSockets: 8 });
  let reference: ReferenceServer | undefined;

  const handle = (secure: boolean) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      answer(req, Buffer.concat(chunks).toString('utf8'), secure, reference!, upstream)
        .then(({ status, headers, body }) => res.writeHead(status, headers).end(body))
        .catch(() => res.writeHead(500, { 'content-type': 'text/plain' }).end('ap-like front failed'));
    });
  };
  // The stand-in's TLS is ours, not attesto_phoenix's (a Phoenix app's listener is its endpoint config): BCP 195's posture,
  // so the run judges AP's token endpoint, not Node's default cipher list (tls-ciphers).
  const secureServer = https.createServer({ ...BCP195_SERVER_TLS, key: certificate.key, cert: certificate.cert }, handle(true));
  const plainServer = http.createServer(handle(false));
  const sniffer = net.createServer((socket) => {
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (!first) return void socket.destroy();
      socket.unshift(first);
      (first[0] === 0x16 ? secureServer : plainServer).emit('connection', socket); // 0x16: a TLS handshake record
    });
  });
  await new Promise<void>((resolve) => sniffer.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(sniffer.address() as net.AddressInfo).port}`;
  reference = await createReferenceServer({
    issuer: origin,
    dpop: { enabled: dpopEnabled, requireNonce: options.requireNonce === true },
    clients: [
      { id: AP_BASIC_CLIENT.id, secret: AP_BASIC_CLIENT.secret, authMethods: ['client_secret_basic'], scopes: ['read', 'write'] },
      { id: 'ap-post', secret: 'ap-post-secret', authMethods: ['client_secret_post'], scopes: ['read', 'write'] },
      { id: 'ap-jwt', authMethods: ['private_key_jwt'], jwks: { keys: [publicJwk] }, scopes: ['read', 'write'] },
      // The host's :client_grant_types callback returns no client_credentials for this one.
      { id: 'ap-no-grant', secret: 'ap-no-grant-secret', authMethods: ['client_secret_basic'], scopes: ['read'], grantTypes: [] },
      // client_requires_dpop? is true for this one.
      { id: 'ap-dpop-only', secret: 'ap-dpop-secret', authMethods: ['client_secret_basic'], scopes: ['read'], requireDpop: true },
    ],
  });
  const tokenEndpoint = `${origin}${TOKEN_PATH}`;
  return {
    tokenEndpoint,
    config: {
      url: tokenEndpoint,
      caFile: certificate.caFile,
      scope: 'read',
      invalidScope: 'admin',
      dpop: dpopEnabled ? { enabled: true, nonce: options.requireNonce === true } : { disabled: true },
      clients: [
        // attesto_phoenix enforces each client's registered token_endpoint_auth_method.
        { id: AP_BASIC_CLIENT.id, secret: AP_BASIC_CLIENT.secret, auth: 'client_secret_basic', exclusiveAuthMethod: true },
        { id: 'ap-post', secret: 'ap-post-secret', auth: 'client_secret_post', exclusiveAuthMethod: true },
        { id: 'ap-jwt', privateKey: privateJwk, auth: 'private_key_jwt', exclusiveAuthMethod: true },
        ...(dpopEnabled ? [{ id: 'ap-dpop-only', secret: 'ap-dpop-secret', auth: 'client_secret_basic' as const, requiresDpop: true }] : []),
      ],
      unauthorizedClient: { id: 'ap-no-grant', secret: 'ap-no-grant-secret', auth: 'client_secret_basic' },
    },
    jwtClient: { id: 'ap-jwt', privateJwk },
    reference,
    async close() {
      upstream.close();
      await new Promise<void>((resolve) => sniffer.close(() => resolve()));
      for (const server of [secureServer, plainServer]) server.closeAllConnections();
      await reference?.close();
    },
  };
}

// ---- the AP pipeline in front of the reference ---------------------------

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function answer(req: http.IncomingMessage, body: string, secure: boolean, reference: ReferenceServer, upstream: HttpClient): Promise<Answer> {
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const search = queryAt === -1 ? '' : target.slice(queryAt + 1);
  const contentType = req.headers['content-type'];
  const essence = contentType?.split(';')[0]?.trim().toLowerCase();

  // Plug.Parsers (endpoint) before the router: a JSON body that does not parse raises
  // Plug.Parsers.ParseError (plug_status 400), rendered by the host's error view.
  let forwarded = body;
  if (essence === 'application/json' && body !== '') {
    try {
      forwarded = JSON.stringify(JSON.parse(body)); // Jason keeps the last of repeated keys
    } catch {
      return hostPage(400, 'Bad Request');
    }
  }
  // The router has POST /oauth/token only.
  if (req.method !== 'POST' || path !== TOKEN_PATH) return hostPage(404, 'Not Found');
  // Plug.Conn.Query keeps the last value of a repeated parameter; the controller never sees the others.
  if (essence === 'application/x-www-form-urlencoded') forwarded = new URLSearchParams([...new Map(new URLSearchParams(body))]).toString();

  if (!secure) {
    // AP check order: Content-Type → query-string credentials → DPoP count → TLS.
    try {
      requestMediaType(contentType);
      rejectQueryParameters(search);
      if (headerLines(req.rawHeaders, 'dpop').length > 1) return oauthError(400, 'invalid_dpop_proof', 'Multiple DPoP proof JWTs in request');
    } catch (error) {
      if (error instanceof TokenEndpointError) return oauthError(error.status, error.code, error.message, error.headers);
      throw error;
    }
    return oauthError(400, 'invalid_request', 'TLS required');
  }

  const headers: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding'].includes(name.toLowerCase())) headers.push([name, req.rawHeaders[i + 1]!]);
  }
  const res = await upstream.send({ method: 'POST', url: `${reference.url}${target}`, headers, body: forwarded });
  return reshape(res, essence === 'application/json' ? jsonGrantType(forwarded) : new URLSearchParams(forwarded).get('grant_type') ?? undefined);
}

/** The controller's answer: the reference's, in AP's words. */
function reshape(res: WireResponse, grantType: string | undefined): Answer {
  const extra: Record<string, string> = {};
  for (const name of ['www-authenticate', 'dpop-nonce']) if (res.headers[name] !== undefined) extra[name] = res.headers[name]!;
  const body = typeof res.body === 'object' && res.body !== null ? (res.body as Record<string, unknown>) : {};
  if (res.status === 200) {
    const { cnf: _cnf, ...token } = body; // AP returns cnf.jkt only inside the JWT access token
    delete extra['dpop-nonce']; // AP never rotates nonces on success
    return json(200, token, extra);
  }
  let error = String(body.error);
  let description = String(body.error_description ?? '');
  if (error === 'unauthorized_client' || error === 'unsupported_grant_type') {
    // TK.require_registered_grant_type / require_supported_grant_type: "unsupported grant_type: #{grant_type}".
    error = 'unsupported_grant_type';
    description = `unsupported grant_type: ${grantType ?? ''}`;
  } else if (error === 'invalid_client') {
    // CA: every client-authentication failure has the one generic description.
    description = 'client authentication failed';
  } else if (error === 'invalid_dpop_proof') {
    description = /more than one DPoP header/.test(description) ? 'Multiple DPoP proof JWTs in request' : `invalid DPoP proof: :${dpopReason(description)}`;
  }
  return oauthError(res.status, error, description, extra);
}

const DPOP_REASONS: ReadonlyArray<[RegExp, string]> = [
  [/typ must be/, 'invalid_typ'],
  [/alg must be|alg is not allowed/, 'invalid_alg'],
  [/missing jwk/, 'missing_jwk'],
  [/jwk must be a public key|RSA jwk/, 'invalid_jwk'],
  [/critical header/, 'unsupported_critical_header'],
  [/signature/, 'invalid_signature'],
  [/missing jti/, 'missing_jti'],
  [/htm/, 'invalid_htm'],
  [/htu/, 'invalid_htu'],
  [/missing iat/, 'missing_iat'],
  [/proof expired/, 'proof_expired'],
  [/in the future/, 'invalid_iat'],
  [/replay/, 'replay'],
];

function dpopReason(description: string): string {
  return DPOP_REASONS.find(([pattern]) => pattern.test(description))?.[1] ?? 'invalid_proof';
}

function jsonGrantType(text: string): string | undefined {
  try {
    const value = (JSON.parse(text) as Record<string, unknown>).grant_type;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** AP's error envelope: no-store and no-cache on every controller response (TCT "response framing"). */
function oauthError(status: number, error: string, description: string, extra: Record<string, string> = {}): Answer {
  return json(status, { error, error_description: description }, extra);
}

function json(status: number, body: Record<string, unknown>, extra: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': PHOENIX_JSON, 'cache-control': 'no-store', pragma: 'no-cache', ...extra }, body: JSON.stringify(body) };
}

/** A page of the host's error view, outside the controller: HTML and Plug's default cache-control. */
function hostPage(status: number, title: string): Answer {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': PLUG_CACHE_CONTROL },
    body: `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`,
  };
}
