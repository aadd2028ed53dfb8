/**
 * Expected failures in the Jest entry, registered with the real Jest
 * globals (not a recording stand-in), against a deliberately broken server:
 *  - a listed check that really fails is a `test.failing` that passes here
 *    (were it not failing, Jest would fail this file: an XPASS);
 *  - a listed check that the run skips (nothing to judge) neither fails nor
 *    counts as an XPASS; the reason is logged.
 * The same two cases are also run through the recording API, where the
 * outcome of each test body can be asserted directly.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { defaultRunClients, describeTokenEndpointConformance, type DescribeConformanceConfig } from '../../src/conformance';
import { recordingApi } from './support/recording-api';
import { startMutatingProxy, withoutHeader, type Mutation, type MutatingProxy } from './support/mutating-proxy';

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
  // Registers ok-basic (a plain test, passing) and resp-no-store (test.failing, which passes only because the check fails).
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

  test('the listed, really failing check throws its findings (test.failing passes)', async () => {
    proxy.mutation = noPragma;
    const { api, tests, run } = recordingApi();
    describeTokenEndpointConformance(target(['resp-no-store']), { api });
    expect(tests.map((t) => t.kind)).toEqual(['failing']);
    const outcome = (await run()).get('resp-no-store');
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(/lacks Pragma: no-cache/);
  });

  test('the listed check skipped at run time throws a marked error (no XPASS) and logs why', async () => {
    proxy.mutation = unavailable;
    const log = jest.fn<(message: string) => void>();
    const { api, run } = recordingApi();
    describeTokenEndpointConformance(target(['resp-no-store']), { api, log });
    const outcome = (await run()).get('resp-no-store') as Error;
    expect(outcome.name).toBe('ExpectedFailureSkipped');
    expect(outcome.message).toMatch(/skipped at run time/);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toBe(outcome.message);
  });

  test('unlisted, the same skipped check is a plain test that passes, and a fixed listed check is an XPASS', async () => {
    proxy.mutation = unavailable;
    const skippedPlain = recordingApi();
    describeTokenEndpointConformance({ ...target(['resp-no-store']), expectedFailures: [] }, { api: skippedPlain.api });
    expect(skippedPlain.tests.map((t) => t.kind)).toEqual(['test']);
    expect((await skippedPlain.run()).get('resp-no-store')).toBe('ok');

    // Against a healthy server the listed check passes: the body returns, which test.failing reports as a failure.
    proxy.mutation = undefined;
    const fixed = recordingApi();
    const log = jest.fn<(message: string) => void>();
    describeTokenEndpointConformance(target(['resp-no-store']), { api: fixed.api, log });
    expect((await fixed.run()).get('resp-no-store')).toBe('ok');
    expect(log).not.toHaveBeenCalled();
  });
});
