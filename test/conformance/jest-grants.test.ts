/**
 * The Jest entry and the lifecycle checks (authorization_code + PKCE,
 * refresh_token): `grants.*.source` functions in the config, taken out
 * before validation and handed to the run (RunOptions.grantSources); the
 * registration knows statically which lifecycle checks the config can run
 * (clients' grantTypes, a source or command, lifetimeSeconds, widerScope)
 * and registers the others as test.skip with the reason.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, describeTokenEndpointConformance, referenceTargetConfig, type DescribeConformanceConfig } from '../../src/conformance';
import { planOfConfig } from '../../src/conformance/static-plan';
import { authorizeWithReferenceServer } from '../../src/harness';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import type { CodeSource } from '../../src/conformance/grant-sources';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli';
import { expectNoLeak } from '../support/leaks';
import { recordingApi, type Registered } from './support/recording-api';

const LIFECYCLE = CHECKS.filter((c) => c.group === 'authorization-code' || c.group === 'refresh-token').map((c) => c.id);
const CODE_CHECKS = CHECKS.filter((c) => c.group === 'authorization-code').map((c) => c.id);
const REFRESH_CHECKS = CHECKS.filter((c) => c.group === 'refresh-token').map((c) => c.id);

const URL = 'http://127.0.0.1:9/oauth/token';
const CLIENTS = [
  { id: 'cc-client', auth: 'client_secret_basic' as const, secret: 'cc-secret' },
  { id: 'web-app', auth: 'client_secret_basic' as const, secret: 'web-secret', grantTypes: ['authorization_code' as const, 'refresh_token' as const] },
  { id: 'spa', auth: 'none' as const, grantTypes: ['authorization_code' as const, 'refresh_token' as const] },
];

/** A source for registration tests: never called while registering. */
const unusedSource: CodeSource = () => {
  throw new Error('a source is not called while tests are registered');
};

/** Registers `config` with a recording API: each lifecycle check's kind and, when skipped, its title. */
function registered(config: DescribeConformanceConfig): { kinds: Record<string, Registered['kind']>; titles: Record<string, string>; tests: Registered[] } {
  const { api, tests } = recordingApi();
  describeTokenEndpointConformance({ only: ['authorization-code', 'refresh-token'], ...config }, { api });
  const kinds = Object.fromEntries(tests.map((t) => [t.name.split(' ')[0]!, t.kind]));
  const titles = Object.fromEntries(tests.map((t) => [t.name.split(' ')[0]!, t.name]));
  return { kinds, titles, tests };
}

const idsOf = (kinds: Record<string, Registered['kind']>, kind: Registered['kind']) => Object.keys(kinds).filter((id) => kinds[id] === kind).sort();

describe('registration of the lifecycle checks', () => {
  test('the catalogue has them (18, in two groups)', () => {
    expect(LIFECYCLE).toHaveLength(18);
    expect(CODE_CHECKS).toContain('code-ok');
    expect(REFRESH_CHECKS).toContain('rt-ok');
  });

  test('no source of codes or refresh tokens: every lifecycle check is test.skip, with the reason naming what to configure', () => {
    const { kinds, titles } = registered({ url: URL, clients: CLIENTS });
    expect(idsOf(kinds, 'skip')).toEqual([...LIFECYCLE].sort());
    expect(titles['code-ok']).toMatch(/needs a client with "grantTypes": \["authorization_code", …\] and a source of codes \(config "grants\.authorizationCode\.command", or a source function\)/);
    expect(titles['rt-ok']).toMatch(/a source of refresh tokens/);
  });

  test('a source function: the code and refresh checks are plain tests; those needing more (a code lifetime, a wider scope, DPoP) stay skipped with their reason', () => {
    const { kinds, titles } = registered({ url: URL, clients: CLIENTS, grants: { authorizationCode: { source: unusedSource } } });
    expect(idsOf(kinds, 'skip')).toEqual(['code-expired', 'rt-grace', 'rt-public-dpop-bound', 'rt-reuse-revokes-family', 'rt-scope-widen']);
    expect(titles['rt-grace']).toMatch(/grants\.refreshToken\.rotation": "required"/);
    expect(titles['code-expired']).toMatch(/the server's code lifetime \(config "grants\.authorizationCode\.lifetimeSeconds"\)/);
    expect(titles['rt-scope-widen']).toMatch(/grants\.refreshToken\.widerScope/);
    expect(titles['rt-public-dpop-bound']).toMatch(/DPoP support/);
    for (const id of ['code-ok', 'code-reuse', 'code-other-client', 'pkce-missing', 'pkce-plain', 'rt-ok', 'rt-rotates', 'rt-no-client-auth', 'rt-race']) expect(kinds[id]).toBe('test');
  });

  test('lifetimeSeconds, widerScope and dpop enable the rest: every lifecycle check is a plain test', () => {
    const { kinds } = registered({
      url: URL,
      clients: CLIENTS,
      dpop: true,
      grants: { authorizationCode: { source: unusedSource, lifetimeSeconds: 30 }, refreshToken: { widerScope: 'write', rotation: 'required' } },
    });
    expect(idsOf(kinds, 'test')).toEqual([...LIFECYCLE].sort());
  });

  test('a command in the config counts as a source, exactly like a function', () => {
    const withCommand = registered({ url: URL, clients: CLIENTS, grants: { authorizationCode: { command: 'node get-code.js', lifetimeSeconds: 30 } } });
    const withFunction = registered({ url: URL, clients: CLIENTS, grants: { authorizationCode: { source: unusedSource, lifetimeSeconds: 30 } } });
    expect(withCommand.kinds).toEqual(withFunction.kinds);
    expect(withCommand.titles).toEqual(withFunction.titles);
  });

  test('a refresh token source alone: the refresh checks run, the code checks are skipped, and the public client needs codes (its DPoP-bound token)', () => {
    const { kinds } = registered({ url: URL, clients: CLIENTS, dpop: true, grants: { refreshToken: { source: async () => ({ refreshToken: 'unused' }), widerScope: 'write', rotation: 'required' } } });
    expect(idsOf(kinds, 'skip')).toEqual([...CODE_CHECKS, 'rt-public-dpop-bound'].sort());
    expect(kinds['rt-ok']).toBe('test');
    expect(kinds['rt-scope-widen']).toBe('test');
  });

  test('a source, but no client whose grantTypes name the grant: skipped (the source alone cannot run them)', () => {
    const { kinds } = registered({ url: URL, clients: [CLIENTS[0]!], grants: { authorizationCode: { source: unusedSource } } });
    expect(idsOf(kinds, 'skip')).toEqual([...LIFECYCLE].sort());
  });

  test('public client only: no confidential refresh client, no second client', () => {
    const { kinds, titles } = registered({ url: URL, clients: [CLIENTS[2]!], grants: { authorizationCode: { source: unusedSource } } });
    expect(kinds['code-ok']).toBe('test');
    expect(kinds['rt-no-client-auth']).toBe('skip');
    expect(titles['rt-no-client-auth']).toMatch(/a confidential client with "grantTypes": \[…, "refresh_token"\]/);
    expect(kinds['code-other-client']).toBe('skip');
    expect(titles['code-other-client']).toMatch(/a second configured client/);
  });

  test('widerScope as the runner reads it: blank falls back to invalidScope', () => {
    const blank = registered({ url: URL, clients: CLIENTS, invalidScope: 'admin', grants: { authorizationCode: { source: unusedSource }, refreshToken: { widerScope: '  ' } } });
    expect(blank.kinds['rt-scope-widen']).toBe('test');
    const none = registered({ url: URL, clients: CLIENTS, grants: { authorizationCode: { source: unusedSource }, refreshToken: { widerScope: '' } } });
    expect(none.kinds['rt-scope-widen']).toBe('skip');
  });

  test('a lazy url: the lifecycle checks are registered from the static parts all the same', () => {
    const { kinds } = registered({ url: () => URL, clients: CLIENTS, grants: { authorizationCode: { source: unusedSource, lifetimeSeconds: 30 } } });
    expect(kinds['code-expired']).toBe('test');
    expect(kinds['rt-ok']).toBe('test');
  });

  test('planOfConfig (the CLI\'s --list) with a catalogue of its own: a check needing authorization_code is planned only with a command', () => {
    const catalogue = CHECKS.filter((c) => c.id === 'code-ok' || c.id === 'ok-basic');
    const without = planOfConfig({ url: URL, clients: CLIENTS }, { catalogue });
    expect(without.skipped.map((s) => s.check.id)).toEqual(['code-ok']);
    const withCommand = planOfConfig({ url: URL, clients: CLIENTS, grants: { authorizationCode: { command: ['node', 'get-code.js'] } } }, { catalogue });
    expect(withCommand.skipped).toEqual([]);
    const withFunction = planOfConfig({ url: URL, clients: CLIENTS }, { catalogue, sources: { authorizationCode: true } });
    expect(withFunction.skipped).toEqual([]);
  });
});

describe('the CLI\'s --list (planOfConfig too): lifecycle checks planned with a command, skipped with their reason without', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jest-grants-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const listed = async (grants: object | undefined) => {
    const file = join(dir, `config-${grants ? 'with' : 'without'}.json`);
    writeFileSync(file, JSON.stringify({ url: 'https://as.example/oauth/token', scope: 'read', clients: CLIENTS, dpop: true, ...(grants ? { grants } : {}) }));
    const { code, stdout } = await cli(['conformance', '--list', '--reporter', 'json', '--config', file]);
    expect(code).toBe(0);
    const rows = (JSON.parse(stdout) as { checks: Array<{ id: string; skipped?: string }> }).checks;
    return new Map(rows.filter((r) => LIFECYCLE.includes(r.id)).map((r) => [r.id, r.skipped]));
  };

  test('with grants: every lifecycle check planned', async () => {
    const rows = await listed({ authorizationCode: { command: 'node get-code.mjs', lifetimeSeconds: 60 }, refreshToken: { widerScope: 'write', rotation: 'required' } });
    expect(rows.size).toBe(LIFECYCLE.length);
    expect([...rows].filter(([, skipped]) => skipped !== undefined)).toEqual([]);
  });

  test('without: every lifecycle check skipped, with the reason', async () => {
    const rows = await listed(undefined);
    expect(rows.size).toBe(LIFECYCLE.length);
    for (const [id, skipped] of rows) expect([id, skipped]).toEqual([id, expect.stringMatching(/^needs .*a source of (codes|refresh tokens)/)]);
  });
});

describe('a source that cannot work is one failing configuration test', () => {
  test.each<[string, DescribeConformanceConfig, RegExp]>([
    ['a string instead of a function', { url: URL, clients: CLIENTS, grants: { authorizationCode: { source: 'node get-code.js' as never } } }, /^grants\.authorizationCode\.source must be a function giving one fresh authorization code \(got string\)$/],
    ['an object', { url: URL, clients: CLIENTS, grants: { refreshToken: { source: { refreshToken: 'rt-secret-value' } as never } } }, /^grants\.refreshToken\.source must be a function giving one fresh refresh token \(got object\)$/],
    ['null', { url: URL, clients: CLIENTS, grants: { authorizationCode: { source: null as never } } }, /\(got null\)$/],
    ['a source and a command', { url: URL, clients: CLIENTS, grants: { authorizationCode: { source: unusedSource, command: 'node get-code.js' } } }, /^grants\.authorizationCode: give command or source, not both$/],
    ['a misspelt member beside a source (the schema still sees the rest)', { url: URL, clients: CLIENTS, grants: { authorizationCode: { source: unusedSource, lifetime: 30 } as never } }, /grants\.authorizationCode: unknown member "lifetime"/],
    ['a misspelt source (the schema names it)', { url: URL, clients: CLIENTS, grants: { authorizationCode: { sorce: unusedSource } as never } }, /grants\.authorizationCode: unknown member "sorce"/],
  ])('%s', async (_label, config, message) => {
    const { api, tests, run } = recordingApi();
    describeTokenEndpointConformance(config, { api });
    expect(tests).toHaveLength(1);
    expect(tests[0]!.kind).toBe('test');
    expect(tests[0]!.name).toMatch(/^configuration: /);
    const outcome = [...(await run()).values()][0] as Error;
    expect((outcome as { code?: string }).code).toBe('ERR_CONFIG');
    expect(outcome.message).toMatch(message);
    expect(tests[0]!.name).toBe(`configuration: ${outcome.message}`);
    expectNoLeak(outcome.message, 'rt-secret-value');
  });

  test('an explicit source: undefined is no source (the checks are skipped), not an error', () => {
    const { kinds } = registered({ url: URL, clients: CLIENTS, grants: { authorizationCode: { source: undefined, lifetimeSeconds: 30 } } });
    expect(kinds['code-ok']).toBe('skip');
  });
});

describe('a source function reaches the run', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await createReferenceServer({ codeLifetimeSeconds: 1, refreshTokens: { graceSeconds: 1 } });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Codes from the reference server's /authorize, as a team's own test helper would get them. */
  const referenceSource = (asked: Array<{ clientId: string; scope?: string }>): CodeSource => async (request) => {
    asked.push(request);
    const redirectUri = server.clients[request.clientId]?.redirectUris[0];
    return authorizeWithReferenceServer(server, { clientId: request.clientId, ...(redirectUri !== undefined ? { redirectUri } : {}), ...(request.scope !== undefined ? { scope: request.scope } : {}) });
  };

  test('against the reference server: every lifecycle check registered as a test, and passing, with codes from the function', async () => {
    const target = referenceTargetConfig(server);
    const asked: Array<{ clientId: string; scope?: string }> = [];
    const { api, tests, run } = recordingApi();
    describeTokenEndpointConformance(
      { ...target, only: ['authorization-code', 'refresh-token'], grants: { ...target.grants, authorizationCode: { ...target.grants?.authorizationCode, source: referenceSource(asked) } } },
      { api },
    );
    expect(tests.map((t) => t.kind)).toEqual(LIFECYCLE.map(() => 'test'));
    expect(asked).toEqual([]); // not called while registering
    const outcomes = await run();
    const failed = [...outcomes].filter(([, outcome]) => outcome !== 'ok').map(([id, outcome]) => `${id}: ${(outcome as Error).message}`);
    expect(failed).toEqual([]);
    expect(outcomes.size).toBe(LIFECYCLE.length);
    const codeClients = target.clients!.filter((c) => c.grantTypes?.includes('authorization_code')).map((c) => c.id);
    expect(new Set(asked.map((a) => a.clientId))).toEqual(new Set(codeClients));
  }, 60_000);

  test('a function that throws (its message carrying a secret): the run ends with one clear line in the first test, the secret nowhere', async () => {
    const target = referenceTargetConfig(server);
    const leaked = 'Cd-login-said-SplxlOBeZQQYbYS6WxSbIA';
    const { api, run } = recordingApi();
    describeTokenEndpointConformance(
      {
        ...target,
        only: ['code-ok', 'rt-ok'],
        grants: {
          ...target.grants,
          authorizationCode: {
            ...target.grants?.authorizationCode,
            source: () => {
              throw new Error(`the login page rejected ${leaked}`);
            },
          },
        },
      },
      { api },
    );
    const outcomes = await run();
    // A broken source is the configuration's problem: like an unreachable target, the run stops (ERR_GRANT_SOURCE),
    // the first test says why, the other says it did not run.
    const [first, second] = ['code-ok', 'rt-ok'].map((id) => outcomes.get(id) as Error & { code?: string });
    expect(first).toBeInstanceOf(Error);
    expect(first!.code).toBe('ERR_GRANT_SOURCE');
    expect(first!.message).toMatch(/^grants\.authorizationCode\.source failed \(Error\); its message is not shown, it may carry credentials/);
    expect(second!.message).toMatch(/rt-ok: not run: the run stopped before its checks \(ERR_GRANT_SOURCE\)/);
    for (const error of [first!, second!]) expectNoLeak(`${error.message}\n${error.stack ?? ''}`, leaked);
  });

  test('a function with a wrong answer (a valid-looking code, a short verifier): the member named, neither value shown', async () => {
    const target = referenceTargetConfig(server);
    const code = 'Cd-valid-looking-code-0123456789abcdef';
    const verifier = 'short-Verifier-9f8e7d';
    const { api, run } = recordingApi();
    describeTokenEndpointConformance(
      { ...target, only: ['code-ok'], grants: { ...target.grants, authorizationCode: { ...target.grants?.authorizationCode, source: () => ({ code, codeVerifier: verifier }) } } },
      { api },
    );
    const error = (await run()).get('code-ok') as Error;
    expect(error.message).toMatch(/^grants\.authorizationCode\.source gave no usable answer: codeVerifier must be 43 to 128 unreserved characters/);
    for (const s of [code, verifier]) expectNoLeak(error.message, s);
  });
});
