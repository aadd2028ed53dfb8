/**
 * Every response fixture through its matcher, registered by the Jest setup
 * entry: valid ones pass and fail under `.not`; invalid ones fail with a
 * message naming the rule and the pointer, and pass under `.not`.
 */
import { describe, expect, test } from '@jest/globals';
import '../../src/matchers/jest';
import { loadResponseFixtures } from '../../fixtures/responses';
import { runFixtureMatcher } from './helpers';

const fixtures = loadResponseFixtures();

describe.each(fixtures.filter((f) => f.valid).map((f) => [f.name, f] as const))('valid %s', (_name, fixture) => {
  test(`${fixture.matcher} passes`, async () => {
    expect(await runFixtureMatcher(fixture, fixture.response)).toBeUndefined();
  });

  test('.not fails, saying the response is valid', async () => {
    const message = await runFixtureMatcher(fixture, fixture.response, true);
    expect(message).toContain(`.not.${fixture.matcher}(`);
    expect(message).toContain('but it is');
  });

  test('toMatchTokenEndpointContract passes too', () => {
    expect(fixture.response).toMatchTokenEndpointContract(fixture.expectation.strict === false ? { strict: false } : undefined);
  });
});

describe.each(fixtures.filter((f) => !f.valid).map((f) => [f.name, f] as const))('invalid %s', (_name, fixture) => {
  test(`${fixture.matcher} fails naming the rule and the pointer`, async () => {
    const message = await runFixtureMatcher(fixture, fixture.response);
    expect(message).toBeDefined();
    const lines = message!.split('\n');
    expect(lines[0]).toContain(`.${fixture.matcher}(`);
    for (const rule of fixture.rules!) {
      const line = lines.find((l) => l.includes(`[${rule}]`));
      expect(line).toBeDefined();
    }
    const where = fixture.rules![0]!.split('.')[0];
    if (fixture.pointer) expect(message).toContain(`${where} ${where === 'header' ? fixture.pointer.slice(1) : fixture.pointer}`);
    expect(message).toContain(`Received status ${fixture.response.status}`);
  });

  test('.not passes', async () => {
    expect(await runFixtureMatcher(fixture, fixture.response, true)).toBeUndefined();
  });
});
