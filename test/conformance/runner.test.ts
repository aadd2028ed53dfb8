/**
 * Runner behaviour: selection, capability skips, expected failures,
 * profiles, unreachable targets, configuration errors, and the two checks
 * the default run cannot exercise (dpop-disabled).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ResolvedTarget } from '../../src/harness/target';
import {
  ConformanceConfigError,
  TargetUnreachableError,
  applyExpectation,
  checkTargetUrl,
  defaultRunClients,
  failsUnder,
  parseConfig,
  parseExpectedFailures,
  resolveConfig,
  runConformance,
  statusOf,
  type ConformanceConfig,
} from '../../src/conformance';
import { startMutatingProxy, withoutHeader, type MutatingProxy } from './support/mutating-proxy';

describe('profiles and expected failures', () => {
  test('MUST fails both profiles; CONTRACT fails only attesto; SHOULD and MAY never fail', () => {
    expect([failsUnder('attesto', 'MUST'), failsUnder('rfc', 'MUST')]).toEqual([true, true]);
    expect([failsUnder('attesto', 'CONTRACT'), failsUnder('rfc', 'CONTRACT')]).toEqual([true, false]);
    for (const level of ['SHOULD', 'MAY'] as const) expect([failsUnder('attesto', level), failsUnder('rfc', level)]).toEqual([false, false]);
    expect(statusOf('rfc', [{ level: 'CONTRACT', message: 'x' }])).toBe('warned');
    expect(statusOf('attesto', [{ level: 'CONTRACT', message: 'x' }])).toBe('failed');
    expect(statusOf('attesto', [])).toBe('passed');
  });

  test('listed ids: failing → expected-failure, passing → unexpected-pass, skipped stays skipped', () => {
    expect(applyExpectation('failed', true)).toBe('expected-failure');
    expect(applyExpectation('warned', true)).toBe('expected-failure');
    expect(applyExpectation('passed', true)).toBe('unexpected-pass');
    expect(applyExpectation('skipped', true)).toBe('skipped');
    expect(applyExpectation('failed', false)).toBe('failed');
  });

  test('expected-failures files: one id per line with # reasons, JSON arrays and objects', () => {
    expect([...parseExpectedFailures('# known gaps\nok-json-body  # JSON bodies refused\n\n- dpop-jkt\n')]).toEqual([
      ['ok-json-body', 'JSON bodies refused'],
      ['dpop-jkt', ''],
    ]);
    expect([...parseExpectedFailures('["a", {"id": "b", "reason": "r"}]')]).toEqual([
      ['a', ''],
      ['b', 'r'],
    ]);
    expect([...parseExpectedFailures('{"a": "why"}')]).toEqual([['a', 'why']]);
    expect(() => parseExpectedFailures('[oops')).toThrow(ConformanceConfigError);
    expect(() => parseExpectedFailures('not an id!')).toThrow(/cannot read line/);
  });
});

describe('configuration', () => {
  test('plain http is refused unless the host is loopback or --allow-insecure-http (RFC 6749 §3.2)', () => {
    expect(() => checkTargetUrl('http://auth.example.com/oauth/token', false)).toThrow(/requires TLS \(RFC 6749 §3\.2\)/);
    expect(checkTargetUrl('http://auth.example.com/oauth/token', true)).toBe('http://auth.example.com/oauth/token');
    // A bare origin names the server: its token endpoint is the contract's /oauth/token, as the harness reads it.
    expect(checkTargetUrl('https://auth.example.com', false)).toBe('https://auth.example.com/oauth/token');
    expect(new ResolvedTarget('https://auth.example.com', undefined).path).toBe('/oauth/token');
    expect(checkTargetUrl('https://auth.example.com/token', false)).toBe('https://auth.example.com/token');
    expect(checkTargetUrl('https://auth.example.com/tenant/', false)).toBe('https://auth.example.com/tenant/');
    for (const url of ['http://127.0.0.1:4000/t', 'http://localhost/t', 'http://[::1]:8080/t', 'https://auth.example.com/t']) expect(() => checkTargetUrl(url, false)).not.toThrow();
    expect(() => checkTargetUrl('ftp://x/y', false)).toThrow(/https/);
    expect(() => checkTargetUrl('not a url', false)).toThrow(/absolute/);
    expect(() => checkTargetUrl('https://u:p@x.example/t', false)).toThrow(/credentials/);
  });

  test('unknown members, wrong types and bad values are configuration errors naming the place', () => {
    expect(() => parseConfig({ ulr: 'x' })).toThrow(/unknown member "ulr"/);
    expect(() => parseConfig({ clients: [{ id: 'a', auth: 'magic' }] })).toThrow(/clients\[0\]\.auth must be one of/);
    expect(() => parseConfig({ clients: [{ id: 'a', auth: 'client_secret_basic', secert: 'x' }] })).toThrow(/clients\[0\]: unknown member "secert"/);
    expect(() => parseConfig({ dpop: { enabled: 'yes' } })).toThrow(/dpop.enabled must be true or false/);
    expect(() => parseConfig({ concurrency: 0 })).toThrow(/concurrency/);
    expect(() => parseConfig([])).toThrow(/must be an object/);
    expect(() => parseConfig({ profile: 'strict' })).toThrow(/profile must be one of attesto, rfc/);
  });

  test('secrets come from the environment; missing ones are named, never echoed', async () => {
    const base: ConformanceConfig = { url: 'https://auth.example.com/token', clients: [{ id: 'c', auth: 'client_secret_basic', secretEnv: 'MY_SECRET' }] };
    const resolved = await resolveConfig(base, { env: { MY_SECRET: 's3cret-value' } });
    expect(resolved.clients[0]!.secret).toBe('s3cret-value');
    await expect(resolveConfig(base, { env: {} })).rejects.toThrow(/MY_SECRET is not set/);
    await expect(resolveConfig({ url: base.url, clients: [{ id: 'c', auth: 'client_secret_post' }] })).rejects.toThrow(/needs a secret/);
    await expect(resolveConfig({ url: base.url, clients: [{ id: 'j', auth: 'private_key_jwt', privateKey: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } }] })).rejects.toThrow(/public JWK/);
    await expect(resolveConfig({ url: base.url, clients: [{ id: 'j', auth: 'private_key_jwt', privateKey: 'missing.json' }] })).rejects.toThrow(/cannot read private key "missing.json": ENOENT/);
  });

  test('only, skip and expectedFailures must name known checks or groups', async () => {
    await expect(runConformance({ only: ['ok-basci'] })).rejects.toThrow(/only: unknown check id "ok-basci"/);
    await expect(runConformance({ expectedFailures: ['nope'] })).rejects.toThrow(/expectedFailures: unknown check id "nope"/);
  });

  test('clients without a url are refused rather than silently replaced by the reference server', async () => {
    await expect(runConformance({ clients: [{ id: 'a', auth: 'client_secret_basic', secret: 'x' }] })).rejects.toThrow(ConformanceConfigError);
    // And the reference server's options are refused next to a url, where they would be silently ignored.
    await expect(runConformance({ url: 'https://as.example.com/token', referenceServer: { requireNonce: false } })).rejects.toThrow(/referenceServer applies only to the default run/);
    await expect(runConformance({ referenceServer: { requireNonce: false }, dpop: { nonce: true } })).rejects.toThrow(/contradicts referenceServer.requireNonce: false/);
  });
});

describe('runs', () => {
  let proxy: MutatingProxy;
  let config: ConformanceConfig;
  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
    config = proxy.config;
  });
  afterAll(async () => {
    await proxy?.close();
  });

  test('--only and --skip select by id or group; missing capabilities skip with the reason', async () => {
    const report = await runConformance({ ...config, only: ['transport', 'scope-invalid'], skip: ['dup-param'], invalidScope: undefined });
    const ids = report.checks.map((c) => c.id);
    expect(ids).toContain('ct-missing');
    expect(ids).not.toContain('dup-param');
    expect(ids).not.toContain('ok-basic');
    const scope = report.checks.find((c) => c.id === 'scope-invalid')!;
    expect(scope).toMatchObject({ status: 'skipped', message: expect.stringContaining('--invalid-scope') });
    const tls = report.checks.find((c) => c.id === 'tls')!;
    expect(tls).toMatchObject({ status: 'skipped', message: expect.stringContaining('https://') });
  });

  test('a listed check that fails is an expected failure; one that passes is unexpectedly passing', async () => {
    proxy.mutation = { response: (res) => withoutHeader(res, 'Pragma') };
    try {
      const report = await runConformance({ ...config, only: ['resp-no-store', 'ok-basic'], expectedFailures: { 'resp-no-store': 'Pragma not sent yet', 'ok-basic': 'was broken' } });
      expect(report.checks.map((c) => [c.id, c.status])).toEqual([
        ['ok-basic', 'unexpected-pass'],
        ['resp-no-store', 'expected-failure'],
      ]);
      expect(report.checks[1]!.message).toContain('Pragma not sent yet');
      expect(report.summary).toMatchObject({ failed: 0, expectedFailures: 1, unexpectedPasses: 1 });
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('dpop-disabled: ignoring the proof (Bearer) or binding anyway (DPoP with cnf.jkt) is consistent; a token that contradicts itself fails', async () => {
    const disabled: ConformanceConfig = { ...config, dpop: { disabled: true }, only: ['dpop-disabled'] };
    const run = async (mutation: typeof proxy.mutation) => {
      proxy.mutation = mutation;
      try {
        return (await runConformance(disabled)).checks[0]!;
      } finally {
        proxy.mutation = undefined;
      }
    };
    // Ignores the proof: a Bearer token.
    expect((await run({ request: (req) => withoutHeader(req, 'DPoP') })).status).toBe('passed');
    // Binds the token although "DPoP is off": token_type DPoP and cnf.jkt of the proof key, consistent (RFC 9449 §5, §6.1).
    expect(await run(undefined)).toMatchObject({ status: 'passed', message: expect.stringContaining('DPoP-bound to the proof key') });
    const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const reshape = (change: (body: Record<string, unknown>) => Record<string, unknown>) => ({
      response: (res: { status: number; headers: Array<[string, string]>; body: string }) => {
        const body = JSON.parse(res.body || '{}') as Record<string, unknown>;
        return body.token_type === 'DPoP' ? { ...res, body: JSON.stringify(change(body)) } : undefined;
      },
    });
    // Bearer with cnf.jkt: a binding its type denies.
    const bearerBound = await run(reshape((body) => ({ ...body, token_type: 'Bearer' })));
    expect(bearerBound.status).toBe('failed');
    expect(bearerBound.findings[0]).toMatchObject({ level: 'MUST', message: expect.stringContaining('Bearer token carries cnf.jkt') });
    // DPoP without a binding: a JWT access token without cnf.
    const unbound = await run(reshape((body) => ({ ...body, cnf: undefined, access_token: `${encode({ alg: 'ES256', typ: 'at+jwt' })}.${encode({ sub: 'x' })}.c2ln` })));
    expect(unbound.status).toBe('failed');
    expect(unbound.findings[0]).toMatchObject({ level: 'MUST', message: expect.stringContaining('no cnf.jkt binding') });
  });

  test('dpop-jkt with an opaque access token: the JWT half is skipped with the reason, the body half still checked', async () => {
    const opaque = { response: (res: { status: number; headers: Array<[string, string]>; body: string }) => {
      const body = JSON.parse(res.body || '{}') as Record<string, unknown>;
      return body.token_type === 'DPoP' ? { ...res, body: JSON.stringify({ ...body, access_token: 'opaque-access-token-value' }) } : undefined;
    } };
    proxy.mutation = opaque;
    try {
      const passed = (await runConformance({ ...config, only: ['dpop-jkt'] })).checks[0]!;
      expect(passed).toMatchObject({ status: 'passed', message: expect.stringContaining('opaque') });
      proxy.mutation = { response: (res) => {
        const out = opaque.response(res);
        return out ? { ...out, body: JSON.stringify({ ...JSON.parse(out.body), cnf: { jkt: 'wrong' } }) } : undefined;
      } };
      const failed = (await runConformance({ ...config, only: ['dpop-jkt'] })).checks[0]!;
      expect(failed.status).toBe('failed');
      expect(failed.findings.map((f) => f.level)).toEqual(['CONTRACT']);
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('an unreachable target is one clear error, not a page of failures', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await runConformance({ ...config, url: `http://127.0.0.1:${port}/oauth/token` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetUnreachableError);
    expect((error as Error).message).toBe(`cannot reach http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  test('a target that never answers is unreachable: the probe times out', async () => {
    const hung = http.createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const port = (hung.address() as AddressInfo).port;
      const error = await runConformance({ ...config, url: `http://127.0.0.1:${port}/oauth/token`, timeoutMs: 200 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TargetUnreachableError);
      expect((error as Error).message).toBe(`cannot reach http://127.0.0.1:${port}: timeout after 200 ms`);
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });

  test('a target that stops answering fails the checks with the cause instead of hanging', async () => {
    // Answers the credential-less probe, then never answers again.
    const hung = http.createServer((req, res) => {
      if (req.headers.authorization === undefined) res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"invalid_client"}');
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/oauth/token`;
      const report = await runConformance({ ...config, url, only: ['ok-basic'], timeoutMs: 200 });
      expect(report.checks[0]).toMatchObject({ status: 'failed', message: expect.stringContaining('timeout after 200 ms') });
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });
});
