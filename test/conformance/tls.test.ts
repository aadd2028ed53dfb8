/**
 * An https:// target, the one case the loopback reference server cannot
 * play: one port that speaks TLS to TLS clients and plain HTTP to the rest
 * (it sniffs the first byte), so the `tls` check can send its plain-http
 * request to the same host and port. The certificate is self-signed, made
 * for the test (test/support/certificates.ts), and trusted through `caFile`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { TargetUnreachableError, runConformance, type ConformanceConfig } from '../../src/conformance';
import { BCP195_SERVER_TLS, BCP195_TLS12_SUITES } from '../../src/oauth/protocol';
import { createCertificateAuthority } from '../../src/oauth/x509';
import { createTestCertificate } from '../support/certificates';
import { cli } from '../support/cli';

type Listener = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
const withBody = (listener: () => Listener) => (req: http.IncomingMessage, res: http.ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => listener()(req, res, Buffer.concat(chunks).toString('utf8')));
};
const token: Listener = (_req, res) => res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' }).end(JSON.stringify({ access_token: 'plain-http-token', token_type: 'Bearer', expires_in: 60 }));
const refuse = (status: number, error: string): Listener => (_req, res) => res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' }).end(JSON.stringify({ error }));

describe('an https target', () => {
  let dir: string;
  let caFile: string;
  let sniffer: net.Server;
  let url: string;
  /** What the plain-http side answers; the TLS side always issues tokens. */
  let plain: Listener = refuse(400, 'invalid_request');
  const plainAuthorizations: string[] = [];
  const plainBodies: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conformance-tls-'));
    caFile = join(dir, 'cert.pem');
    const { cert, key } = await createTestCertificate();
    writeFileSync(caFile, cert);
    // The key file too: a PEM that is no certificate, which caFile must refuse.
    writeFileSync(join(dir, 'key.pem'), key);
    const secure = https.createServer({ key, cert }, withBody(() => token));
    const cleartext = http.createServer(
      withBody(() => (req, res, body) => {
        plainAuthorizations.push(req.headers.authorization ?? '');
        plainBodies.push(body);
        plain(req, res, body);
      }),
    );
    sniffer = net.createServer((socket) => {
      socket.once('readable', () => {
        const first = socket.read(1) as Buffer | null;
        if (!first) return void socket.destroy();
        socket.unshift(first);
        (first[0] === 0x16 ? secure : cleartext).emit('connection', socket); // 0x16: a TLS handshake record
      });
    });
    await new Promise<void>((resolve) => sniffer.listen(0, '127.0.0.1', resolve));
    url = `https://localhost:${(sniffer.address() as net.AddressInfo).port}/oauth/token`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => sniffer?.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const config = (extra: Partial<ConformanceConfig> = {}): ConformanceConfig => ({ url, caFile, only: ['tls'], clients: [{ id: 'basic-client', secret: 'the-real-secret', auth: 'client_secret_basic' }], ...extra });

  test('an untrusted certificate is one exit-2 line naming the cause and the way to trust the CA', async () => {
    const error = await runConformance(config({ caFile: undefined })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetUnreachableError);
    expect((error as Error).message).toMatch(/^cannot reach https:\/\/localhost:\d+: DEPTH_ZERO_SELF_SIGNED_CERT \(the TLS certificate is not trusted; give its CA with --ca-file, config "caFile"\)$/);
    const { code, stderr, stdout } = await cli(['conformance', '--url', url, '--client-id', 'c', '--client-secret', 'x']);
    expect([code, stdout, stderr.split('\n').length]).toEqual([2, '', 2]);
    expect(stderr).toMatch(/DEPTH_ZERO_SELF_SIGNED_CERT/);
  });

  test('--ca-file (relative to the working directory) makes the CLI trust the private CA: tls runs and passes', async () => {
    plain = refuse(400, 'invalid_request');
    const args = ['conformance', '--url', url, '--client-id', 'basic-client', '--client-secret', 'the-real-secret', '--only', 'tls'];
    const untrusted = await cli(args, { cwd: dir });
    expect(untrusted.code).toBe(2);
    const { code, stdout, stderr } = await cli([...args, '--ca-file', 'cert.pem'], { cwd: dir });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/PASS\s+tls /);
    expect((await cli([...args, '--ca-file', 'key.pem'], { cwd: dir })).stderr).toMatch(/holds no PEM certificate/);
  });

  test('tls passes when plain http is refused before authentication, and no real secret crossed it', async () => {
    plain = refuse(400, 'invalid_request');
    const result = (await runConformance(config())).checks[0]!;
    expect(result).toMatchObject({ id: 'tls', status: 'passed', message: expect.stringMatching(/^plain http answered 400 invalid_request; sent with a wrong secret/) });
    expect(plainAuthorizations.at(-1)).toBe(`Basic ${Buffer.from('basic-client:not-the-client-secret').toString('base64')}`);
  });

  test('tls fails when plain http issues a token', async () => {
    plain = token;
    const result = (await runConformance(config())).checks[0]!;
    expect(result).toMatchObject({ status: 'failed', message: expect.stringMatching(/^\[MUST\] the server issued a token for a plain-http token request \(http:\/\/localhost:\d+\); it must refuse the request$/) });
  });

  test('tls-forwarded-proto: plain http that claims https in a header is refused too; a server that believes the header fails it', async () => {
    const claimsHttps = (req: http.IncomingMessage) => req.headers['x-forwarded-proto'] === 'https' || /proto=https/i.test(String(req.headers.forwarded ?? ''));
    plain = (req, res, body) => (claimsHttps(req) ? token(req, res, body) : refuse(400, 'invalid_request')(req, res, body));
    const believing = await runConformance(config({ only: ['tls', 'tls-forwarded-proto'] }));
    expect(believing.checks.map((c) => [c.id, c.status])).toEqual([
      ['tls', 'passed'],
      ['tls-forwarded-proto', 'failed'],
    ]);
    expect(believing.checks[1]!.message).toMatch(/the server issued a token for a plain-http token request claiming https in X-Forwarded-Proto/);
    // Only a wrong secret crossed plain http, with the headers too.
    expect(plainAuthorizations.at(-1)).toBe(`Basic ${Buffer.from('basic-client:not-the-client-secret').toString('base64')}`);
    plain = refuse(400, 'invalid_request');
    const correct = await runConformance(config({ only: ['tls', 'tls-forwarded-proto'] }));
    expect(correct.checks.map((c) => c.status)).toEqual(['passed', 'passed']);
  });

  test('tls-versions: a server taking TLS 1.0 and 1.1 fails it, naming the versions; the default one (TLS 1.2 and later) passes', async () => {
    const correct = (await runConformance(config({ only: ['tls-versions'] }))).checks[0]!;
    expect(correct).toMatchObject({ status: 'passed', message: expect.stringMatching(/^TLSv1 refused \(\S+\); TLSv1\.1 refused \(\S+\)$/) });
    // The same certificate as the main target (trusted through caFile); OpenSSL offers and takes TLS 1.0/1.1 only at security level 0.
    const [cert, key] = [readFileSync(caFile, 'utf8'), readFileSync(join(dir, 'key.pem'), 'utf8')];
    const old = https.createServer({ key, cert, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, withBody(() => token));
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    try {
      const oldUrl = `https://localhost:${(old.address() as net.AddressInfo).port}/oauth/token`;
      const result = (await runConformance(config({ url: oldUrl, only: ['tls-versions'] }))).checks[0]!;
      expect(result.status).toBe('failed');
      expect(result.findings.map((f) => f.message)).toEqual(['the server completed a TLSv1 handshake', 'the server completed a TLSv1.1 handshake']);
    } finally {
      await new Promise<void>((resolve) => old.close(() => resolve()));
    }
  });

  /** An https server on loopback with the main target's certificate and these TLS options, for the time of `body`. */
  async function withHttpsServer(options: https.ServerOptions, body: (url: string) => Promise<void>): Promise<void> {
    const [cert, key] = [readFileSync(caFile, 'utf8'), readFileSync(join(dir, 'key.pem'), 'utf8')];
    const server = https.createServer({ key, cert, ...options }, withBody(() => token));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await body(`https://localhost:${(server.address() as net.AddressInfo).port}/oauth/token`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  test('tls-ciphers: Node\'s default TLS 1.2 list with an EC key (CBC, CCM, ChaCha20, ARIA besides the four) warns at MAY, naming only suites outside BCP 195', async () => {
    const result = (await runConformance(config({ only: ['tls-ciphers'] }))).checks[0]!;
    expect(result.status).toBe('warned');
    // With an EC key every suite is ECDHE: none RFC 9325 §4.1 discourages, all outside §4.2's four (FAPI 2.0's rule).
    expect(result.findings.map((f) => f.level)).toEqual(['MAY']);
    const named = result.findings[0]!.received!.split(', ');
    expect(named.length).toBeGreaterThanOrEqual(4);
    for (const suite of named) expect(BCP195_TLS12_SUITES).not.toContain(suite);
    expect(new Set(named).size).toBe(named.length);
    expect(named).toContain('ECDHE-ECDSA-CHACHA20-POLY1305');
    expect(result.findings[0]!.message).toMatch(/^over TLS 1\.2 the server negotiated \d+ suite\(s\) outside the four BCP 195 recommends \(FAPI 2\.0 permits only those\): /);
  });

  test('tls-ciphers: RSA key transport is a SHOULD (RFC 9325 §4.1), ChaCha20 a MAY; one extra suite is named alone; BCP 195 passes; TLS 1.3 only passes', async () => {
    const rsa = await createTestCertificate('localhost', { rsa: true });
    const rsaCaFile = join(dir, 'rsa-cert.pem');
    writeFileSync(rsaCaFile, rsa.cert);
    await withHttpsServer({ key: rsa.key, cert: rsa.cert, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305' }, async (url) => {
      const result = (await runConformance(config({ url, caFile: rsaCaFile, only: ['tls-ciphers'] }))).checks[0]!;
      expect(result.status).toBe('warned');
      expect(result.findings.map((f) => [f.level, f.received])).toEqual([
        ['SHOULD', 'AES128-GCM-SHA256'],
        ['MAY', 'ECDHE-RSA-CHACHA20-POLY1305'],
      ]);
    });
    await withHttpsServer({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA' }, async (url) => {
      const result = (await runConformance(config({ url, only: ['tls-ciphers'] }))).checks[0]!;
      expect(result.status).toBe('warned');
      expect(result.findings.map((f) => [f.level, f.received])).toEqual([['MAY', 'ECDHE-ECDSA-AES128-SHA']]);
    });
    await withHttpsServer({ ...BCP195_SERVER_TLS }, async (url) => {
      const result = (await runConformance(config({ url, only: ['tls-ciphers'] }))).checks[0]!;
      expect(result).toMatchObject({ status: 'passed', message: expect.stringMatching(/^TLS 1\.2 with a recommended suite: ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384); no other TLS 1\.2 suite taken/) });
    });
    await withHttpsServer({ minVersion: 'TLSv1.3' }, async (url) => {
      const result = (await runConformance(config({ url, only: ['tls-ciphers', 'tls-versions'] }))).checks;
      expect(result.map((c) => c.status)).toEqual(['passed', 'passed']);
      expect(result.find((c) => c.id === 'tls-ciphers')!.message).toMatch(/TLS 1\.3 only$/);
    });
  });

  test('tls-versions and tls-ciphers judge the mutual-TLS endpoint when the target is plain http, presenting the client certificate it asks for', async () => {
    // A listener that ends every handshake without a trusted client certificate, and takes TLS 1.0.
    const ca = await createCertificateAuthority('CN=tls test client CA');
    const client = await ca.issue('CN=tls-client', {});
    await withHttpsServer({ minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0', requestCert: true, rejectUnauthorized: true, ca: ca.certificate }, async (mtlsUrl) => {
      const clients = [{ id: 'tls-client', auth: 'tls_client_auth' as const, certificate: client.certificate, certificateKey: client.key }];
      const report = await runConformance(config({ url: url.replace(/^https:/, 'http:'), mtlsUrl, clients, only: ['tls-versions', 'tls-ciphers'] }));
      const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
      expect(byId['tls-versions']!.status).toBe('failed');
      expect(byId['tls-versions']!.findings.map((f) => f.message)).toEqual(['the server completed a TLSv1 handshake', 'the server completed a TLSv1.1 handshake']);
      expect(byId['tls-ciphers']!.status).toBe('warned');
    });
  });

  test('no TLS server to ask (a closed port, a listener that never answers TLS) is inconclusive, not a pass', async () => {
    // Reads what comes (so a client's close ends the connection) and never answers.
    const silent = net.createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      for (const mtlsUrl of [`https://127.0.0.1:${closedPort}/token`, `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}/token`]) {
        const report = await runConformance(config({ url: url.replace(/^https:/, 'http:'), mtlsUrl, timeoutMs: 1500, only: ['tls-versions', 'tls-ciphers'] }));
        for (const check of report.checks) expect([check.id, check.status, check.message]).toEqual([check.id, 'inconclusive', expect.stringMatching(/no TLS server answered \((ECONNREFUSED|no TLS answer within 1500 ms)\), not judged/)]);
      }
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('tls warns when plain http gets as far as client authentication', async () => {
    plain = refuse(401, 'invalid_client');
    const result = (await runConformance(config())).checks[0]!;
    expect(result).toMatchObject({ status: 'warned', message: expect.stringMatching(/^\[SHOULD\] plain http reached client authentication/) });
  });

  test('with a private_key_jwt client only, the plain-http request carries an expired assertion: nothing a listener could redeem', async () => {
    plain = token;
    const { generateKeyPair, exportJWK, decodeJwt } = await import('jose');
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const clients: ConformanceConfig['clients'] = [{ id: 'jwt-client', auth: 'private_key_jwt', privateKey: await exportJWK(privateKey) }];
    const result = (await runConformance(config({ clients }))).checks[0]!;
    expect(result.status).toBe('failed');
    expect(plainAuthorizations.at(-1)).toBe('');
    const assertion = new URLSearchParams(plainBodies.at(-1)).get('client_assertion')!;
    // RFC 7523 §3 item 4: an assertion past its exp must be rejected, so none can redeem this one.
    expect(decodeJwt(assertion).exp!).toBeLessThan(Date.now() / 1000);
  });

  test('with secret and private_key_jwt clients, the plain-http request carries a wrong secret and no assertion', async () => {
    plain = refuse(400, 'invalid_request');
    const { generateKeyPair, exportJWK } = await import('jose');
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const clients: ConformanceConfig['clients'] = [
      { id: 'basic-client', secret: 'the-real-secret', auth: 'client_secret_basic' },
      { id: 'jwt-client', auth: 'private_key_jwt', privateKey: await exportJWK(privateKey) },
    ];
    await runConformance(config({ clients }));
    expect(plainAuthorizations.at(-1)).toBe(`Basic ${Buffer.from('basic-client:not-the-client-secret').toString('base64')}`);
    expect(plainBodies.at(-1)).not.toMatch(/client_assertion=/);
    expect(plainBodies.join('\n')).not.toContain('the-real-secret');
  });

  test('caFile must be a readable PEM certificate', async () => {
    await expect(runConformance(config({ caFile: join(dir, 'missing.pem') }))).rejects.toThrow(/cannot read caFile ".*missing\.pem": ENOENT/);
    await expect(runConformance(config({ caFile: join(dir, 'key.pem') }))).rejects.toThrow(/holds no PEM certificate/);
  });
});
