/**
 * Expected failures and warnings in the Jest entry, registered with the real
 * Jest globals (not a recording stand-in), against a deliberately broken
 * server, and through the recording API, where each test body's outcome can
 * be asserted directly:
 *  - a listed check that really fails is a plain test that passes here, its
 *    title saying "(expected to fail)";
 *  - a listed check that passes now fails its test with "remove <id> from
 *    expectedFailures", in the user's words, not Jest's ".failing";
 *  - a listed check that the run skips (nothing to judge) passes and logs why;
 *  - a warned check passes its test and is named in one summary printed
 *    after the suite.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { defaultRunClients, describeTokenEndpointConformance, type DescribeConformanceConfig } from '../../src/conformance';
import { recordingApi } from './support/recording-api';
import { NO_EXPIRES_IN, RATE_LIMITED, startMutatingProxy, withoutHeader, type Mutation, type MutatingProxy } from './support/mutating-proxy';

/** Drops Pragma from every answer: resp-no-store fails (RFC 6749 §5.1). */
const noPragma: Mutation = { response: (res) => withoutHeader(res, 'Pragma') };
/** Answers everything 502: the observers have nothing to judge and skip (a 503 would be rate limiting: inconclusive, rate-limit.test.ts). */
const unavailable: Mutation = { request: () => ({ status: 502, headers: [['Content-Type', 'text/plain']], body: 'bad gateway' }) };

let proxy: MutatingProxy;
beforeAll(async () => {
  proxy = await startMutatingProxy({ clients: await defaultRunClients() });
});
afterAll(async () => {
  await proxy?.close();
});

// The target exists only once beforeAll has run: url and secret are lazy.
const target = (only: string[]): DescribeConformanceConfig => ({
  url: () => proxy.tokenEndpoint,
  clients: [{ id: 'basic-client', auth: 'client_secret_basic', secret: () => proxy.server.clients['basic-client']!.secret! }],
  only,
  expectedFailures: { 'resp-no-store': 'Pragma not sent yet' },
});

const logged: string[] = [];

describe('real Jest: a listed check that fails against a broken server', () => {
  beforeAll(() => {
    proxy.mutation = noPragma;
  });
  // Registers ok-basic and resp-no-store, both plain tests: the second passes because the check still fails.
  describeTokenEndpointConformance(target(['ok-basic', 'resp-no-store']), { name: 'broken server: no Pragma' });
});

describe('real Jest: a listed check skipped at run time', () => {
  beforeAll(() => {
    proxy.mutation = unavailable;
  });
  describeTokenEndpointConformance(target(['resp-no-store']), { name: 'unavailable server', log: (message) => logged.push(message) });
  afterAll(() => {
    // The only test above passed (or Jest fails this file); this says it passed as a runtime skip, not as a failure.
    expect(logged).toEqual([expect.stringMatching(/^resp-no-store: listed as an expected failure but skipped at run time \(nothing to judge: .*\); not judged$/)]);
  });
});

describe('recording API: the test bodies', () => {
  afterAll(() => {
    proxy.mutation = undefined;
  });

  test('the listed, really failing check passes, its title saying so', async () => {
    proxy.mutation = noPragma;
    const { api, tests, run } = recordingApi();
    describeTokenEndpointConformance(target(['resp-no-store']), { api });
    expect(tests.map((t) => [t.kind, t.name])).toEqual([['test', expect.stringMatching(/^resp-no-store \[MUST\] .* \(expected to fail\)$/)]]);
    expect((await run()).get('resp-no-store')).toBe('ok');
  });

  test('a listed check that passes now fails its test, naming the entry to remove (not Jest\'s ".failing")', async () => {
    proxy.mutation = undefined;
    const { api, run } = recordingApi();
    describeTokenEndpointConformance(target(['resp-no-store']), { api, log: () => undefined });
    const outcome = (await run()).get('resp-no-store') as Error;
    expect(outcome).toBeInstanceOf(Error);
    expect(outcome.message).toBe('resp-no-store passes now: remove resp-no-store from expectedFailures (listed: Pragma not sent yet)');
  });

  test('the listed check skipped at run time passes and logs why; unlisted, it is a plain test that passes', async () => {
    proxy.mutation = unavailable;
    const log = jest.fn<(message: string) => void>();
    const listed = recordingApi();
    describeTokenEndpointConformance(target(['resp-no-store']), { api: listed.api, log });
    expect((await listed.run()).get('resp-no-store')).toBe('ok');
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toMatch(/^resp-no-store: listed as an expected failure but skipped at run time/);

    const unlisted = recordingApi();
    const unlistedLog = jest.fn<(message: string) => void>();
    describeTokenEndpointConformance({ ...target(['resp-no-store']), expectedFailures: [] }, { api: unlisted.api, log: unlistedLog });
    expect((await unlisted.run()).get('resp-no-store')).toBe('ok');
    expect(unlistedLog).toHaveBeenCalledWith(expect.stringMatching(/^resp-no-store: skipped at run time: nothing to judge/));
  });

  test('a warned check passes its test and is named, with its level and message, in one summary after the suite', async () => {
    proxy.mutation = NO_EXPIRES_IN;
    const log = jest.fn<(message: string) => void>();
    const { api, run } = recordingApi();
    describeTokenEndpointConformance({ ...target(['ok-basic', 'resp-expires']), expectedFailures: [] }, { api, log, name: 'warnings' });
    const outcomes = await run();
    expect([outcomes.get('ok-basic'), outcomes.get('resp-expires')]).toEqual(['ok', 'ok']);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toMatch(/^warnings: 1 check passed with warnings \(findings below the fail level: MUST and CONTRACT fail the run; SHOULD\/MAY warn\):\n {2}resp-expires \[SHOULD\] expires_in is absent/);
    // Nothing warned: nothing printed.
    proxy.mutation = undefined;
    const quiet = jest.fn<(message: string) => void>();
    const clean = recordingApi();
    describeTokenEndpointConformance({ ...target(['ok-basic', 'resp-expires']), expectedFailures: [] }, { api: clean.api, log: quiet });
    await clean.run();
    expect(quiet).not.toHaveBeenCalled();
  });

  test('failOn inconclusive: a check without a verdict fails its test, as the CLI exits 1', async () => {
    proxy.mutation = RATE_LIMITED;
    const { api, run } = recordingApi();
    describeTokenEndpointConformance({ ...target(['ok-basic']), expectedFailures: [], failOn: 'inconclusive' }, { api });
    const outcome = (await run()).get('ok-basic') as Error;
    expect(outcome.message).toMatch(/^ok-basic: inconclusive \(failOn inconclusive\): rate limited/);
    // Listed as an expected failure, no verdict still fails the run there, as in the CLI.
    const listed = recordingApi();
    describeTokenEndpointConformance({ ...target(['ok-basic']), expectedFailures: ['ok-basic'], failOn: 'inconclusive' }, { api: listed.api, log: () => undefined });
    expect(((await listed.run()).get('ok-basic') as Error).message).toMatch(/^ok-basic: inconclusive \(failOn inconclusive\)/);
  });
});
