/**
 * Levels, references and the two profiles in validateTokenEndpointResponse:
 * the rfc fixtures (fixtures/responses/rfc) under both profiles, warnings
 * reachable from the result, and a level and reference on every problem.
 */
import { describe, expect, test } from '@jest/globals';
import { loadResponseFixtures, loadRfcResponseFixtures, type ResponseFixture } from '../../fixtures/responses';
import { CONTRACT_REFERENCE, LEVELS, RULES, RULE_SOURCES, InvalidExpectationError, validateTokenEndpointResponse, validateTokenEndpointResponseAsync, type Problem, type ValidationResult } from '../../src/validate';
import { RFC_TOKEN_ERROR_CODES } from '../../src/oauth/protocol';
import { TOKEN_ERROR_CODES } from '../../src/openapi';

const rfcFixtures = loadRfcResponseFixtures();
const rules = (problems: readonly Problem[]) => [...new Set(problems.map((p) => p.rule))].sort();

async function judge(fixture: ResponseFixture, expectation = fixture.expectation): Promise<ValidationResult> {
  return validateTokenEndpointResponse(fixture.response, expectation);
}

describe('rfc fixture inventory', () => {
  test('RFC-valid responses the contract refuses, and RFC violations', () => {
    const names = rfcFixtures.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['valid-rfc-bearer-lowercase', 'valid-rfc-dpop-without-cnf', 'valid-rfc-invalid-target', 'valid-rfc-error-without-pragma']));
    expect(rfcFixtures.filter((f) => !f.valid).length).toBeGreaterThanOrEqual(6);
    for (const fixture of rfcFixtures) {
      expect([fixture.name, fixture.expectation.profile, fixture.attesto?.expectation.profile]).toEqual([fixture.name, 'rfc', undefined]);
    }
  });
});

describe.each(rfcFixtures.filter((f) => f.valid).map((f) => [f.name, f] as const))('RFC-valid %s', (_name, fixture) => {
  test('passes under rfc, its contract problems kept as warnings', async () => {
    const result = await judge(fixture);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(rules(result.warnings)).toEqual([...fixture.warnings!].sort());
    for (const warning of result.warnings) expect([warning.rule, warning.level, warning.reference]).toEqual([warning.rule, 'CONTRACT', CONTRACT_REFERENCE]);
  });

  test('fails under attesto (the default), on contract rules only', async () => {
    const result = await judge(fixture, fixture.attesto!.expectation);
    expect(result.ok).toBe(false);
    expect(rules(result.problems)).toEqual([...fixture.attesto!.rules].sort());
    expect(result.problems.map((p) => p.pointer)).toContain(fixture.attesto!.pointer);
    expect(result.problems.every((p) => p.level === 'CONTRACT')).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  test('the always-async variant agrees', async () => {
    expect(await validateTokenEndpointResponseAsync(fixture.response, fixture.expectation)).toEqual(await judge(fixture));
  });
});

describe.each(rfcFixtures.filter((f) => !f.valid).map((f) => [f.name, f] as const))('RFC violation %s', (_name, fixture) => {
  test('fails under rfc with exactly the declared MUST rule, at the declared pointer', async () => {
    const result = await judge(fixture);
    expect(result.ok).toBe(false);
    expect(rules(result.problems)).toEqual([...fixture.rules!].sort());
    expect(result.problems.map((p) => p.pointer)).toContain(fixture.pointer);
    expect(result.problems.every((p) => p.level === 'MUST' && p.reference.startsWith('RFC '))).toBe(true);
    expect(rules(result.warnings)).toEqual([...(fixture.warnings ?? [])].sort());
  });

  test('fails under attesto too', async () => {
    const result = await judge(fixture, fixture.attesto!.expectation);
    expect(result.ok).toBe(false);
    expect(rules(result.problems)).toEqual([...fixture.attesto!.rules].sort());
    expect(result.problems.map((p) => p.pointer)).toContain(fixture.attesto!.pointer);
  });
});

describe('every problem carries its level and reference', () => {
  test('each rule has one source, in the suite vocabulary', () => {
    expect(Object.keys(RULE_SOURCES).sort()).toEqual(Object.values(RULES).sort());
    for (const source of Object.values(RULE_SOURCES)) {
      expect(LEVELS).toContain(source.level);
      expect(source.reference).toMatch(/^RFC \d+ §\d/);
    }
  });

  test('on every problem and warning of every fixture, under both profiles', async () => {
    const all = [...loadResponseFixtures(), ...rfcFixtures];
    let seen = 0;
    for (const fixture of all) {
      for (const expectation of [fixture.expectation, { ...fixture.expectation, profile: 'rfc' as const }, ...(fixture.attesto ? [fixture.attesto.expectation] : [])]) {
        const result = await judge(fixture, expectation);
        for (const problem of [...result.problems, ...result.warnings]) {
          seen++;
          expect([problem.rule, LEVELS.includes(problem.level)]).toEqual([problem.rule, true]);
          expect([problem.rule, problem.reference]).toEqual([problem.rule, expect.stringMatching(/^(RFC \d+ §\d|attesto contract$)/)]);
          expect([problem.rule, problem.level === 'CONTRACT']).toEqual([problem.rule, problem.reference === CONTRACT_REFERENCE]);
        }
      }
    }
    expect(seen).toBeGreaterThan(50);
  });

  test('no-store/no-cache: the RFC on a token response, the contract on an error', () => {
    const success = validateTokenEndpointResponse({ status: 200, headers: { 'content-type': 'application/json' }, body: { access_token: 'x', token_type: 'Bearer' } });
    expect(success.problems.map((p) => [p.rule, p.level, p.reference])).toEqual([
      [RULES.cacheControlNoStore, 'MUST', 'RFC 6749 §5.1'],
      [RULES.pragmaNoCache, 'MUST', 'RFC 6749 §5.1'],
    ]);
    const error = validateTokenEndpointResponse({ status: 400, headers: { 'content-type': 'application/json' }, body: { error: 'invalid_request' } }, { profile: 'rfc' });
    expect(error.ok).toBe(true);
    expect(error.warnings.map((p) => [p.rule, p.level, p.reference])).toEqual([
      [RULES.cacheControlNoStore, 'CONTRACT', CONTRACT_REFERENCE],
      [RULES.pragmaNoCache, 'CONTRACT', CONTRACT_REFERENCE],
    ]);
  });
});

describe('profile options', () => {
  const bearer = { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' }, body: { access_token: 'x', token_type: 'BEARER' } };

  test('attesto is the default, exactly as before: the case variant fails, no warnings', () => {
    const byDefault = validateTokenEndpointResponse(bearer);
    expect(byDefault).toEqual(validateTokenEndpointResponse(bearer, { profile: 'attesto' }));
    expect(byDefault.ok).toBe(false);
    expect(byDefault.warnings).toEqual([]);
  });

  test('rfc compares token_type case-insensitively, for the expectation too', () => {
    expect(validateTokenEndpointResponse(bearer, { profile: 'rfc', tokenType: 'Bearer' }).ok).toBe(true);
    const wrong = validateTokenEndpointResponse(bearer, { profile: 'rfc', tokenType: 'DPoP' });
    expect(rules(wrong.problems)).toEqual([RULES.tokenType]);
  });

  test('rfc accepts every registered token endpoint error code; attesto only the contract enum', () => {
    for (const code of Object.keys(RFC_TOKEN_ERROR_CODES)) {
      const res = { status: 400, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache', ...(code === 'use_dpop_nonce' ? { 'dpop-nonce': 'n-1' } : {}) }, body: { error: code } };
      expect([code, validateTokenEndpointResponse(res, { profile: 'rfc', error: code as never }).ok]).toEqual([code, true]);
      expect([code, validateTokenEndpointResponse(res).ok]).toEqual([code, (TOKEN_ERROR_CODES as readonly string[]).includes(code)]);
    }
  });

  test('errorCodes extends the accepted codes; malformed profile options throw', () => {
    const res = { status: 400, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' }, body: { error: 'quota_exceeded' } };
    expect(validateTokenEndpointResponse(res, { profile: 'rfc' }).ok).toBe(false);
    expect(validateTokenEndpointResponse(res, { profile: 'rfc', errorCodes: ['quota_exceeded'] }).ok).toBe(true);
    expect(() => validateTokenEndpointResponse(res, { error: 'invalid_target' as never })).toThrow(InvalidExpectationError);
    expect(() => validateTokenEndpointResponse(res, { profile: 'loose' as never })).toThrow(/"profile" must be one of attesto, rfc/);
    expect(() => validateTokenEndpointResponse(res, { errorCodes: 'quota_exceeded' as never })).toThrow(/"errorCodes"/);
  });
});
