/**
 * describeTokenEndpointConformance with a target that exists only once the
 * file's own beforeAll has run: the url and the secret are functions (or
 * promises), resolved in the suite's beforeAll. Used for real here, the way
 * a team would, and with a recording test API to see what is registered.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { describeTokenEndpointConformance } from '../../src/conformance';
import { recordingApi } from './support/recording-api';

// The team's own server, started when the tests start (not when the file loads).
let server: ReferenceServer | undefined;
beforeAll(async () => {
  server = await createReferenceServer({ dpop: { enabled: false } });
});
afterAll(async () => {
  await server?.close();
});

const running = (): ReferenceServer => {
  if (!server) throw new Error('the server has not started');
  return server;
};

// The real thing: registered now, the url and the secret read in beforeAll.
describeTokenEndpointConformance({
  url: () => running().tokenEndpoint,
  clients: [{ id: 'basic-client', auth: 'client_secret_basic', secret: () => running().clients['basic-client']!.secret! }],
  scope: 'read',
  only: ['success'],
});

describe('a lazily resolved target', () => {
  test('registration uses only the static parts: one basic client, so post and private_key_jwt are skipped, tls too', () => {
    const { api, titles, tests } = recordingApi();
    describeTokenEndpointConformance({ url: () => running().tokenEndpoint, clients: [{ id: 'basic-client', auth: 'client_secret_basic', secret: () => 'later' }] }, { api });
    expect(titles).toEqual(['token endpoint conformance: url resolved in beforeAll (profile attesto)']);
    const kinds = Object.fromEntries(tests.map((t) => [t.name.split(' ')[0], t.kind]));
    expect(kinds['ok-basic']).toBe('test');
    expect(kinds['ok-post']).toBe('skip');
    expect(kinds['ok-pkjwt']).toBe('skip');
    expect(kinds['tls']).toBe('skip');
  });

  test('a promise and a function are resolved in beforeAll, against the server started in this file', async () => {
    const { api, run } = recordingApi();
    let asked = 0;
    describeTokenEndpointConformance(
      {
        url: Promise.resolve().then(() => running().tokenEndpoint),
        clients: [{ id: 'basic-client', auth: 'client_secret_basic', secret: async () => (asked++, running().clients['basic-client']!.secret!) }],
        only: ['ok-basic', 'basic-bad-secret'],
      },
      { api },
    );
    expect(asked).toBe(0); // nothing is resolved while registering
    const outcomes = await run();
    expect(asked).toBe(1);
    expect(outcomes.get('ok-basic')).toBe('ok');
    expect(outcomes.get('basic-bad-secret')).toBe('ok');
  });

  test('a lazy url that throws or resolves to nothing fails with the reason, naming the field', async () => {
    const throwing = recordingApi();
    describeTokenEndpointConformance(
      { url: () => Promise.reject(new Error('server not ready')), clients: [{ id: 'a', auth: 'client_secret_basic', secret: 's' }], only: ['ok-basic'] },
      { api: throwing.api },
    );
    expect(((await throwing.run()).get('ok-basic') as Error).message).toBe('url: the lazily resolved value failed: server not ready');

    // A promise that rejects before the suite's beforeAll: still this one failure, no unhandled rejection in between.
    const rejected = recordingApi();
    describeTokenEndpointConformance({ url: Promise.reject(new Error('no port')), clients: [{ id: 'a', auth: 'client_secret_basic', secret: 's' }], only: ['ok-basic'] }, { api: rejected.api });
    await new Promise((resolve) => setImmediate(resolve));
    expect(((await rejected.run()).get('ok-basic') as Error).message).toBe('url: the lazily resolved value failed: no port');

    const empty = recordingApi();
    describeTokenEndpointConformance({ url: () => process.env.SURELY_UNSET_TOKEN_URL ?? '', clients: [{ id: 'a', auth: 'client_secret_basic', secret: 's' }], only: ['ok-basic'] }, { api: empty.api });
    expect(((await empty.run()).get('ok-basic') as Error).message).toMatch(/^url resolved to an empty string/);
  });

  test('no url: the suite starts the reference server in its beforeAll and stops it after the run', async () => {
    const { api, titles, run } = recordingApi();
    describeTokenEndpointConformance({ referenceServer: { requireNonce: false }, only: ['ok-basic', 'nonce-retry'] }, { api });
    expect(titles).toEqual(['token endpoint conformance: reference server (profile attesto)']);
    const outcomes = await run();
    expect(outcomes.get('ok-basic')).toBe('ok');
    expect(outcomes.has('nonce-retry')).toBe(false); // requireNonce: false → the nonce check is registered as skipped
  });
});

describe('a configuration that cannot work is one failing test, not one per check', () => {
  const clients = [{ id: 'basic-client', auth: 'client_secret_basic' as const, secret: 'secret-value' }];

  test.each([
    ['clients and a url that is an unset environment variable', { url: process.env.SURELY_UNSET_TOKEN_URL, clients }, /^url is undefined \(is the environment variable holding it set\?\)/, 'no url'],
    ['clients but no url', { clients }, /^clients are configured but there is no url/, 'no url'],
    ['an empty url', { url: '', clients }, /^url is empty/, 'no url'],
    ['a url that is not http(s)', { url: 'ftp://x', clients }, /url must use https:\/\/ \(got "ftp:"\)/, 'ftp://x'],
    ['plain http to a remote host', { url: 'http://auth.example.com/token', clients }, /requires TLS/, 'http://auth.example.com/token'],
    ['credentials in the url (kept out of the title)', { url: 'https://id:pa55word@as.example.com/token', clients }, /url must not carry credentials/, 'https://as.example.com/token'],
    ['an unknown member', { colour: 'red' }, /unknown member "colour"/, 'reference server'],
    ['an unknown check id', { only: ['ok-basci'] }, /only: unknown check id "ok-basci"/, 'reference server'],
    ['a missing expected-failures file', { expectedFailures: '/nonexistent/expected.txt' }, /cannot read expected failures file .*ENOENT/, 'reference server'],
  ])('%s', async (_label, config, message, where) => {
    const { api, titles, tests, run } = recordingApi();
    describeTokenEndpointConformance(config as never, { api });
    expect(titles).toEqual([`token endpoint conformance: ${where} (profile attesto)`]);
    expect(tests).toHaveLength(1);
    const outcome = [...(await run()).values()][0] as Error;
    expect(outcome.name).toBe('ConfigError');
    expect((outcome as { code?: string }).code).toBe('ERR_CONFIG');
    expect(outcome.message).toMatch(message);
    expect(tests[0]!.name).toBe(`configuration: ${outcome.message}`);
    for (const secret of ['secret-value', 'pa55word']) expect([...titles, outcome.message, tests[0]!.name].join('\n')).not.toContain(secret);
  });
});
