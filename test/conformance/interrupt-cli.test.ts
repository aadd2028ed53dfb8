/**
 * Issue 17 item 9: a stopped run is not a passing run. SIGINT ends the CLI
 * with 130 and SIGTERM with 143 (128 + the signal, as a shell reports it),
 * and every reporter says the run was interrupted.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runCli } from '../../src/cli/run';

const ROOT = join(__dirname, '..', '..');

describe('an interrupted conformance run', () => {
  let server: http.Server;
  let url: string;
  /** Resolvers waiting for a check's request from a client id (each run uses its own, so a late request of an earlier run never counts). */
  const arrivals = new Map<string, () => void>();
  beforeAll(async () => {
    // Never answers a check: every check waits until the run is stopped. The probe gets an answer.
    server = http.createServer((req, res) => {
      req.resume();
      if (req.headers.authorization === undefined) {
        res.writeHead(400, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        res.end('{"error":"invalid_client"}');
        return;
      }
      const id = Buffer.from(req.headers.authorization.split(' ')[1] ?? '', 'base64').toString().split(':')[0] ?? '';
      arrivals.get(decodeURIComponent(id))?.();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  let runs = 0;
  /** A fresh client id, and the arrival of its first check request. */
  const nextRun = () => {
    const id = `client-${(runs += 1)}`;
    return { id, arrived: new Promise<void>((resolve) => arrivals.set(id, resolve)) };
  };
  const args = (id: string, ...more: string[]) => ['conformance', '--url', url, '--client-id', id, '--client-secret', 'not-a-real-secret', '--only', 'client-auth', '--timeout-ms', '60000', ...more];

  async function stoppedWith(reason: 'SIGINT' | 'SIGTERM', extra: string[]): Promise<{ code: number; stdout: string }> {
    let stdout = '';
    const controller = new AbortController();
    const { id, arrived } = nextRun();
    const exit = runCli(args(id, ...extra), { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => undefined }, env: {}, cwd: ROOT, signal: controller.signal });
    await arrived;
    controller.abort(reason);
    return { code: await exit, stdout };
  }

  test('SIGINT: exit 130, and the console says so', async () => {
    const { code, stdout } = await stoppedWith('SIGINT', []);
    expect(code).toBe(130);
    expect(stdout).toMatch(/^run interrupted: \d+ checks were not run or cut short/m);
    expect(stdout).toMatch(/^interrupted, no failing check among those that finished/m);
  }, 10_000);

  test('SIGTERM: exit 143; json, junit and markdown say so', async () => {
    expect((await stoppedWith('SIGTERM', ['--reporter', 'json'])).code).toBe(143);
    const json = JSON.parse((await stoppedWith('SIGTERM', ['--reporter', 'json'])).stdout) as { interrupted: boolean };
    expect(json.interrupted).toBe(true);
    const junit = (await stoppedWith('SIGTERM', ['--reporter', 'junit'])).stdout;
    expect(junit).toMatch(/errors="1"/);
    expect(junit).toMatch(/<error message="run interrupted: \d+ checks were not run/);
    const markdown = (await stoppedWith('SIGTERM', ['--reporter', 'markdown'])).stdout;
    expect(markdown).toMatch(/^## Token endpoint conformance: ⏹️ interrupted/m);
  }, 20_000);

  test('the binary: a real SIGINT ends the run with 130', async () => {
    const { id, arrived } = nextRun();
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), ...args(id)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await arrived;
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(stdout).toMatch(/run interrupted/);
  }, 20_000);
});
