/**
 * The profiles through the matchers: the rfc fixtures pass or fail under
 * `profile: 'rfc'`, the same responses fail under attesto, warnings are
 * listed in the messages, and configureMatchers sets the profile for a run
 * (per-call options win).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { configureMatchers, matcherConfiguration } from '../../src/matchers';
import '../../src/matchers/jest';
import { configureMatchers as fromJestEntry } from '../../src/matchers/jest';
import { configureMatchers as fromVitestEntry } from '../../src/matchers/vitest';
import { loadRfcResponseFixtures, type ResponseFixture } from '../../fixtures/responses';
import { runFixtureMatcher } from './helpers';

const fixtures = loadRfcResponseFixtures();

/** The fixture's matcher call with the profile left out of its options. */
function withoutProfile(fixture: ResponseFixture): ResponseFixture {
  const args = fixture.args.map((arg) => {
    if (arg === null || typeof arg !== 'object') return arg;
    const { profile: _profile, ...rest } = arg as Record<string, unknown>;
    return rest;
  });
  return { ...fixture, args };
}

afterEach(() => configureMatchers({}));

describe.each(fixtures.filter((f) => f.valid).map((f) => [f.name, f] as const))('RFC-valid %s', (_name, fixture) => {
  test(`${fixture.matcher} passes under rfc; .not fails, listing the contract warnings`, async () => {
    expect(await runFixtureMatcher(fixture, fixture.response)).toBeUndefined();
    const message = await runFixtureMatcher(fixture, fixture.response, true);
    expect(message).toContain('but it is');
    expect(message).toMatch(/and \d+ warnings? \(not failing under this profile\):/);
    for (const rule of fixture.warnings!) expect(message).toMatch(new RegExp(`  ! .*attesto contract.*\\[${rule.replace(/\./g, '\\.')}\\]`));
  });

  test('fails under attesto, saying the rule is the contract\'s', async () => {
    const plain = withoutProfile(fixture);
    if (fixture.args[0] === 'invalid_target') {
      // Under attesto the code itself is not one the contract knows: a matcher error, not a failure.
      expect(() => expect(fixture.response).toMatchTokenError('invalid_target' as never)).toThrow(/Matcher error: "error" must be one of the contract's error codes/);
      return;
    }
    const message = await runFixtureMatcher(plain, fixture.response);
    expect(message).toBeDefined();
    for (const rule of fixture.attesto!.rules) expect(message).toMatch(new RegExp(`✕ .*attesto contract.*\\[${rule.replace(/\./g, '\\.')}\\]`));
  });

  test('configureMatchers({ profile: "rfc" }) has the same effect; a per-call profile wins', async () => {
    const plain = withoutProfile(fixture);
    configureMatchers({ profile: 'rfc' });
    expect(matcherConfiguration()).toEqual({ profile: 'rfc' });
    expect(await runFixtureMatcher(plain, fixture.response)).toBeUndefined();
    const attesto = { ...fixture, args: fixture.args.map((arg) => (arg !== null && typeof arg === 'object' ? { ...arg, profile: 'attesto' } : arg)) };
    if (fixture.args[0] !== 'invalid_target') expect(await runFixtureMatcher(attesto, fixture.response)).toBeDefined();
    configureMatchers({});
    if (fixture.args[0] !== 'invalid_target') expect(await runFixtureMatcher(plain, fixture.response)).toBeDefined();
  });
});

describe.each(fixtures.filter((f) => !f.valid).map((f) => [f.name, f] as const))('RFC violation %s', (_name, fixture) => {
  test(`${fixture.matcher} fails under rfc naming the rule; warnings listed after the problems`, async () => {
    const message = await runFixtureMatcher(fixture, fixture.response);
    expect(message).toBeDefined();
    for (const rule of fixture.rules!) expect(message).toContain(`[${rule}]`);
    const warnings = fixture.warnings ?? [];
    if (warnings.length === 0) expect(message).not.toContain('not failing under this profile');
    for (const rule of warnings) {
      const at = message!.indexOf('not failing under this profile');
      expect(at).toBeGreaterThan(message!.indexOf(`[${fixture.rules![0]}]`));
      expect(message!.slice(at)).toContain(`[${rule}]`);
    }
    expect(await runFixtureMatcher(fixture, fixture.response, true)).toBeUndefined();
  });

  test('fails under attesto too', async () => {
    const message = await runFixtureMatcher(withoutProfile(fixture), fixture.response);
    expect(message).toBeDefined();
    for (const rule of fixture.attesto!.rules) expect(message).toContain(`[${rule}]`);
  });
});

describe('configureMatchers', () => {
  test('is exported by the matchers, jest and vitest entries', () => {
    expect(fromJestEntry).toBe(configureMatchers);
    expect(fromVitestEntry).toBe(configureMatchers);
  });

  test('checks what it is given; {} restores the defaults', () => {
    expect(() => configureMatchers({ profile: 'loose' as never })).toThrow(/"profile" must be one of attesto, rfc/);
    expect(() => configureMatchers({ proflie: 'rfc' } as never)).toThrow(/unknown option "proflie"/);
    expect(() => configureMatchers({ errorCodes: [1] as never })).toThrow(/"errorCodes"/);
    configureMatchers({ errorCodes: ['quota_exceeded'] });
    expect(matcherConfiguration()).toEqual({ errorCodes: ['quota_exceeded'] });
    configureMatchers({});
    expect(matcherConfiguration()).toEqual({});
  });

  test('run-wide errorCodes let a matcher expect an extension code (failing on the contract under attesto)', () => {
    const res = { status: 400, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' }, body: { error: 'quota_exceeded' } };
    expect(() => expect(res).toMatchTokenError('quota_exceeded' as never)).toThrow(/Matcher error/);
    configureMatchers({ profile: 'rfc', errorCodes: ['quota_exceeded'] });
    expect(res).toMatchTokenError('quota_exceeded' as never);
    expect(() => expect(res).toMatchTokenError('quota_exceeded' as never, { profile: 'attesto' })).toThrow(/\(attesto contract\) .*\[body\.schema\]/);
  });

  test('unknown profile values in matcher options are matcher errors', () => {
    const res = { status: 400, headers: {}, body: {} };
    expect(() => expect(res).toMatchTokenEndpointContract({ profile: 'RFC' as never })).toThrow(/Matcher error: "profile" must be one of attesto, rfc/);
  });
});
