/**
 * The default run (no url): the suite starts the reference server and every
 * check that the configuration allows passes, under both profiles, with and
 * without required nonces.
 */
import { describe, expect, test } from '@jest/globals';
import { CHECKS, runConformance } from '../../src/conformance';

describe('default run against the reference server', () => {
  test.each([
    ['attesto', false],
    ['rfc', false],
    ['attesto', true],
    ['rfc', true],
  ] as const)('profile %s, nonces required: %s — all green', async (profile, requireNonce) => {
    const progress: string[] = [];
    const report = await runConformance({ profile, referenceServer: { requireNonce } }, { onResult: (r) => progress.push(r.id) });
    const notGreen = report.checks.filter((c) => c.status !== 'passed' && c.status !== 'skipped').map((c) => `${c.id} ${c.status}: ${c.message}`);
    expect(notGreen).toEqual([]);
    // Only what the reference server cannot offer is skipped: TLS (loopback http), a DPoP-less server, and nonces when off.
    const skipped = report.checks.filter((c) => c.status === 'skipped').map((c) => c.id);
    const expectedSkips = ['tls', 'dpop-disabled', ...(requireNonce ? [] : ['nonce-missing', 'nonce-retry', 'nonce-wrong', 'nonce-precedence', 'nonce-rotate'])];
    expect(skipped.sort()).toEqual(expectedSkips.sort());
    expect(report.checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    expect(progress.sort()).toEqual(CHECKS.map((c) => c.id).sort());
    expect(report.summary).toEqual({ total: CHECKS.length, passed: CHECKS.length - expectedSkips.length, failed: 0, warned: 0, skipped: expectedSkips.length, expectedFailures: 0, unexpectedPasses: 0 });
    expect(report.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/token$/);
    expect(report.profile).toBe(profile);
  });

  test('check ids are unique, taken verbatim from the checklist, each with a level, a reference and a group', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const check of CHECKS) {
      expect(check.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(['MUST', 'CONTRACT', 'SHOULD', 'MAY']).toContain(check.level);
      expect(check.reference).toMatch(/RFC \d+|OIDC|attesto/);
    }
  });
});
