/**
 * A server whose DPoP nonces are short-lived (RFC 9449 §8, §8.2): single
 * use, or N uses, a fresh one on every answer. The shared nonce policy
 * (src/oauth/dpop-nonce.ts) retries on each challenge that hands out a fresh
 * nonce, so no DPoP check fails only because a concurrent check spent the
 * nonce it carried; the one-retry policy it replaces did not survive that.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, defaultRunClients, runConformance, type ConformanceConfig } from '../../src/conformance';
import { tokenEndpoint } from '../../src/harness';
import { MAX_NONCE_RETRIES } from '../../src/oauth/dpop-nonce';
import { startMutatingProxy, type MutatingProxy } from './support/mutating-proxy';
import { shortLivedNonces, type NonceGate } from './support/short-lived-nonces';

const DPOP_GROUPS = ['dpop-proof', 'dpop-success', 'dpop-nonce'];
const DPOP_CHECK_IDS = CHECKS.filter((c) => DPOP_GROUPS.includes(c.group)).map((c) => c.id);

describe('a server with short-lived DPoP nonces', () => {
  let proxy: MutatingProxy;
  let clients: Awaited<ReturnType<typeof defaultRunClients>>;
  // The proxy enforces the nonces; the run is told the target requires them.
  const config = (): ConformanceConfig => ({ ...proxy.config, dpop: { enabled: true, nonce: true }, concurrency: 4, only: DPOP_CHECK_IDS });

  beforeAll(async () => {
    clients = await defaultRunClients();
    proxy = await startMutatingProxy({ clients });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  /** Five runs at concurrency 4 against `gate`; every check of the DPoP groups must pass in every run. */
  async function fiveRuns(gate: NonceGate): Promise<void> {
    // Each request is held a moment (as in concurrency.test.ts) so that the other workers' requests arrive meanwhile.
    proxy.mutation = { ...gate, arrive: (req) => new Promise<void>((resolve) => setTimeout(resolve, 5)).then(() => gate.arrive!(req)) };
    try {
      for (let run = 0; run < 5; run += 1) {
        const report = await runConformance(config());
        const notPassed = report.checks.filter((c) => c.status !== 'passed').map((c) => `run ${run + 1}: ${c.id} ${c.status}: ${c.message}`);
        expect(notPassed).toEqual([]);
        expect(report.checks.map((c) => c.id).sort()).toEqual([...DPOP_CHECK_IDS].sort());
      }
    } finally {
      proxy.mutation = undefined;
    }
  }

  test('single-use nonces, a fresh one on every answer: the DPoP and nonce groups pass, five runs at concurrency 4', async () => {
    expect(DPOP_CHECK_IDS.length).toBeGreaterThan(20);
    const gate = shortLivedNonces({ uses: 1, mode: 'fresh-per-answer' });
    await fiveRuns(gate);
    // Each retry carries its own challenge's nonce, which no concurrent check has seen; the stale one and the missing ones were refused.
    expect(gate.refused.missing).toBeGreaterThanOrEqual(5 * 4);
    expect(gate.admitted).toBeGreaterThan(5 * 10);
  });

  test('one nonce shared by all, valid for 2 uses: concurrent checks spend each other’s nonce, and still every check passes, five runs', async () => {
    const gate = shortLivedNonces({ uses: 2, mode: 'shared', sendOnSuccess: 'always' });
    await fiveRuns(gate);
    // The gate really refused nonces a concurrent check had spent: the runs passed through further retries, not luck.
    expect(gate.refused.spent).toBeGreaterThan(0);
  });

  test('nonces valid for 3 uses, a fresh one on every answer: the groups pass', async () => {
    await fiveRuns(shortLivedNonces({ uses: 3, mode: 'fresh-per-answer' }));
  });

  describe('a harness request whose nonce a concurrent client spends first', () => {
    const client = () => tokenEndpoint(proxy.tokenEndpoint, { client: { id: 'basic-client', secret: 'basic-secret', auth: 'client_secret_basic' }, dpop: true });

    test('needs two retries: the policy makes them (fresh proofs, each with its challenge’s nonce); one retry, the old policy, ends in use_dpop_nonce', async () => {
      const gate = shortLivedNonces({ uses: 1, mode: 'fresh-per-answer' });
      proxy.mutation = gate;
      try {
        gate.steal(1);
        const res = await client().clientCredentials();
        expect({ status: res.status, attempts: res.exchange.attempts, retried: res.dpopNonceRetried }).toEqual({ status: 200, attempts: 3, retried: true });
        expect(res.body.token_type).toBe('DPoP');
        expect(res.exchange.firstResponse).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } });

        gate.steal(1);
        const old = await client().clientCredentials({ nonceRetry: 1 });
        expect({ status: old.status, error: old.body.error, attempts: old.exchange.attempts }).toEqual({ status: 400, error: 'use_dpop_nonce', attempts: 2 });
      } finally {
        proxy.mutation = undefined;
      }
    });

    test(`the retries are bounded: ${MAX_NONCE_RETRIES} at most, then the challenge is the answer`, async () => {
      const gate = shortLivedNonces({ uses: 1, mode: 'fresh-per-answer' });
      proxy.mutation = gate;
      try {
        gate.steal(MAX_NONCE_RETRIES);
        const res = await client().clientCredentials();
        expect({ status: res.status, error: res.body.error, attempts: res.exchange.attempts }).toEqual({ status: 400, error: 'use_dpop_nonce', attempts: 1 + MAX_NONCE_RETRIES });
      } finally {
        proxy.mutation = undefined;
      }
    });
  });

  describe('nonce-rotate says what it saw', () => {
    const rotate = async (gate: ReturnType<typeof shortLivedNonces>) => {
      proxy.mutation = gate;
      try {
        const report = await runConformance({ ...config(), only: ['nonce-rotate'] });
        return report.checks.find((c) => c.id === 'nonce-rotate')!;
      } finally {
        proxy.mutation = undefined;
      }
    };

    test('a server rotating every 10 uses, announcing only the new nonce: no DPoP-Nonce on this token response, and no claim that it does not rotate', async () => {
      const result = await rotate(shortLivedNonces({ uses: 10, mode: 'shared', sendOnSuccess: 'when-new' }));
      expect(result.status).toBe('passed');
      expect(result.message).toMatch(/^the token response to a proof with the server nonce carried no DPoP-Nonce; one sample/);
      expect(result.message).not.toMatch(/does not rotate/);
    });

    test('a server rotating every 10 uses, repeating the current nonce on each answer: the same nonce came back and worked', async () => {
      const result = await rotate(shortLivedNonces({ uses: 10, mode: 'shared', sendOnSuccess: 'always' }));
      expect(result.status).toBe('passed');
      expect(result.message).toBe('the token response carried a DPoP-Nonce equal to the one the proof carried (not rotated on this response); the next request with it got a DPoP token');
    });

    test('a single-use server: a new nonce came back and worked', async () => {
      const result = await rotate(shortLivedNonces({ uses: 1, mode: 'fresh-per-answer' }));
      expect(result.status).toBe('passed');
      expect(result.message).toBe('the token response carried a new DPoP-Nonce, other than the one the proof carried (rotated); the next request with it got a DPoP token');
    });
  });
});
