/**
 * Every response fixture through validateTokenEndpointResponse: valid ones
 * pass, each invalid one fails with exactly the rule(s) it declares, at the
 * declared pointer.
 */
import { describe, expect, test } from '@jest/globals';
import { loadResponseFixtures } from '../../fixtures/responses';
import { validateTokenEndpointResponse, validateTokenEndpointResponseAsync, type ValidationResult } from '../../src/validate';

const fixtures = loadResponseFixtures();

async function validate(fixture: (typeof fixtures)[number]): Promise<ValidationResult> {
  return validateTokenEndpointResponse(fixture.response, fixture.expectation);
}

describe('fixture inventory', () => {
  test('has valid Bearer and DPoP responses, every error code, and at least 20 invalid responses', () => {
    const valid = fixtures.filter((f) => f.valid);
    const invalid = fixtures.filter((f) => !f.valid);
    expect(invalid.length).toBeGreaterThanOrEqual(20);
    expect(valid.some((f) => (f.response.body as { token_type?: string }).token_type === 'Bearer')).toBe(true);
    expect(valid.some((f) => (f.response.body as { token_type?: string }).token_type === 'DPoP')).toBe(true);
    const codes = new Set(valid.map((f) => (f.response.body as { error?: string }).error).filter(Boolean));
    expect([...codes].sort()).toEqual(
      ['invalid_client', 'invalid_dpop_proof', 'invalid_grant', 'invalid_request', 'invalid_scope', 'server_error', 'temporarily_unavailable', 'unauthorized_client', 'unsupported_grant_type', 'use_dpop_nonce'].sort(),
    );
  });
});

describe.each(fixtures.filter((f) => f.valid).map((f) => [f.name, f] as const))('valid %s', (_name, fixture) => {
  test('passes', async () => {
    const result = await validate(fixture);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });
});

describe.each(fixtures.filter((f) => !f.valid).map((f) => [f.name, f] as const))('invalid %s', (_name, fixture) => {
  test('fails with exactly the declared rule(s), at the declared pointer', async () => {
    const result = await validate(fixture);
    expect(result.ok).toBe(false);
    expect([...new Set(result.problems.map((p) => p.rule))].sort()).toEqual([...fixture.rules!].sort());
    expect(result.problems.map((p) => p.pointer)).toContain(fixture.pointer);
    for (const problem of result.problems) expect(problem.message.length).toBeGreaterThan(10);
  });

  test('the always-async variant agrees', async () => {
    const result = await validateTokenEndpointResponseAsync(fixture.response, fixture.expectation);
    expect(result).toEqual(await validate(fixture));
  });
});
