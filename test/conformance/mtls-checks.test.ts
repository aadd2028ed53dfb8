/**
 * The mtls checks (RFC 8705): every one passes the reference server (its
 * mutual-TLS listener, the default run's CA) and a small correct mTLS
 * server, and each broken server fails the check for its defect. Where one
 * defect necessarily breaks more than one rule (a server that takes no
 * certificate also takes one sent in a header), the row names them all.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { formatReport, runConformance, type ConformanceReport } from '../../src/conformance';
import { createReferenceServer } from '../../src/server';
import { startMtlsServer, type MtlsDefect, type MtlsServer } from './support/mtls-server';

const MTLS_CHECKS = ['mtls-ok', 'mtls-no-cert', 'mtls-wrong-cert', 'mtls-untrusted-ca', 'mtls-self-signed-wrong-key', 'mtls-bound', 'mtls-required-absent', 'mtls-header-spoof'];
const failing = (report: ConformanceReport) => report.checks.filter((c) => c.status === 'failed').map((c) => c.id).sort();

describe('mtls checks', () => {
  test('the default run: every mtls check passes the reference server', async () => {
    const report = await runConformance({ only: ['mtls'] });
    expect(report.checks.map((c) => [c.id, c.status]).sort()).toEqual(MTLS_CHECKS.map((id) => [id, 'passed']).sort());
    // The certificate key is in no report; curl names the files by placeholders.
    const json = formatReport(report, 'json');
    expect(json).not.toMatch(/PRIVATE KEY/);
  });

  const rows: Array<[string, MtlsDefect | undefined, string[]]> = [
    ['a correct mTLS server', undefined, []],
    // Taking no certificate: the certificate-bound client's mTLS request without one, and the spoofed headers (no certificate either) pass too.
    ['accepts no certificate', 'no-cert', ['mtls-header-spoof', 'mtls-no-cert']],
    ["accepts another client's certificate", 'other-client-cert', ['mtls-wrong-cert']],
    ['tls_client_auth without a chain check', 'any-ca', ['mtls-untrusted-ca']],
    ['self-signed matched by subject', 'self-signed-by-subject', ['mtls-self-signed-wrong-key']],
    ['binds nothing', 'unbound', ['mtls-bound']],
    ['a certificate-bound client gets a token without one', 'bound-optional', ['mtls-required-absent']],
    ['trusts a spoofed Client-Cert header', 'spoofed-header', ['mtls-header-spoof']],
  ];

  test('a server that ends every handshake without a certificate it trusts: every refusal check passes, refused before HTTP', async () => {
    const strict = await startMtlsServer(undefined, { strict: true });
    try {
      const report = await runConformance(strict.config());
      expect(report.checks.map((c) => [c.id, c.status]).filter(([, status]) => status !== 'passed')).toEqual([]);
      expect(report.checks.find((c) => c.id === 'mtls-no-cert')!.message).toMatch(/refused in the TLS handshake/);
    } finally {
      await strict.close();
    }
  });

  test('a subject of several attributes (an e-mail, an organization) is copied as encoded into the impostors: still refused for the CA and the key', async () => {
    const server = await startMtlsServer(undefined, { tlsSubject: 'CN=tls-client, O=Example Corp, E=ops@example.com' });
    const broken = await startMtlsServer('any-ca', { tlsSubject: 'CN=tls-client, O=Example Corp, E=ops@example.com' });
    try {
      const [good, bad] = await Promise.all([runConformance(server.config()), runConformance(broken.config())]);
      expect(failing(good)).toEqual([]);
      // The impostor carries the same subject: only the chain tells it apart, which this server does not check.
      expect(failing(bad)).toEqual(['mtls-untrusted-ca']);
    } finally {
      await Promise.all([server.close(), broken.close()]);
    }
  });

  test('an mTLS endpoint that cannot be reached, or whose certificate the run does not trust: not judged (inconclusive), with what to check', async () => {
    const server = await startMtlsServer();
    try {
      const report = await runConformance({ ...server.config(), mtlsUrl: 'https://127.0.0.1:9/token' });
      const status = (id: string) => report.checks.find((c) => c.id === id)!.status;
      expect([status('mtls-ok'), status('mtls-bound'), status('mtls-no-cert'), status('mtls-untrusted-ca')]).toEqual(['inconclusive', 'inconclusive', 'inconclusive', 'inconclusive']);
      expect(report.checks.find((c) => c.id === 'mtls-ok')!.message).toMatch(/no answer from the mTLS endpoint https:\/\/127\.0\.0\.1:9\/token \(connection refused \(ECONNREFUSED\)\), not judged: is mtlsUrl right, and its certificate trusted \(--ca-file\)\?/);
      // A reachable token endpoint, and an mTLS endpoint whose CA the run was not given: the same, the certificate named.
      const plain = await createReferenceServer();
      try {
        const { caFile: _caFile, url: _url, ...untrusting } = server.config();
        const untrusted = await runConformance({ ...untrusting, url: plain.tokenEndpoint, mtlsUrl: `${server.url}/token` });
        const ok = untrusted.checks.find((c) => c.id === 'mtls-ok')!;
        expect([ok.status, ok.message]).toEqual(['inconclusive', expect.stringMatching(/no answer from the mTLS endpoint .*(CERT|certificate).*not judged: is mtlsUrl right, and its certificate trusted \(--ca-file\)\?/)]);
      } finally {
        await plain.close();
      }
    } finally {
      await server.close();
    }
  });

  describe.each(rows)('%s', (_name, defect, expected) => {
    let server: MtlsServer;
    beforeAll(async () => {
      server = await startMtlsServer(defect);
    });
    afterAll(() => server.close());

    test(`fails ${expected.length === 0 ? 'nothing' : expected.join(', ')}`, async () => {
      const report = await runConformance(server.config());
      expect(failing(report)).toEqual(expected);
      expect(report.checks.filter((c) => c.status === 'skipped')).toEqual([]);
    });
  });
});
