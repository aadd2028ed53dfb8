/**
 * A small mutual-TLS token endpoint (RFC 8705) for the mtls checks' broken
 * servers: https on 127.0.0.1, asking for client certificates; three
 * clients (`tls-client`: tls_client_auth under its CA, subject
 * CN=tls-client; `self-client`: self_signed_tls_client_auth with a
 * registered certificate; `bound-client`: Basic, certificate-bound tokens
 * only) and JWT access tokens bound to the certificate. Correct unless one
 * `defect` is named; each breaks one rule.
 */
import { X509Certificate, randomUUID } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { SignJWT } from 'jose';
import { certificateThumbprint } from '../../../src/oauth/certificate-thumbprint';
import { createCertificateAuthority, createSelfSignedClientCertificate, type CertifiedKey } from '../../../src/oauth/x509';
import type { ConformanceConfig } from '../../../src/conformance';

export type MtlsDefect =
  /** A mutual-TLS client without a certificate is accepted. */
  | 'no-cert'
  /** Any certificate the server would accept for some client authenticates every mutual-TLS client. */
  | 'other-client-cert'
  /** tls_client_auth: the subject is compared, the chain is not checked. */
  | 'any-ca'
  /** self_signed_tls_client_auth: matched by subject, not by the registered certificate. */
  | 'self-signed-by-subject'
  /** Tokens carry no cnf["x5t#S256"]. */
  | 'unbound'
  /** The bound-only client gets a token without a certificate. */
  | 'bound-optional'
  /** A Client-Cert header from anyone counts as the certificate. */
  | 'spoofed-header';

export interface MtlsServer {
  url: string;
  /** A suite config for it: its three clients, the CA to trust it with, only the mtls group. */
  config(): ConformanceConfig;
  close(): Promise<void>;
}

const SECRET = 'bound-client-secret';
const SIGNING_KEY = new TextEncoder().encode('mtls-server-test-signing-key-0123456789');

/**
 * `strict`: the listener itself demands a certificate it trusts (the CA's,
 * or the registered self-signed one) and ends any other handshake: a
 * correct server that refuses before HTTP.
 */
export async function startMtlsServer(defect?: MtlsDefect, options: { strict?: boolean; tlsSubject?: string } = {}): Promise<MtlsServer> {
  const ca = await createCertificateAuthority('CN=mtls-server CA');
  const listener = await ca.issue('CN=localhost', { server: { dns: ['localhost'], ip: ['127.0.0.1'] } });
  const tlsClient = await ca.issue(options.tlsSubject ?? 'CN=tls-client', {});
  const tlsSubject = new X509Certificate(tlsClient.certificate).subject;
  const selfClient = await createSelfSignedClientCertificate('CN=self-client');
  const boundClient = await ca.issue('CN=bound-client', {});
  const caCertificate = new X509Certificate(ca.certificate);
  const registered = new X509Certificate(selfClient.certificate).raw;

  const server = https.createServer({ key: listener.key, cert: listener.certificate, ca: options.strict === true ? [ca.certificate, selfClient.certificate] : ca.certificate, requestCert: true, rejectUnauthorized: options.strict === true }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      void answer(req, body).then(([status, json]) => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' }).end(JSON.stringify(json));
      });
    });
  });

  /** The certificate of the handshake, or (defect spoofed-header) of a Client-Cert header. */
  const certificateOf = (req: import('node:http').IncomingMessage): { certificate: X509Certificate; trusted: boolean } | undefined => {
    const socket = req.socket as TLSSocket;
    const presented = socket.getPeerX509Certificate();
    if (presented !== undefined) return { certificate: presented, trusted: socket.authorized };
    const header = req.headers['client-cert'];
    if (defect === 'spoofed-header' && typeof header === 'string') {
      const certificate = new X509Certificate(Buffer.from(header.replace(/^:|:$/g, ''), 'base64'));
      return { certificate, trusted: certificate.checkIssued(caCertificate) && certificate.verify(caCertificate.publicKey) };
    }
    return undefined;
  };

  const answer = async (req: import('node:http').IncomingMessage, body: string): Promise<[number, Record<string, unknown>]> => {
    const params = new URLSearchParams(body);
    if (params.get('grant_type') !== 'client_credentials') return [400, { error: 'unsupported_grant_type' }];
    const presented = certificateOf(req);
    const clientId = authenticate(req, params, presented);
    if (clientId === undefined) return [400, { error: 'invalid_client' }];
    if (clientId === 'bound-client' && presented === undefined && defect !== 'bound-optional') return [400, { error: 'invalid_request', error_description: 'certificate-bound tokens only' }];
    const cnf = presented !== undefined && defect !== 'unbound' ? { cnf: { 'x5t#S256': certificateThumbprint(presented.certificate.raw) } } : {};
    const token = await new SignJWT({ client_id: clientId, ...cnf }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setJti(randomUUID()).setIssuedAt().setExpirationTime('5m').sign(SIGNING_KEY);
    return [200, { access_token: token, token_type: 'Bearer', expires_in: 300 }];
  };

  const authenticate = (req: import('node:http').IncomingMessage, params: URLSearchParams, presented: ReturnType<typeof certificateOf>): string | undefined => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      return authorization === `Basic ${Buffer.from(`bound-client:${SECRET}`).toString('base64')}` ? 'bound-client' : undefined;
    }
    const clientId = params.get('client_id') ?? undefined;
    if (clientId !== 'tls-client' && clientId !== 'self-client') return undefined;
    if (presented === undefined) return defect === 'no-cert' ? clientId : undefined;
    if (defect === 'other-client-cert') return presented.trusted || presented.certificate.raw.equals(registered) ? clientId : undefined;
    if (clientId === 'tls-client') return (presented.trusted || defect === 'any-ca') && presented.certificate.subject === tlsSubject ? clientId : undefined;
    return presented.certificate.raw.equals(registered) || (defect === 'self-signed-by-subject' && presented.certificate.subject === 'CN=self-client') ? clientId : undefined;
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The run trusts the listener through its CA file (config caFile), as a user's staging CA.
  const dir = mkdtempSync(join(tmpdir(), 'mtls-server-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certificate);
  const pem = (made: CertifiedKey) => ({ certificate: made.certificate, certificateKey: made.key });
  return {
    url,
    config: () => ({
      url: `${url}/token`,
      caFile,
      only: ['mtls'],
      clients: [
        { id: 'tls-client', auth: 'tls_client_auth', ...pem(tlsClient) },
        { id: 'self-client', auth: 'self_signed_tls_client_auth', ...pem(selfClient) },
        { id: 'bound-client', auth: 'client_secret_basic', secret: SECRET, certificateBoundTokens: true, ...pem(boundClient) },
      ],
    }),
    close: () =>
      new Promise<void>((resolve) => {
        rmSync(dir, { recursive: true, force: true });
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
