/**
 * Issue 11 item 6: a target 100 ms away. A run's wall time there is about
 * (sequential rounds) x RTT, so what the runner controls is the number of
 * rounds: the longest chain of requests each sent after the previous one's
 * answer came back. The test counts those rounds at the server, behind a
 * relay that delays every byte by half the round trip each way, and holds
 * them to 1.3x the floor, max(longest chain of dependent requests, total
 * requests / concurrency). Counting rounds rather than milliseconds keeps
 * the test true on a slow or loaded machine; `npm run bench:conformance`
 * reports the wall-clock figure.
 *
 * A request depends on an earlier one when it reached the server at least
 * one round trip after that one's answer left it (it cannot have been sent
 * before that answer arrived); requests closer than that overlapped.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, defaultRunClients, DEFAULT_CONCURRENCY, referenceTargetConfig, runConformance } from '../../src/conformance';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { startDelayingProxy, type DelayingProxy } from '../support/delaying-proxy';

/** Long enough that a stall of a loaded machine (another test worker) is not mistaken for a round trip. */
const RTT_MS = 100;
/** A relay timer may fire a millisecond early (libuv's cached loop time). */
const TIMER_SLACK_MS = 2;

interface Served {
  arrived: number;
  answered: number;
}

/** The rounds of a run: the longest chain of requests each of which arrived at least one RTT after the previous one's answer left. */
export function rounds(served: readonly Served[], rttMs: number): number {
  const sorted = [...served].sort((a, b) => a.arrived - b.arrived);
  const depth: number[] = [];
  sorted.forEach((request, i) => {
    let before = 0;
    for (let j = 0; j < i; j += 1) if (sorted[j]!.answered + rttMs - TIMER_SLACK_MS <= request.arrived) before = Math.max(before, depth[j]!);
    depth.push(before + 1);
  });
  return Math.max(0, ...depth);
}

describe('a target one 100 ms round trip away', () => {
  let proxy: DelayingProxy;
  let server: ReferenceServer;
  let served: Served[] = [];

  beforeAll(async () => {
    let target: URL | undefined;
    proxy = await startDelayingProxy(() => ({ host: target!.hostname, port: Number(target!.port) }), RTT_MS);
    // The server's issuer is the relay's origin, so DPoP htu and assertion aud name the URL the suite sends to.
    server = await createReferenceServer({ clients: await defaultRunClients(), dpop: { requireNonce: true }, issuer: proxy.origin });
    target = new URL(server.url);
    server.server.on('request', (_req, res) => {
      const request = { arrived: performance.now(), answered: Number.POSITIVE_INFINITY };
      served.push(request);
      res.on('finish', () => (request.answered = performance.now()));
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
  });

  test('the rounds stay within 1.3x the floor, max(longest dependent chain, requests / concurrency)', async () => {
    served = [];
    const perCheck = new Map<string, number>();
    const config = referenceTargetConfig(server);
    const url = new URL(new URL(server.tokenEndpoint).pathname, proxy.origin).href;
    const report = await runConformance({ ...config, url }, { onRequest: (id) => perCheck.set(id, (perCheck.get(id) ?? 0) + 1) });
    expect(report.checks.filter((c) => c.status === 'failed').map((c) => `${c.id}: ${c.message}`)).toEqual([]);

    // The dependent chain: a check's requests follow one another; ordered and observer checks run one at a time.
    const mode = new Map(CHECKS.map((c) => [c.id, c.mode ?? 'concurrent']));
    let longestPooled = 0;
    let serial = 0;
    for (const [id, n] of perCheck) {
      if (mode.get(id) === 'concurrent' || !mode.has(id)) longestPooled = Math.max(longestPooled, n);
      else serial += n;
    }
    const total = served.length;
    expect(total).toBe([...perCheck.values()].reduce((a, b) => a + b, 0));
    const floor = Math.max(longestPooled + serial, total / DEFAULT_CONCURRENCY);
    const measured = rounds(served, RTT_MS);
    // Shown on failure: where the rounds went.
    expect({ rounds: measured, floor, total, longestPooled, serial, withinBound: measured <= 1.3 * floor }).toMatchObject({ withinBound: true });
  });

  test('the round counter sees a serial run as serial and a parallel one as parallel', () => {
    // Ten requests one after another: ten rounds. Ten at once: one round.
    const serialRun = Array.from({ length: 10 }, (_, i) => ({ arrived: i * 60 + 25, answered: i * 60 + 26 }));
    const parallelRun = Array.from({ length: 10 }, () => ({ arrived: 25, answered: 26 }));
    expect(rounds(serialRun, 50)).toBe(10);
    expect(rounds(parallelRun, 50)).toBe(1);
  });
});
