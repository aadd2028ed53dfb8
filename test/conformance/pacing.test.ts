/**
 * Pacing (config `rate`, `--rate N`): every request of the run, the probe
 * and the resend after a 429 included, leaves at least 1/rate s after the
 * one before, whatever the concurrency. Measured on the arrival times the
 * server sees, not on the test's wall clock. Without `rate`, nothing waits.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readIssuerMetadata, runConformance, type Check, type ConformanceConfig } from '../../src/conformance';
import { Pacer } from '../../src/conformance/pacing';
import { cli } from '../support/cli';
import { errorResponse, startMutatingProxy, type MutatingProxy } from './support/mutating-proxy';

/**
 * Loopback jitter allowed between two arrivals (a request may be read a little later than the next one is sent):
 * 25 ms, as a loaded 2-core CI machine shows (17.5 ms was seen); an unpaced run is off by whole requests, not by this.
 */
const JITTER_MS = 25;

/**
 * The least gap two paced arrivals may show: half the interval. On a loaded
 * machine one request can be read late and the next on time, so a single gap
 * shrinks by more than JITTER_MS (32.5 ms of 50 was seen at load 3.7); an
 * unpaced run shows gaps of a millisecond or two, so half the interval still
 * tells them apart. The rate itself is held by the run length and
 * `worstExcess`, which a late read cannot fool.
 */
const leastGap = (rate: number) => 1000 / rate / 2;

/** `count` token requests from one check. */
function sender(id: string, count: number): Check {
  return {
    id,
    title: id,
    level: 'MUST',
    reference: 'RFC 6749 §4.4.2',
    group: 'success',
    requires: [],
    async run(ctx) {
      for (let i = 0; i < count; i += 1) await ctx.send(ctx.draft());
    },
  } as Check;
}

/** Five checks of four requests each: 20 requests, then the probe's. */
const CHECKS = ['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => sender(id, 4));

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

/** The most requests seen in any stretch of the run beyond what `rate` allows over it (within one request: ≤ 1). */
function worstExcess(times: readonly number[], rate: number): number {
  let worst = -Infinity;
  for (let i = 0; i < times.length; i += 1) {
    for (let j = i + 1; j < times.length; j += 1) {
      const allowed = ((times[j]! - times[i]! + JITTER_MS) * rate) / 1000 + 1;
      worst = Math.max(worst, j - i + 1 - allowed);
    }
  }
  return worst;
}

/** The config without its issuer: no metadata requests before the token requests counted. */
function withoutIssuer(config: ConformanceConfig): ConformanceConfig {
  const { issuer: _issuer, ...rest } = config;
  return rest;
}

describe('pacing', () => {
  let proxy: MutatingProxy;
  let arrivals: number[] = [];
  let limitOnce = new Set<string>();

  beforeAll(async () => {
    proxy = await startMutatingProxy();
    proxy.mutation = {
      arrive: () => {
        arrivals.push(performance.now());
      },
    };
  });
  afterAll(async () => {
    await proxy.close();
  });

  const run = (config: Partial<ConformanceConfig>) => runConformance({ ...proxy.config, concurrency: 4, ...config }, { checks: CHECKS });

  test('rate 20: arrivals at least 50 ms apart, the run at least (N-1)/20 s long, never faster than 20/s over any stretch', async () => {
    arrivals = [];
    // Without the issuer: the metadata requests come from a client of their own (their pacing is the next test's).
    const report = await runConformance({ ...withoutIssuer(proxy.config), concurrency: 4, rate: 20 }, { checks: CHECKS });
    expect(report.summary.passed).toBe(5);
    const n = arrivals.length;
    expect(n).toBe(21);
    for (const gap of gaps(arrivals)) expect(gap).toBeGreaterThanOrEqual(leastGap(20));
    expect(arrivals[n - 1]! - arrivals[0]!).toBeGreaterThanOrEqual(((n - 1) / 20) * 1000 - JITTER_MS);
    expect(worstExcess(arrivals, 20)).toBeLessThanOrEqual(0);
  }, 30_000);

  test("the issuer's metadata requests take their turns from the run's pacer, as its token requests do", async () => {
    // Counted where the turn is granted (no network in between to blur it): each well-known URL waits for one.
    const granted: number[] = [];
    class CountingPacer extends Pacer {
      override async wait(signal?: AbortSignal): Promise<void> {
        await super.wait(signal);
        granted.push(performance.now());
      }
    }
    arrivals = [];
    const read = await readIssuerMetadata(proxy.config.issuer!, { timeoutMs: 5_000, pacer: new CountingPacer(20) });
    expect(read.metadata).toBeDefined();
    expect(granted).toHaveLength(2);
    expect(granted[1]! - granted[0]!).toBeGreaterThanOrEqual(50 - 1);
    expect(arrivals).toHaveLength(2);
  });

  test('a resend after a 429 takes its turn too', async () => {
    arrivals = [];
    limitOnce = new Set();
    proxy.mutation = {
      arrive: () => {
        arrivals.push(performance.now());
      },
      request: (req) => {
        // The first request after the probe is answered 429 Retry-After: 0, once; its resend must still wait for its slot.
        if (arrivals.length === 2 && !limitOnce.has('done')) {
          limitOnce.add('done');
          return errorResponse(429, 'slow_down', 'slow down', [['Retry-After', '0']]);
        }
        return undefined;
      },
    };
    const report = await runConformance({ ...withoutIssuer(proxy.config), concurrency: 4, rate: 25 }, { checks: CHECKS.slice(0, 2) });
    expect(report.summary.passed).toBe(2);
    expect(arrivals).toHaveLength(1 + 8 + 1);
    for (const gap of gaps(arrivals)) expect(gap).toBeGreaterThanOrEqual(leastGap(25));
    proxy.mutation = {
      arrive: () => {
        arrivals.push(performance.now());
      },
    };
  }, 30_000);

  test('without rate nothing waits: concurrent checks’ requests arrive closer together than any pacing allows', async () => {
    arrivals = [];
    const report = await runConformance({ ...withoutIssuer(proxy.config), concurrency: 4 }, { checks: CHECKS });
    expect(report.summary.passed).toBe(5);
    expect(arrivals).toHaveLength(21);
    // No wall-clock bound (a loaded machine is slow, not wrong): four checks at once send requests that arrive
    // together, which a pacer at 20/s would space by 50 ms.
    expect(Math.min(...gaps(arrivals))).toBeLessThan(50 - JITTER_MS);
  }, 30_000);

  test('--rate paces a CLI run the same way; a rate that is no positive number is exit 2', async () => {
    const client = proxy.config.clients!.find((c) => c.auth === 'client_secret_basic' && !c.requireDpop)!;
    arrivals = [];
    const flags = ['conformance', '--url', proxy.tokenEndpoint, '--client-id', client.id, '--client-secret', client.secret!, '--only', 'ok-basic,ok-basic-encoded', '--rate', '30'];
    const paced = await cli(flags);
    expect(paced.code).toBe(0);
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
    for (const gap of gaps(arrivals)) expect(gap).toBeGreaterThanOrEqual(leastGap(30));
    for (const bad of ['0', '0.0', 'fast']) {
      const { code, stderr } = await cli([...flags.slice(0, -1), bad]);
      expect({ code, stderr }).toEqual({ code: 2, stderr: `token-contract conformance: --rate must be a number greater than 0 (got ${JSON.stringify(bad)}) (see 'token-contract conformance --help')\n` });
    }
  }, 30_000);
});

describe('Pacer', () => {
  test('slots are 1/rate apart in call order, and a rate must be a positive finite number', async () => {
    const pacer = new Pacer(100);
    const times: number[] = [];
    await Promise.all(Array.from({ length: 6 }, () => pacer.wait().then(() => times.push(performance.now()))));
    for (const gap of gaps(times)) expect(gap).toBeGreaterThanOrEqual(9);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => new Pacer(bad)).toThrow(RangeError);
  });
});
