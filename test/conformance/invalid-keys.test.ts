/**
 * Issue 17 item 12: a key no check could sign with is one exit-2 line at
 * load, never a failure in every check; and flags that say nothing
 * (`--client-secret=`, `--only ,,,`) are usage errors, not "no secret" or
 * "every check".
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { ConfigError } from '../../src/errors';
import { runConformance } from '../../src/conformance';
import { cli } from '../support/cli';

let server: http.Server;
let url: string;
let requests = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests += 1;
    req.resume();
    res.writeHead(400, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end('{"error":"invalid_request"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A private JWK of any key type Node generates (its overloads take one literal type each). */
const generate = generateKeyPairSync as unknown as (type: string, options: object) => { privateKey: KeyObject };
const jwk = (kind: string, options: object) => generate(kind, options).privateKey.export({ format: 'jwk' }) as JWK;

describe('a private key no check could sign with', () => {
  const cases: Array<[string, () => Promise<JWK> | JWK, RegExp]> = [
    ['RSA 1024', () => jwk('rsa', { modulusLength: 1024 }), /1024-bit RSA key is too short .* RFC 7518 §3\.3 requires 2048/],
    ['X25519 (key agreement, not signature)', () => jwk('x25519', {}), /X25519|cannot sign/],
    ['a symmetric oct key', () => ({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', d: 'x' }) as JWK, /symmetric \("oct"\)/],
    ['RSA without n', async () => {
      const { n: _n, ...rest } = jwk('rsa', { modulusLength: 2048 });
      return rest as JWK;
    }, /cannot import the RSA JWK/],
    ['an unknown curve', async () => ({ ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)), crv: 'P-999' }), /unsupported EC curve "P-999"/],
    ['alg none', async () => ({ ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)), alg: 'none' }), /alg "none" is not an asymmetric signature algorithm/],
  ];

  test.each(cases)('%s: a ConfigError at load naming the client, and no request sent', async (_name, make, reason) => {
    const before = requests;
    const key = await make();
    const run = runConformance({ url, clients: [{ id: 'jwt-client', auth: 'private_key_jwt', privateKey: key }] }, { env: {} });
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    const error = (await run.then(() => undefined, (e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^clients\[0\]\.privateKey: /);
    expect(error.message).toMatch(reason);
    // No private member of the key is quoted.
    const members = key as unknown as Record<string, unknown>;
    for (const member of ['d', 'p', 'q', 'k']) {
      const value = members[member];
      if (typeof value === 'string' && value.length > 3) expect(error.message).not.toContain(value);
    }
    expect(requests).toBe(before);
  });

  test('the CLI: one line, exit 2', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'invalid-key-'));
    try {
      writeFileSync(join(dir, 'rsa1024.json'), JSON.stringify(jwk('rsa', { modulusLength: 1024 })));
      const { code, stderr } = await cli(['conformance', '--url', url, '--client-id', 'jwt-client', '--private-key', 'rsa1024.json'], { cwd: dir });
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/privateKey: a 1024-bit RSA key is too short/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('flags that say nothing', () => {
  test.each([
    [['--url', 'URL', '--client-id', 'a', '--client-secret='], /^token-contract conformance: --client-secret must not be empty \(see/],
    [['--only', ',,,'], /--only needs check ids or groups, comma-separated \(got ",,,"\)/],
    [['--skip', ' , '], /--skip needs check ids or groups/],
  ])('%j is a usage error', async (args, message) => {
    const { code, stderr } = await cli(['conformance', ...args.map((a) => a.replace('URL', url))]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
