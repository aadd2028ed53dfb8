/**
 * Issue 15 item 3: `toMatchTokenResponse({ certificate })` and
 * `toMatchBearerTokenResponse({ certificate })`: the JWT access token's
 * cnf["x5t#S256"] is the certificate's SHA-256 thumbprint (RFC 8705 §3.1).
 * A token from the reference server's mutual-TLS listener passes with its
 * certificate (PEM, DER, X509Certificate, thumbprint), and fails with
 * another certificate, without a binding, or opaque; a bad certificate is a
 * matcher error, never a pass.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { SignJWT } from 'jose';
import '../../src/matchers/jest';
import { createSelfSignedClientCertificate } from '../../src/oauth/x509';
import { createReferenceServer, type ReferenceServer } from '../../src/server';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

function postTls(url: string, body: string, tls: { ca: string; cert: string; key: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca: tls.ca, cert: tls.cert, key: tls.key, agent: false, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const FRAMING = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };

describe('the certificate option', () => {
  let server: ReferenceServer;
  let bound: Answer;
  let certificate: string;
  beforeAll(async () => {
    server = await createReferenceServer({ mtls: {} });
    const client = server.clients['mtls-client']!;
    certificate = client.certificate!;
    bound = await postTls(server.mtls!.tokenEndpoint, 'grant_type=client_credentials&client_id=mtls-client&scope=read', { ca: server.mtls!.ca!, cert: certificate, key: client.certificateKey! });
  });
  afterAll(() => server.close());

  test('a token bound to the certificate passes, whatever form the certificate is given in', async () => {
    const x509 = new X509Certificate(certificate);
    const thumbprint = createHash('sha256').update(x509.raw).digest('base64url');
    for (const given of [certificate, x509.raw, x509, thumbprint]) {
      await expect(bound).toMatchTokenResponse({ certificate: given });
      await expect(bound).toMatchBearerTokenResponse({ certificate: given });
    }
  });

  test('another certificate, no binding, an opaque token: each fails, saying why', async () => {
    const other = await createSelfSignedClientCertificate('CN=someone else');
    await expect(expect(bound).toMatchTokenResponse({ certificate: other.certificate })).rejects.toThrow(/cnf\["x5t#S256"\] is another certificate's thumbprint/);
    const unbound = { status: 200, headers: FRAMING, body: { access_token: await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('k'.repeat(32))), token_type: 'Bearer', expires_in: 60 } };
    await expect(expect(unbound).toMatchTokenResponse({ certificate })).rejects.toThrow(/no cnf\["x5t#S256"\] claim/);
    const opaque = { status: 200, headers: FRAMING, body: { access_token: 'an-opaque-token-value', token_type: 'Bearer', expires_in: 60 } };
    await expect(expect(opaque).toMatchBearerTokenResponse({ certificate })).rejects.toThrow(/the access token is opaque/);
    // And .not passes where the binding is wrong.
    await expect(bound).not.toMatchTokenResponse({ certificate: other.certificate });
  });

  test('a certificate that is none is a matcher error', async () => {
    await expect(expect(bound).toMatchTokenResponse({ certificate: 'not a certificate' })).rejects.toThrow(/Matcher error: certificate as a string must be a PEM certificate or its x5t#S256 thumbprint/);
    await expect(expect(bound).toMatchTokenResponse({ certificate: new Uint8Array([1, 2, 3]) })).rejects.toThrow(/certificate is not a readable X\.509 certificate/);
  });
});
