/**
 * The reference server's mutual TLS (config `mtls`, RFC 8705): a second,
 * https listener that asks for client certificates; tls_client_auth (a
 * certificate under the client CA with the registered subject) and
 * self_signed_tls_client_auth (a registered certificate); tokens bound to
 * the certificate (cnf x5t#S256); Client-Cert (RFC 9440) trusted only from
 * configured proxies; the metadata saying all of it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { decodeJwt } from 'jose';
import { createReferenceServer, ServerConfigError, type ReferenceServer } from '../../src/server';
import { createCertificateAuthority, createSelfSignedClientCertificate, type CertifiedKey } from '../../src/oauth/x509';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A form POST over https, with a client certificate or none. */
function postTls(url: string, form: Record<string, string>, tls: { ca: string; client?: CertifiedKey }, headers: Record<string, string> = {}): Promise<Answer> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        ca: tls.ca,
        ...(tls.client ? { cert: tls.client.certificate, key: tls.client.key } : {}),
        agent: false,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body), ...headers },
      },
      (res) => collect(res, resolve),
    );
    req.on('error', reject);
    req.end(body);
  });
}

function postPlain(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => collect(res, resolve));
    req.on('error', reject);
    req.end(body);
  });
}

function collect(res: http.IncomingMessage, resolve: (answer: Answer) => void): void {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
}

const thumbprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
const clientCredentials = (clientId: string) => ({ grant_type: 'client_credentials', client_id: clientId, scope: 'read' });
/** RFC 9440 §2.2: the DER as a structured-field byte sequence. */
const clientCertHeader = (pem: string) => `:${new X509Certificate(pem).raw.toString('base64')}:`;

describe('the mutual-TLS listener', () => {
  let server: ReferenceServer;
  let mtlsClient: CertifiedKey;
  let selfSigned: CertifiedKey;
  beforeAll(async () => {
    server = await createReferenceServer({ mtls: {}, dpop: { enabled: true, requireNonce: false } });
    const info = (id: string) => ({ certificate: server.clients[id]!.certificate!, key: server.clients[id]!.certificateKey! });
    mtlsClient = info('mtls-client');
    selfSigned = info('self-signed-client');
  });
  afterAll(() => server.close());

  test('tls_client_auth: the CA-issued certificate with the registered subject gets a token bound to it (cnf x5t#S256)', async () => {
    const answer = await postTls(server.mtls!.tokenEndpoint, clientCredentials('mtls-client'), { ca: server.mtls!.ca!, client: mtlsClient });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string).cnf).toEqual({ 'x5t#S256': thumbprint(mtlsClient.certificate) });
  });

  test('self_signed_tls_client_auth: the registered certificate gets a bound token', async () => {
    const answer = await postTls(server.mtls!.tokenEndpoint, clientCredentials('self-signed-client'), { ca: server.mtls!.ca!, client: selfSigned });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string).cnf).toEqual({ 'x5t#S256': thumbprint(selfSigned.certificate) });
  });

  test.each([
    ['no certificate', 'mtls-client', undefined],
    ["another client's certificate (tls_client_auth)", 'mtls-client', 'self-signed'],
    ["another client's certificate (self-signed)", 'self-signed-client', 'mtls'],
  ] as const)('%s: invalid_client', async (_what, clientId, which) => {
    const client = which === undefined ? undefined : which === 'mtls' ? mtlsClient : selfSigned;
    const answer = await postTls(server.mtls!.tokenEndpoint, clientCredentials(clientId), { ca: server.mtls!.ca!, ...(client ? { client } : {}) });
    expect([answer.status, answer.body.error]).toEqual([400, 'invalid_client']);
  });

  test('a certificate with the registered subject under another CA, and a self-signed one with the same subject but another key: invalid_client', async () => {
    const otherCa = await createCertificateAuthority('CN=another CA');
    const untrusted = await otherCa.issue('CN=mtls-client', {});
    const impostor = await createSelfSignedClientCertificate('CN=self-signed-client');
    const [a, b] = await Promise.all([
      postTls(server.mtls!.tokenEndpoint, clientCredentials('mtls-client'), { ca: server.mtls!.ca!, client: untrusted }),
      postTls(server.mtls!.tokenEndpoint, clientCredentials('self-signed-client'), { ca: server.mtls!.ca!, client: impostor }),
    ]);
    expect([a.status, a.body.error, b.status, b.body.error]).toEqual([400, 'invalid_client', 400, 'invalid_client']);
  });

  test('a client that must get certificate-bound tokens gets none on the plain listener, a bound one over mTLS; other clients get unbound ones', async () => {
    const basicOf = (id: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
    const bound = await postPlain(server.tokenEndpoint, { grant_type: 'client_credentials', scope: 'read' }, basicOf('bound-client', 'bound-secret'));
    expect([bound.status, bound.body.error]).toEqual([400, 'invalid_request']);
    const boundClient = { certificate: server.clients['bound-client']!.certificate!, key: server.clients['bound-client']!.certificateKey! };
    const overMtls = await postTls(server.mtls!.tokenEndpoint, { grant_type: 'client_credentials', scope: 'read' }, { ca: server.mtls!.ca!, client: boundClient }, basicOf('bound-client', 'bound-secret'));
    expect(overMtls.status).toBe(200);
    expect(decodeJwt(overMtls.body.access_token as string).cnf).toEqual({ 'x5t#S256': thumbprint(boundClient.certificate) });
    // A tls_client_auth client on the plain listener has no certificate to authenticate with.
    const mtlsOnPlain = await postPlain(server.tokenEndpoint, clientCredentials('mtls-client'));
    expect([mtlsOnPlain.status, mtlsOnPlain.body.error]).toEqual([400, 'invalid_client']);
    const basic = await postPlain(server.tokenEndpoint, clientCredentials('basic-client'), { Authorization: `Basic ${Buffer.from('basic-client:basic-secret').toString('base64')}` });
    expect(basic.status).toBe(200);
    expect(decodeJwt(basic.body.access_token as string).cnf).toBeUndefined();
  });

  test('a Client-Cert header from a peer that is no trusted proxy authenticates nothing; X-Forwarded-Client-Cert is never read', async () => {
    for (const header of ['Client-Cert', 'X-Forwarded-Client-Cert', 'X-SSL-Client-Cert']) {
      const answer = await postPlain(server.tokenEndpoint, clientCredentials('mtls-client'), { [header]: clientCertHeader(mtlsClient.certificate) });
      expect([header, answer.status, answer.body.error]).toEqual([header, 400, 'invalid_client']);
    }
  });

  test('its metadata: the mTLS token endpoint alias, bound tokens, both methods', async () => {
    const res = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
    const metadata = (await res.json()) as Record<string, unknown>;
    expect(metadata.mtls_endpoint_aliases).toEqual({ token_endpoint: server.mtls!.tokenEndpoint });
    expect(metadata.tls_client_certificate_bound_access_tokens).toBe(true);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']));
  });
});

describe('behind a trusted TLS-terminating proxy', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await createReferenceServer({ mtls: { trustedProxies: ['127.0.0.1', '::ffff:127.0.0.1'] } });
  });
  afterAll(() => server.close());

  test("its Client-Cert header is the client's certificate: it authenticates and binds", async () => {
    const client = server.clients['mtls-client']!;
    const answer = await postPlain(server.tokenEndpoint, clientCredentials('mtls-client'), { 'Client-Cert': clientCertHeader(client.certificate!) });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token as string).cnf).toEqual({ 'x5t#S256': thumbprint(client.certificate!) });
    // A certificate under another CA with the same subject is still no tls_client_auth certificate.
    const otherCa = await createCertificateAuthority('CN=another CA');
    const untrusted = await otherCa.issue('CN=mtls-client', {});
    const refused = await postPlain(server.tokenEndpoint, clientCredentials('mtls-client'), { 'Client-Cert': clientCertHeader(untrusted.certificate) });
    expect([refused.status, refused.body.error]).toEqual([400, 'invalid_client']);
  });
});

describe('configuration', () => {
  test('a mutual-TLS client without mtls, or tls_client_auth without a subject, is refused at start', async () => {
    await expect(createReferenceServer({ clients: [{ id: 'm', authMethods: ['tls_client_auth'], tlsClientAuthSubjectDn: 'CN=m' }] })).rejects.toThrow(ServerConfigError);
    await expect(createReferenceServer({ mtls: {}, clients: [{ id: 'm', authMethods: ['tls_client_auth'] }] })).rejects.toThrow(/tlsClientAuthSubjectDn is required/);
    await expect(createReferenceServer({ mtls: { certificate: 'not a certificate', key: 'x' } })).rejects.toThrow(/mtls.certificate is not a PEM certificate/);
  });
});
