/**
 * Issue 17 items 1 and 2, end to end through the CLI: a target that answers
 * with a 40 KB access token (once enough to break a scrub built as one
 * RegExp, whose error text was the pattern of every secret) and that echoes
 * the client secret and the Basic credential as JSON member names. No byte
 * of any output carries them: stdout, stderr, and the json, junit and
 * markdown reports.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { cli } from '../support/cli';

const SECRET = 'R8S3cret-client-secret-value';
const BASIC = Buffer.from(`basic-client:${SECRET}`).toString('base64');
const TOKEN = `at-${'x'.repeat(40_000)}`;

let server: http.Server;
let url: string;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hostile-secrets-'));
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = { access_token: TOKEN, token_type: 'Bearer', expires_in: 60, details: { [SECRET]: 'rejected', [`Basic ${BASIC}`]: 'seen' } };
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

test('a 40 KB token and secrets as member names reach no output', async () => {
  const files = ['report.json', 'junit.xml', 'summary.md'].map((f) => join(dir, f));
  const { code, stdout, stderr } = await cli(
    ['conformance', '--url', url, '--client-id', 'basic-client', '--client-secret-env', 'S', '--reporter', 'console', '--reporter', 'json', '--output', files[0]!, '--reporter', 'junit', '--output', files[1]!, '--reporter', 'markdown', '--output', files[2]!],
    { env: { S: SECRET } },
  );
  expect(code).toBe(1);
  const outputs = { stdout, stderr, ...Object.fromEntries(files.map((f) => [f, readFileSync(f, 'utf8')])) };
  for (const [where, text] of Object.entries(outputs)) {
    for (const secret of [SECRET, BASIC, encodeURIComponent(SECRET), TOKEN.slice(0, 200)]) expect([where, text.includes(secret)]).toEqual([where, false]);
  }
  expect(stdout).toMatch(/redacted/);
  expect(stderr).toBe('');
}, 60_000);
