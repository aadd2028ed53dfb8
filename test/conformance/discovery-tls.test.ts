/**
 * Discovery over https: an issuer behind a private CA is refused with the
 * hint to trust it, and read once its CA is given (--ca-file). The
 * certificate is self-signed, made for the test (test/support/certificates.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestCertificate } from '../support/certificates';
import { cli } from '../support/cli';

describe('an https issuer', () => {
  let dir: string;
  let caFile: string;
  let server: https.Server;
  let issuer: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'discovery-tls-'));
    caFile = join(dir, 'ca.pem');
    const { cert, key } = await createTestCertificate();
    writeFileSync(caFile, cert);
    server = https.createServer({ key, cert }, (req, res) => {
      if (req.url !== '/.well-known/oauth-authorization-server') return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ issuer, token_endpoint: `${issuer}/oauth/token` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `https://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    rmSync(dir, { recursive: true, force: true });
  });

  test('untrusted: one line with the hint; trusted through --ca-file: read', async () => {
    const refused = await cli(['discover', '--issuer', issuer]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/cannot reach https:\/\/localhost:\d+: .*give its CA with --ca-file/)]);
    const read = await cli(['discover', '--issuer', issuer, '--ca-file', caFile, '--json']);
    expect(read.stderr).toBe('');
    expect(JSON.parse(read.stdout)).toMatchObject({ config: { url: { value: `${issuer}/oauth/token`, from: 'token_endpoint' } } });
  });
});
