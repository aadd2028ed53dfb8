/**
 * Scheduling (issue 6): independent checks run in a pool bounded by
 * `concurrency` (default 4); checks that carry server state from one
 * request to the next (`ordered`: dpop-replay, nonce-rotate) run one at a
 * time after the pool, overlapping nothing; observers last. Seen from both sides: the server counts requests
 * in flight (a proxy holds each one a little so that overlaps, when the
 * runner allows them, really happen), and the runner's own hooks give each
 * check's first request and its result, in order.
 *
 * The server-side count alone cannot catch an unbounded pool: the HTTP agent
 * opens at most `concurrency` sockets. So the checks in flight (first request
 * sent, result not yet in) are counted too.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, defaultRunClients, runConformance, type ConformanceConfig } from '../../src/conformance';
import { startMutatingProxy, type MutatingProxy } from './support/mutating-proxy';

type Event = { kind: 'request' | 'done'; id: string };

interface Observed {
  /** Most requests the server had in flight at once. */
  maxRequestsInFlight: number;
  /** Most checks in flight at once (first request sent, result not in). */
  maxChecksInFlight: number;
  events: Event[];
  failed: string[];
}

const ordered = new Set(CHECKS.filter((c) => c.mode === 'ordered').map((c) => c.id));
const observers = new Set(CHECKS.filter((c) => c.mode === 'observer').map((c) => c.id));

describe('scheduling: a bounded pool, then the ordered checks one by one', () => {
  let proxy: MutatingProxy;
  let config: ConformanceConfig;
  beforeAll(async () => {
    // Nonces required, so every ordered check (nonce-rotate needs them) is selected and run.
    proxy = await startMutatingProxy({ requireNonce: true, clients: await defaultRunClients() });
    config = { ...proxy.config, skip: ['tls', 'tls-forwarded-proto', 'tls-versions'] };
  });
  afterAll(async () => {
    await proxy?.close();
  });

  async function observe(extra: Partial<ConformanceConfig>): Promise<Observed> {
    let inFlight = 0;
    let maxRequestsInFlight = 0;
    proxy.mutation = {
      async arrive() {
        inFlight += 1;
        maxRequestsInFlight = Math.max(maxRequestsInFlight, inFlight);
        // Hold the request a moment: with several workers, the others' requests arrive meanwhile.
        await sleep(5);
      },
      depart() {
        inFlight -= 1;
      },
    };
    const events: Event[] = [];
    const running = new Set<string>();
    let maxChecksInFlight = 0;
    try {
      const report = await runConformance(
        { ...config, ...extra },
        {
          onRequest: (id) => {
            // The probe and the issuer's metadata requests belong to no check.
            if (id === '(probe)' || id === '(discovery)') return;
            if (!running.has(id) && !events.some((e) => e.kind === 'done' && e.id === id)) running.add(id);
            maxChecksInFlight = Math.max(maxChecksInFlight, running.size);
            events.push({ kind: 'request', id });
          },
          onResult: (result) => {
            running.delete(result.id);
            events.push({ kind: 'done', id: result.id });
          },
        },
      );
      return { maxRequestsInFlight, maxChecksInFlight, events, failed: report.checks.filter((c) => c.status === 'failed').map((c) => c.id) };
    } finally {
      proxy.mutation = undefined;
    }
  }

  /** The ordered checks each own an interval with no other check's event in it, and start only once every pooled check is done. */
  function expectOrderedAlone(events: Event[]): void {
    const ran = [...new Set(events.filter((e) => e.kind === 'request' && ordered.has(e.id)).map((e) => e.id))];
    expect(ran.length).toBeGreaterThanOrEqual(2); // the property means nothing with fewer
    for (const id of ran) {
      const first = events.findIndex((e) => e.id === id);
      const last = events.findIndex((e) => e.kind === 'done' && e.id === id);
      expect(last).toBeGreaterThan(first);
      expect(events.slice(first, last + 1).filter((e) => e.id !== id)).toEqual([]);
      // Every pooled (concurrent) check finished before the first ordered request.
      const pooledAfter = events.slice(first).filter((e) => !ordered.has(e.id) && !observers.has(e.id));
      expect(pooledAfter).toEqual([]);
    }
  }

  test('default concurrency 4: requests overlap, never more than 4 at once; the ordered checks overlap nothing', async () => {
    const seen = await observe({});
    expect(seen.failed).toEqual([]);
    expect(seen.maxRequestsInFlight).toBeGreaterThan(1);
    expect(seen.maxRequestsInFlight).toBeLessThanOrEqual(4);
    expect(seen.maxChecksInFlight).toBeGreaterThan(1);
    expect(seen.maxChecksInFlight).toBeLessThanOrEqual(4);
    expectOrderedAlone(seen.events);
  });

  test('concurrency 2 bounds the pool at 2', async () => {
    const seen = await observe({ concurrency: 2 });
    expect(seen.maxRequestsInFlight).toBe(2);
    expect(seen.maxChecksInFlight).toBe(2);
    expectOrderedAlone(seen.events);
  });

  test('concurrency 1: exactly one request and one check at a time', async () => {
    const seen = await observe({ concurrency: 1 });
    expect(seen.failed).toEqual([]);
    expect(seen.maxRequestsInFlight).toBe(1);
    expect(seen.maxChecksInFlight).toBe(1);
    expectOrderedAlone(seen.events);
  });
});
