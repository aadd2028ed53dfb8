/**
 * Stopping a run (RunOptions.signal; SIGINT/SIGTERM in the CLI) ends it at
 * once, whatever the checks are waiting for: a 429's Retry-After, their
 * turn under `rate`, or an answer that never comes. The checks that were
 * cut short are skipped, "run interrupted", never failed or inconclusive.
 * Each wait is 20 s or more; each test's own timeout is 10 s.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import { runConformance, type ConformanceConfig, type ConformanceReport } from '../../src/conformance';

/** Far below every wait here (20 s and more), far above a run on a slow machine. */
const WITHIN = 10_000;

type Answer = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  servers = [];
});

/** A target answering with `answer`; `arrived` resolves on the first request of a check (`any`: the first request, the probe's). */
async function target(answer: Answer, any = false): Promise<{ url: string; arrived: Promise<void> }> {
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const server = http.createServer((req, res) => {
    req.resume();
    // The probe carries no credentials; the first request that does is a check's.
    if (any || req.headers.authorization !== undefined) arrive();
    answer(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`, arrived };
}

const basic = (url: string, extra: Partial<ConformanceConfig> = {}): ConformanceConfig => ({ url, clients: [{ id: 'c', secret: 'not-a-real-secret', auth: 'client_secret_basic' }], only: ['client-auth', 'ok-basic'], ...extra });

async function interrupted(url: string, extra: Partial<ConformanceConfig>, arrived: Promise<void>): Promise<ConformanceReport> {
  const stop = new AbortController();
  const run = runConformance(basic(url, extra), { signal: stop.signal });
  await arrived;
  stop.abort();
  return run;
}

function expectInterrupted(report: ConformanceReport): void {
  const verdicts = report.checks.filter((c) => c.status !== 'skipped' && c.status !== 'passed').map((c) => `${c.id}: ${c.status} ${c.message}`);
  expect(verdicts).toEqual([]);
  expect(report.checks.some((c) => c.status === 'skipped' && c.message === 'run interrupted')).toBe(true);
}

describe('a run stopped mid-wait ends at once', () => {
  test("while waiting a 429's Retry-After", async () => {
    const { url, arrived } = await target((req, res) => {
      res.writeHead(429, { 'Retry-After': '25', 'Content-Type': 'application/json' });
      res.end('{"error":"rate_limited"}');
    });
    expectInterrupted(await interrupted(url, { timeoutMs: 60_000 }, arrived));
  }, WITHIN);

  test('while waiting its turn under --rate', async () => {
    const { url, arrived } = await target((_req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end('{"error":"invalid_request"}');
    }, true);
    // One request every 20 s: the probe leaves, every check's request waits its turn.
    const report = await interrupted(url, { rate: 0.05 }, arrived);
    expect(report.checks.filter((c) => c.message === 'run interrupted').length).toBeGreaterThan(1);
  }, WITHIN);

  test('while waiting for an answer that never comes', async () => {
    const { url, arrived } = await target(() => undefined);
    expectInterrupted(await interrupted(url, { timeoutMs: 60_000 }, arrived));
  }, WITHIN);
});
