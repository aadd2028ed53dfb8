/**
 * describeTokenEndpointConformance: one Jest test per check. Used for real
 * here against the reference server, and with a recording test API to see
 * how skips, expected failures and failures are registered and behave.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_CONCURRENCY, defaultRunClients, describeTokenEndpointConformance, runConformance, type ConformanceConfig } from '../../src/conformance';
import { ConfigError } from '../../src/errors';
import { recordingApi } from './support/recording-api';
import { startMutatingProxy, withoutHeader, type MutatingProxy } from './support/mutating-proxy';

// The real thing: a team's own Jest run (here against the reference server, a few groups to stay quick).
describeTokenEndpointConformance({ only: ['success', 'grant-scope'] });

describe('registration', () => {
  let proxy: MutatingProxy;
  let config: ConformanceConfig;
  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
    config = proxy.config;
  });
  afterAll(async () => {
    await proxy?.close();
  });

  test('one test per check; missing capabilities are test.skip, listed ids plain tests titled "(expected to fail)"', () => {
    const { api, tests } = recordingApi();
    describeTokenEndpointConformance({ ...config, dpop: false, expectedFailures: ['resp-no-store'] }, { api });
    const kinds = Object.fromEntries(tests.map((t) => [t.name.split(' ')[0], t.kind]));
    expect(kinds['ok-basic']).toBe('test');
    expect(kinds['dpop-ok']).toBe('skip');
    expect(kinds['tls']).toBe('skip');
    expect(kinds['tls-forwarded-proto']).toBe('skip');
    expect(kinds['resp-no-store']).toBe('test');
    expect(tests.find((t) => t.name.startsWith('resp-no-store'))!.name).toMatch(/\(expected to fail\)$/);
    expect(tests.find((t) => t.name.startsWith('dpop-ok'))!.name).toMatch(/needs DPoP support \(--dpop\)/);
  });

  test('url or issuer given as undefined (an unset environment variable) is a configuration failure, not a run against the reference server', async () => {
    const { api, tests, run } = recordingApi();
    describeTokenEndpointConformance({ url: process.env.ATTESTO_SURELY_UNSET_URL }, { api });
    expect(tests.map((t) => t.name)).toEqual(['configuration: url is undefined (is the environment variable holding it set?): give the token endpoint URL, or leave url out to test the built-in reference server']);
    expect((await run()).size).toBe(1);
    await expect(runConformance({ issuer: undefined })).rejects.toThrow('issuer is undefined (is the environment variable holding it set?): give the issuer, or leave issuer out');
    await expect(runConformance({ url: undefined })).rejects.toBeInstanceOf(ConfigError);
  });

  test('an issuer and no url: the token endpoint comes from its metadata in beforeAll; unsaid DPoP registers skipped, with a note', async () => {
    const { url: _url, dpop: _dpop, issuer, ...rest } = config;
    const notes: string[] = [];
    const { api, tests, run } = recordingApi();
    describeTokenEndpointConformance({ ...rest, issuer: async () => issuer!, only: ['ok-basic', 'dpop-ok', 'metadata'] }, { api, log: (note) => notes.push(note) });
    const kinds = Object.fromEntries(tests.map((t) => [t.name.split(' ')[0], t.kind]));
    expect(kinds).toEqual({ 'ok-basic': 'test', 'dpop-ok': 'skip', 'meta-document': 'test', 'meta-issuer': 'test', 'meta-required': 'test', 'meta-types': 'test', 'meta-https': 'test', 'meta-pkce': 'test', 'meta-agree': 'test' });
    const outcomes = await run();
    expect(outcomes.get('ok-basic')).toBe('ok');
    expect(outcomes.get('meta-issuer')).toBe('ok');
    expect(notes.join('\n')).toMatch(/metadata advertises DPoP .* set dpop: true/);
  });

  test('a failing check throws its findings; an expected failure passes; a fixed one fails, naming the entry to remove', async () => {
    proxy.mutation = { response: (res) => withoutHeader(res, 'Pragma') };
    try {
      const failing = recordingApi();
      describeTokenEndpointConformance({ ...config, only: ['ok-basic', 'resp-no-store'] }, { api: failing.api });
      const outcomes = await failing.run();
      expect(outcomes.get('ok-basic')).toBe('ok');
      const error = outcomes.get('resp-no-store') as Error;
      expect(error.name).toBe('ConformanceCheckFailure');
      expect(error.message).toMatch(/a token response lacks Pragma: no-cache[\s\S]*reproduce:\n\s+curl/);

      const expected = recordingApi();
      describeTokenEndpointConformance({ ...config, only: ['ok-basic', 'resp-no-store'], expectedFailures: ['resp-no-store', 'ok-basic'] }, { api: expected.api });
      const xOutcomes = await expected.run();
      expect(xOutcomes.get('resp-no-store')).toBe('ok'); // still failing, as listed
      expect((xOutcomes.get('ok-basic') as Error).message).toMatch(/^ok-basic passes now: remove ok-basic from expectedFailures/); // the list is stale
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('a target that never answers fails fast, once: the first test has the error, the others one line; one timeout, not one per check', async () => {
    const connections: Array<import('node:net').Socket> = [];
    const hung = http.createServer(() => undefined);
    hung.on('connection', (socket) => connections.push(socket));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/oauth/token`;
      const run = recordingApi();
      describeTokenEndpointConformance({ ...config, url, timeoutMs: 300, only: ['client-auth'] }, { api: run.api });
      const outcomes = [...(await run.run()).values()] as Error[];
      expect(outcomes.length).toBeGreaterThan(5);
      expect(outcomes[0]!.message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+: timeout after 300 ms$/);
      for (const later of outcomes.slice(1)) expect(later.message).toMatch(/^[\w-]+: not run: the run stopped before its checks \(ERR_TARGET_UNREACHABLE\); the first failing test of this suite says why$/);
      // The probe and the first checks, sent together, and nothing after the probe's timeout.
      expect(connections.length).toBeLessThanOrEqual(DEFAULT_CONCURRENCY + 1);
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });

  test('a configuration error is one failing test with the reason instead of crashing registration', async () => {
    const broken = recordingApi();
    describeTokenEndpointConformance({ ...config, url: 'http://auth.example.com/token' }, { api: broken.api });
    expect(broken.tests.map((t) => t.name)).toEqual([expect.stringMatching(/^configuration: refusing plain http:\/\/ .*requires TLS/)]);
    const outcomes = await broken.run();
    expect((outcomes.get('configuration:') as Error).message).toMatch(/requires TLS/);
  });
});
