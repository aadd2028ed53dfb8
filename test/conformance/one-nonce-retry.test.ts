/**
 * The control for rotating-nonce.test.ts: the same server (one nonce shared
 * by all, valid for 2 uses) and the same DPoP groups, with the suite held to
 * the one nonce retry it used to make. Concurrent checks spend each other's
 * nonce, and checks fail that only lost that race: the reason the shared
 * policy retries on each fresh nonce (src/oauth/dpop-nonce.ts).
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';

jest.mock('../../src/oauth/dpop-nonce', () => {
  const actual = jest.requireActual<typeof import('../../src/oauth/dpop-nonce')>('../../src/oauth/dpop-nonce');
  // The old policy: never more than one retry.
  return { ...actual, retryNonce: (...args: Parameters<typeof actual.retryNonce>) => actual.retryNonce(args[0], args[1], args[2], 1) };
});

import { CHECKS, defaultRunClients, runConformance } from '../../src/conformance';
import { startMutatingProxy, type MutatingProxy } from './support/mutating-proxy';
import { shortLivedNonces } from './support/short-lived-nonces';

const DPOP_CHECK_IDS = CHECKS.filter((c) => ['dpop-proof', 'dpop-success', 'dpop-nonce'].includes(c.group)).map((c) => c.id);

describe('the one-retry policy against nonces spent by concurrent checks', () => {
  let proxy: MutatingProxy;
  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  test('fails DPoP checks that only lost the race for the nonce (in at least one of five runs)', async () => {
    const gate = shortLivedNonces({ uses: 2, mode: 'shared', sendOnSuccess: 'always' });
    proxy.mutation = { ...gate, arrive: (req) => new Promise<void>((resolve) => setTimeout(resolve, 5)).then(() => gate.arrive!(req)) };
    const lost: string[] = [];
    try {
      for (let run = 0; run < 5 && lost.length === 0; run += 1) {
        const report = await runConformance({ ...proxy.config, dpop: { enabled: true, nonce: true }, concurrency: 4, only: DPOP_CHECK_IDS });
        lost.push(...report.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.message}`));
      }
    } finally {
      proxy.mutation = undefined;
    }
    expect(lost.length).toBeGreaterThan(0);
    for (const message of lost) expect(message).toMatch(/use_dpop_nonce/);
  });
});
