/**
 * The default run (no url): the suite starts the reference server and every
 * check that the configuration allows passes, under both profiles, with and
 * without required nonces.
 */
import { describe, expect, test } from '@jest/globals';
import { CHECKS, runConformance } from '../../src/conformance';

const WAITING = CHECKS.filter((c) => c.waits === true).map((c) => c.id);
/** Skipped with a reason against the reference server: it publishes one metadata document, and advertises every method the suite speaks. */
const METADATA_SKIPS = ['meta-agree', 'meta-auth-unadvertised'];

describe('default run against the reference server', () => {
  test.each([
    ['attesto', false],
    ['rfc', false],
    ['attesto', true],
    ['rfc', true],
  ] as const)('profile %s, nonces required: %s — all green', async (profile, requireNonce) => {
    const progress: string[] = [];
    // The checks that wait out the code lifetime and the grace window run in the last test (no configuration at all).
    const report = await runConformance({ profile, referenceServer: { requireNonce }, skip: WAITING }, { onResult: (r) => progress.push(r.id) });
    const notGreen = report.checks.filter((c) => c.status !== 'passed' && c.status !== 'skipped').map((c) => `${c.id} ${c.status}: ${c.message}`);
    expect(notGreen).toEqual([]);
    // Only what the reference server cannot offer is skipped: plain-http refusal (its token endpoint is loopback http; the TLS posture is judged at its mTLS listener), and nonces when switched off.
    const skipped = report.checks.filter((c) => c.status === 'skipped').map((c) => c.id);
    // The reference server publishes one metadata document (meta-agree) and advertises every auth method the suite speaks (meta-auth-unadvertised).
    const expectedSkips = ['tls', 'tls-forwarded-proto', ...METADATA_SKIPS, ...(requireNonce ? [] : ['nonce-missing', 'nonce-retry', 'nonce-wrong', 'nonce-precedence', 'nonce-rotate'])];
    expect(skipped.sort()).toEqual(expectedSkips.sort());
    const selected = CHECKS.filter((c) => !WAITING.includes(c.id)).map((c) => c.id);
    expect(report.checks.map((c) => c.id)).toEqual(selected);
    expect(progress.sort()).toEqual([...selected].sort());
    expect(report.summary).toEqual({ total: selected.length, passed: selected.length - expectedSkips.length, failed: 0, warned: 0, skipped: expectedSkips.length, expectedFailures: 0, unexpectedPasses: 0, inconclusive: 0, failing: 0 });
    expect(report.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/token$/);
    expect(report.profile).toBe(profile);
  });

  test('with no configuration at all, nonces are required and dpop-disabled runs against a DPoP-off companion: nothing but tls skipped', async () => {
    let start: { dpopNonce: boolean; referenceServer: boolean } | undefined;
    const report = await runConformance({}, { onStart: (info) => (start = info) });
    expect(start).toMatchObject({ dpopNonce: true, referenceServer: true });
    expect(report.checks.filter((c) => c.status !== 'passed').map((c) => c.id)).toEqual(['tls', 'tls-forwarded-proto', ...METADATA_SKIPS]);
    expect(report.checks.find((c) => c.id === 'dpop-disabled')!.message).toMatch(/second reference server with DPoP switched off/);
    expect(report.checks.find((c) => c.id === 'nonce-retry')!.status).toBe('passed');
    expect(report.checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    expect([...WAITING].sort()).toEqual(['code-expired', 'rt-grace', 'rt-reuse-revokes-family']);
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
