/**
 * Reaching the target through an HTTP proxy: every request in a CONNECT
 * tunnel (RFC 9110 §9.3.6), http and https targets alike, with the
 * connection pool and the resend of a request a reused connection lost
 * still working through it. The proxy comes from config `proxy` / --proxy
 * or from HTTPS_PROXY / HTTP_PROXY with NO_PROXY in RunOptions.env. A
 * proxy that refuses, asks for credentials or never answers is one line
 * naming the proxy; its credentials appear in no report, raw or encoded.
 *
 * The proxy is a small one on loopback (support/connect-proxy.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createTestCertificate } from '../support/certificates';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, ConsoleReporter, DEFAULT_CONCURRENCY, defaultRunClients, formatReport, REPORTER_NAMES, referenceTargetConfig, runConformance, type Check, type ConformanceConfig, type ConformanceReport } from '../../src/conformance';
import { resolveConfig } from '../../src/conformance/config';
import { HttpClient } from '../../src/conformance/http';
import { noProxyExcludes } from '../../src/conformance/proxy';
import { ConfigError, ProxyTunnelError, TargetUnreachableError } from '../../src/errors';
import { formUrlEncode } from '../../src/oauth/client-auth';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { cli } from '../support/cli';
import { closedPort, startConnectProxy, type ConnectProxy } from './support/connect-proxy';
import { errorResponse, startMutatingProxy, withHeader } from './support/mutating-proxy';
import { startClosingServer, type ClosingServer } from './support/closing-server';

/** A few checks of each kind that a reference server passes: success, refusals, the three auth methods, DPoP. */
const ONLY = ['ok-basic', 'ok-post', 'ok-pkjwt', 'ct-missing', 'dup-param', 'basic-bad-secret', 'dpop-ok'];

function statuses(report: ConformanceReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}

/** A check that always fails on the exchange it sent: its finding carries the redacted exchange and the curl line. */
const alwaysFails: Check = {
  id: 'x-always-fails',
  title: 'always fails',
  level: 'MUST',
  reference: 'RFC 6749 §4.4.2',
  group: 'success',
  requires: [],
  run: async (ctx) => {
    const exchange = await ctx.send(ctx.draft());
    ctx.finding('MUST', 'fails on purpose', { exchangeOf: exchange });
  },
} as Check;

/** Records the peer port of every connection a server accepts: the proof of where its requests came from. */
function peersOf(server: net.Server): number[] {
  const peers: number[] = [];
  server.on('connection', (socket: net.Socket) => peers.push(socket.remotePort!));
  return peers;
}

async function failure(run: Promise<unknown>): Promise<Error> {
  const outcome = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(Error);
  return outcome as Error;
}

describe('a run through a CONNECT proxy against the reference server', () => {
  let server: ReferenceServer;
  let proxy: ConnectProxy;
  let peers: number[];
  let target: ConformanceConfig;
  let authority: string;

  beforeAll(async () => {
    server = await createReferenceServer({ clients: await defaultRunClients() });
    peers = peersOf(server.server);
    proxy = await startConnectProxy();
    target = { ...referenceTargetConfig(server), only: ONLY };
    authority = new URL(server.url).host;
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
  });

  test('the run passes and every request went through a tunnel the proxy opened', async () => {
    const direct = await runConformance(target, { env: {} });
    expect(direct.summary.failed).toBe(0);
    expect(proxy.tunnels).toEqual([]);
    peers.length = 0;

    const report = await runConformance({ ...target, proxy: proxy.url }, { env: {} });
    expect(statuses(report)).toEqual(statuses(direct));
    expect(report.summary.passed).toBe(ONLY.length);
    expect(report.proxy).toBe(proxy.url);
    expect(proxy.opened()).toBeGreaterThan(0);
    expect(new Set(proxy.tunnels.map((t) => t.target))).toEqual(new Set([authority]));
    // Every connection the server accepted came from the proxy's side of a tunnel.
    expect(peers.length).toBe(proxy.opened());
    expect(peers.filter((port) => !proxy.upstreamPorts.has(port))).toEqual([]);
  }, 60_000);

  test('connections are pooled through the proxy: sequential requests share one tunnel (req.reusedSocket)', async () => {
    const client = new HttpClient({ timeoutMs: 5000, maxSockets: 1, proxy: { url: proxy.url } });
    const before = proxy.opened();
    try {
      for (let i = 0; i < 5; i += 1) {
        const res = await client.send({ method: 'POST', url: server.tokenEndpoint, headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: 'grant_type=client_credentials' });
        expect(res.status).toBe(400);
      }
      expect(proxy.opened() - before).toBe(1);
    } finally {
      client.close();
    }
  });

  test('the environment: HTTP_PROXY (or http_proxy) for an http target, NO_PROXY excludes it, HTTPS_PROXY does not apply', async () => {
    const tunnels = () => proxy.tunnels.length;
    let before = tunnels();
    const viaEnv = await runConformance(target, { env: { HTTP_PROXY: proxy.url } });
    expect(viaEnv.summary.passed).toBe(ONLY.length);
    expect(viaEnv.proxy).toBe(proxy.url);
    expect(tunnels()).toBeGreaterThan(before);

    before = tunnels();
    const lower = await runConformance({ ...target, only: ['ok-basic'] }, { env: { http_proxy: proxy.url } });
    expect([lower.summary.passed, tunnels() > before]).toEqual([1, true]);

    before = tunnels();
    for (const env of [
      { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' },
      { HTTP_PROXY: proxy.url, no_proxy: `example.com, ${authority}` },
      { HTTP_PROXY: proxy.url, NO_PROXY: '*' },
      { HTTPS_PROXY: proxy.url },
    ]) {
      const direct = await runConformance({ ...target, only: ['ok-basic'] }, { env });
      expect([direct.summary.passed, direct.proxy]).toEqual([1, undefined]);
    }
    // `proxy: false` ignores the environment.
    const off = await runConformance({ ...target, only: ['ok-basic'], proxy: false }, { env: { HTTP_PROXY: proxy.url } });
    expect([off.summary.passed, off.proxy]).toEqual([1, undefined]);
    expect(tunnels()).toBe(before);

    // A configured proxy applies whatever NO_PROXY says.
    const configured = await runConformance({ ...target, only: ['ok-basic'], proxy: proxy.url }, { env: { NO_PROXY: '*' } });
    expect([configured.summary.passed, tunnels() > before]).toEqual([1, true]);
  }, 60_000);

  test('the default run (no url) ignores the environment: its reference server is on loopback', async () => {
    const before = proxy.tunnels.length;
    const report = await runConformance({ only: ['ok-basic'] }, { env: { HTTP_PROXY: `http://127.0.0.1:${await closedPort()}` } });
    expect([report.summary.passed, report.proxy, proxy.tunnels.length]).toEqual([1, undefined, before]);
  }, 60_000);

  test('the curl line of a failing check goes through the proxy too', async () => {
    const report = await runConformance({ ...target, only: [alwaysFails.id], proxy: proxy.url }, { env: {}, checks: [alwaysFails] });
    const curl = report.checks[0]!.findings[0]!.exchange!.curl;
    expect(curl).toMatch(new RegExp(`^curl -i --proxy '${proxy.url.replace(/\./g, '\\.')}' --proxytunnel -X POST '${server.tokenEndpoint.replace(/\./g, '\\.')}'`));
    expect(curl).not.toContain('--proxy-user');
  }, 60_000);
});

describe('a proxy that requires credentials (407 without them)', () => {
  const USER = 'proxy-user';
  // Characters that percent-encoding, form-encoding and base64 each change.
  const PASSWORD = 'pr0xy p@ss:wörd/+=';
  let server: ReferenceServer;
  let proxy: ConnectProxy;
  let withCredentials: string;
  let target: ConformanceConfig;
  let dir: string;

  const forms = () => {
    const pair = `${USER}:${PASSWORD}`;
    const basic = Buffer.from(pair).toString('base64');
    return [PASSWORD, encodeURIComponent(PASSWORD), formUrlEncode(PASSWORD), new URL(withCredentials).password, pair, basic, `Basic ${basic}`, Buffer.from(PASSWORD).toString('base64')];
  };
  const expectNoSecret = (text: string) => {
    for (const form of forms()) expect(text).not.toContain(form);
  };

  beforeAll(async () => {
    server = await createReferenceServer({ clients: await defaultRunClients() });
    proxy = await startConnectProxy({ credentials: { user: USER, password: PASSWORD } });
    const url = new URL(proxy.url);
    url.username = USER;
    url.password = encodeURIComponent(PASSWORD);
    withCredentials = url.href.replace(/\/$/, '');
    target = { ...referenceTargetConfig(server), only: ONLY };
    dir = mkdtempSync(join(tmpdir(), 'conformance-proxy-'));
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('without credentials: one error naming the proxy and its 407, with the way to give them', async () => {
    const error = await failure(runConformance({ ...target, proxy: proxy.url }, { env: {} }));
    expect(error).toBeInstanceOf(ProxyTunnelError);
    expect(error).toBeInstanceOf(TargetUnreachableError);
    expect((error as ProxyTunnelError).code).toBe('ERR_PROXY_TUNNEL');
    expect((error as ProxyTunnelError).status).toBe(407);
    expect(error.message).toBe(
      `proxy ${proxy.url} refused the tunnel to ${new URL(server.url).host}: 407 Proxy Authentication Required (give its credentials in the proxy URL: http://user:password@host:port)`,
    );
  });

  test('with wrong ones: the 407 says they were not accepted, and shows neither', async () => {
    const wrong = new URL(withCredentials);
    wrong.password = 'not-the-password';
    const error = await failure(runConformance({ ...target, proxy: wrong.href }, { env: {} }));
    expect(error.message).toMatch(/^proxy http:\/\/127\.0\.0\.1:\d+ refused the tunnel to 127\.0\.0\.1:\d+: 407 Proxy Authentication Required \(it did not accept the credentials of the proxy URL\)$/);
    expect(error.message).not.toContain('not-the-password');
    expect(error.message).not.toContain(USER);
  });

  test('with them the run passes; every tunnel carried them; no reporter shows them, raw or encoded', async () => {
    const before = proxy.tunnels.length;
    let live = '';
    const reporter = new ConsoleReporter({ write: (s: string) => (live += s) });
    const report = await runConformance(
      { ...target, only: [...ONLY, alwaysFails.id], proxy: withCredentials },
      { env: {}, checks: [...CHECKS, alwaysFails], onStart: (info) => reporter.onStart(info), onResult: (r, d, t) => reporter.onResult(r, d, t) },
    );
    reporter.finish(report);
    expect(report.summary.passed).toBe(ONLY.length);
    expect(statuses(report)[alwaysFails.id]).toBe('failed');
    // The previous test's run ended at its probe's 407, with its first checks' CONNECTs cut short: one may reach the proxy late.
    const previousRun = `Basic ${Buffer.from(`${USER}:not-the-password`).toString('base64')}`;
    const tunnels = proxy.tunnels.slice(before).filter((t) => t.authorization !== previousRun);
    expect(tunnels.length).toBeGreaterThan(0);
    expect(new Set(tunnels.map((t) => t.authorization))).toEqual(new Set([`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`]));
    expect(report.proxy).toBe(proxy.url);
    expect(live).toContain(`(through the proxy ${proxy.url})`);
    for (const output of [live, ...REPORTER_NAMES.map((name) => formatReport(report, name))]) expectNoSecret(output);
    const curl = report.checks.find((c) => c.id === alwaysFails.id)!.findings[0]!.exchange!.curl;
    expect(curl).toContain(`curl -i --proxy '${proxy.url}' --proxytunnel --proxy-user '<PROXY_USER>:<PROXY_PASSWORD>' -X POST`);
  }, 60_000);

  test('a target that echoes them (a gateway quoting what it got) has them scrubbed from every report', async () => {
    const gateway = await startMutatingProxy({ clients: await defaultRunClients() });
    const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    gateway.mutation = { request: () => withHeader(errorResponse(403, 'access_denied', `proxy said ${PASSWORD} / ${encodeURIComponent(PASSWORD)} / Basic ${basic}`), 'X-Echo', `${basic} ${PASSWORD}`) };
    try {
      const report = await runConformance({ ...gateway.config, only: ['ok-basic', 'ok-post', 'ct-missing'], proxy: withCredentials }, { env: {} });
      expect(report.summary.failed).toBeGreaterThan(0);
      const shown = report.checks.flatMap((c) => c.findings).filter((f) => f.exchange?.response !== undefined);
      expect(shown.length).toBeGreaterThan(0);
      expect(JSON.stringify(shown)).toContain('proxy said [redacted');
      for (const output of REPORTER_NAMES.map((name) => formatReport(report, name))) expectNoSecret(output);
    } finally {
      await gateway.close();
    }
  }, 60_000);

  test('the CLI: --proxy with credentials, a failing check shown in full, and neither the password nor its base64 anywhere', async () => {
    const config = referenceTargetConfig(server);
    // A wrong client secret: ok-basic fails and the console prints its exchange and curl line.
    const clients = config.clients!.map((c) => (c.auth === 'client_secret_basic' && !c.requireDpop ? { ...c, secret: 'wrong-secret' } : c));
    const file = join(dir, 'conformance.json');
    writeFileSync(file, JSON.stringify({ ...config, clients, only: ['ok-basic', 'ok-post'] }));
    const run = await cli(['conformance', '--config', file, '--proxy', withCredentials, '--reporter', 'console', '--reporter', 'json', '--output', join(dir, 'report.json')]);
    expect(run.code).toBe(1);
    const json = readFileSync(join(dir, 'report.json'), 'utf8');
    const report = JSON.parse(json) as ConformanceReport;
    expect(statuses(report)).toEqual({ 'ok-basic': 'failed', 'ok-post': 'passed' });
    expect(report.proxy).toBe(proxy.url);
    expect(run.stdout).toContain(`--proxy '${proxy.url}' --proxytunnel --proxy-user '<PROXY_USER>:<PROXY_PASSWORD>'`);
    for (const output of [run.stdout, run.stderr, json]) expectNoSecret(output);
  }, 60_000);
});

describe('a proxy that will not tunnel: one line naming the proxy, no hang', () => {
  let server: ReferenceServer;
  let target: ConformanceConfig;
  let host: string;
  beforeAll(async () => {
    server = await createReferenceServer({ clients: await defaultRunClients() });
    target = { ...referenceTargetConfig(server), only: ONLY };
    host = new URL(server.url).host;
  });
  afterAll(async () => {
    await server?.close();
  });

  test('nothing listens on the proxy port', async () => {
    const proxyUrl = `http://127.0.0.1:${await closedPort()}`;
    const error = await failure(runConformance({ ...target, proxy: proxyUrl }, { env: {} }));
    expect(error).toBeInstanceOf(ProxyTunnelError);
    expect(error.message).toBe(`proxy ${proxyUrl} cannot be reached for the tunnel to ${host}: connection refused (ECONNREFUSED)`);
  });

  test.each([
    [403, 'Forbidden'],
    [502, 'Bad Gateway'],
  ])('it answers CONNECT with %i', async (status, text) => {
    const proxy = await startConnectProxy({ answer: status });
    try {
      const error = await failure(runConformance({ ...target, proxy: proxy.url }, { env: {} }));
      expect(error.message).toBe(`proxy ${proxy.url} refused the tunnel to ${host}: ${status} ${text}`);
      expect((error as ProxyTunnelError).status).toBe(status);
      // The probe goes out with the first checks (at most `concurrency` requests in all); no further check was started.
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
      expect(proxy.tunnels.length).toBeLessThanOrEqual(DEFAULT_CONCURRENCY + 1);
    } finally {
      await proxy.close();
    }
  });

  test('it closes the connection instead of answering CONNECT', async () => {
    const proxy = await startConnectProxy({ answer: 'hangup' });
    try {
      const error = await failure(runConformance({ ...target, proxy: proxy.url }, { env: {} }));
      expect(error.message).toBe(`proxy ${proxy.url} closed the connection before answering the CONNECT to ${host}`);
    } finally {
      await proxy.close();
    }
  });

  test('it never answers CONNECT: the request timeout ends it, and the connection to the proxy is closed', async () => {
    const proxy = await startConnectProxy({ answer: 'silent' });
    try {
      const started = Date.now();
      const error = await failure(runConformance({ ...target, proxy: proxy.url, timeoutMs: 300 }, { env: {} }));
      expect(error.message).toBe(`proxy ${proxy.url} did not answer the CONNECT to ${host} within 300 ms`);
      expect(Date.now() - started).toBeLessThan(5000);
      await proxy.idle();
    } finally {
      await proxy.close();
    }
  });

  test('the CLI: a refused tunnel is one line on stderr and exit 2', async () => {
    const proxy = await startConnectProxy({ answer: 502 });
    try {
      const client = referenceTargetConfig(server).clients!.find((c) => c.auth === 'client_secret_basic' && !c.requireDpop)!;
      const run = await cli(['conformance', '--url', server.tokenEndpoint, '--client-id', client.id, '--client-secret', client.secret!, '--proxy', proxy.url]);
      expect([run.code, run.stdout]).toEqual([2, '']);
      expect(run.stderr).toBe(`token-contract conformance: proxy ${proxy.url} refused the tunnel to ${host}: 502 Bad Gateway\n`);
    } finally {
      await proxy.close();
    }
  });
});


describe('a target that closes reused connections, through the proxy', () => {
  let server: ClosingServer;
  let proxy: ConnectProxy;
  beforeAll(async () => {
    server = await startClosingServer();
    proxy = await startConnectProxy();
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
  });

  const burst = async (client: HttpClient, count: number) => {
    let next = 0;
    let ok = 0;
    const errors: string[] = [];
    const worker = async () => {
      while (next < count) {
        next += 1;
        try {
          const res = await client.send({ method: 'POST', url: server.url, headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: 'grant_type=client_credentials' });
          if (res.status === 400) ok += 1;
        } catch (error) {
          errors.push(error instanceof TargetUnreachableError ? error.reason : String(error));
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return { ok, errors };
  };

  test('tunnels are reused, so without the resend requests are lost; with it every request is answered once', async () => {
    const bare = new HttpClient({ timeoutMs: 5000, maxSockets: 4, retryReusedSocket: false, proxy: { url: proxy.url } });
    try {
      const { ok, errors } = await burst(bare, 100);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => /ECONNRESET|EPIPE/.test(e))).toBe(true);
      expect(ok + errors.length).toBe(100);
    } finally {
      bare.close();
    }
    const client = new HttpClient({ timeoutMs: 5000, maxSockets: 4, proxy: { url: proxy.url } });
    const before = server.requests();
    try {
      const { ok, errors } = await burst(client, 100);
      expect(errors).toEqual([]);
      expect(ok).toBe(100);
      expect(server.requests() - before).toBe(100);
    } finally {
      client.close();
    }
  }, 30_000);
});

describe('an https target only the proxy can resolve, and an https proxy', () => {
  let dir: string;
  let caFile: string;
  let server: ReferenceServer;
  let front: tls.Server;
  let proxy: ConnectProxy;
  let target: ConformanceConfig;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conformance-proxy-tls-'));
    caFile = join(dir, 'cert.pem');
    // Made with @peculiar/x509 (test/support/certificates.ts), for the name only the proxy resolves.
    const { cert, key } = await createTestCertificate('staging.example', { dns: ['staging.example', 'localhost'], ip: [] });
    writeFileSync(caFile, cert);
    writeFileSync(join(dir, 'key.pem'), key);
    // The reference server behind a TLS front, under the name staging.example (its issuer, so DPoP htu and assertion aud verify).
    server = await createReferenceServer({ clients: await defaultRunClients(), issuer: 'https://staging.example' });
    const port = Number(new URL(server.url).port);
    front = tls.createServer({ key, cert }, (socket) => {
      const upstream = net.connect(port, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    proxy = await startConnectProxy({ hosts: { 'staging.example:443': (front.address() as net.AddressInfo).port } });
    const config = referenceTargetConfig(server);
    target = { ...config, url: 'https://staging.example/oauth/token', caFile, only: ONLY };
  });
  afterAll(async () => {
    await proxy?.close();
    await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('TLS runs inside the tunnel, trusting caFile: the run passes (HTTPS_PROXY in the environment)', async () => {
    const report = await runConformance(target, { env: { HTTPS_PROXY: proxy.url, HTTP_PROXY: 'http://127.0.0.1:9' } });
    expect(report.summary.passed).toBe(ONLY.length);
    expect(new Set(proxy.tunnels.map((t) => t.target))).toEqual(new Set(['staging.example:443']));
  }, 60_000);

  test('without caFile the target certificate is the problem, named as the target', async () => {
    const error = await failure(runConformance({ ...target, caFile: undefined, proxy: proxy.url }, { env: {} }));
    expect(error).not.toBeInstanceOf(ProxyTunnelError);
    expect(error.message).toMatch(/^cannot reach https:\/\/staging\.example: \S*SELF_SIGNED\S* \(the TLS certificate is not trusted; give its CA with --ca-file, config "caFile"\)$/);
  });

  test('an https:// proxy (TLS to the proxy, TLS to the target inside)', async () => {
    const key = readFileSync(join(dir, 'key.pem'));
    const cert = readFileSync(caFile);
    const secureProxy = await startConnectProxy({ tls: { key, cert }, hosts: { 'staging.example:443': (front.address() as net.AddressInfo).port } });
    try {
      const report = await runConformance({ ...target, only: ['ok-basic', 'ct-missing'], proxy: secureProxy.url }, { env: {} });
      expect(report.summary.passed).toBe(2);
      expect(secureProxy.opened()).toBeGreaterThan(0);
    } finally {
      await secureProxy.close();
    }
  }, 60_000);
});

describe('configuring the proxy', () => {
  const base = { url: 'https://auth.example.com/token', clients: [{ id: 'a', auth: 'client_secret_basic', secret: 'sssss' }] } satisfies ConformanceConfig;
  const route = async (config: Partial<ConformanceConfig>, env: NodeJS.ProcessEnv = {}) => (await resolveConfig({ ...base, ...config }, { env })).proxy;
  const problem = async (config: Partial<ConformanceConfig>, env: NodeJS.ProcessEnv = {}) => {
    const error = await failure(resolveConfig({ ...base, ...config } as ConformanceConfig, { env }));
    expect(error).toBeInstanceOf(ConfigError);
    return error.message;
  };

  test('config proxy: the URL without credentials, which become the Basic Proxy-Authorization (percent-decoded)', async () => {
    expect(await route({ proxy: 'http://proxy.example:3128' })).toEqual({ url: 'http://proxy.example:3128', source: 'config' });
    expect(await route({ proxy: 'https://proxy.example' })).toEqual({ url: 'https://proxy.example', source: 'config' });
    const withCredentials = await route({ proxy: 'http://me:p%40ss@proxy.example:3128/' });
    expect(withCredentials).toEqual({
      url: 'http://proxy.example:3128',
      source: 'config',
      credentials: { authorization: `Basic ${Buffer.from('me:p@ss').toString('base64')}`, password: 'p@ss', rawPassword: 'p%40ss' },
    });
  });

  test('the environment: by the target scheme, lower case first, NO_PROXY honoured; a config proxy ignores NO_PROXY; false ignores all', async () => {
    expect(await route({}, { HTTPS_PROXY: 'http://upper:1' })).toEqual({ url: 'http://upper:1', source: 'HTTPS_PROXY' });
    expect(await route({}, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' })).toMatchObject({ url: 'http://lower:1', source: 'https_proxy' });
    expect(await route({}, { HTTP_PROXY: 'http://plain:1' })).toBeUndefined();
    expect(await route({ url: 'http://127.0.0.1:8080/token' }, { HTTP_PROXY: 'http://plain:1', HTTPS_PROXY: 'http://secure:1' })).toMatchObject({ url: 'http://plain:1' });
    // Without a scheme an environment value is an http:// proxy, as curl reads it.
    expect(await route({}, { HTTPS_PROXY: 'proxy.example:3128' })).toMatchObject({ url: 'http://proxy.example:3128' });
    expect(await route({}, { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.com' })).toBeUndefined();
    expect(await route({}, { HTTPS_PROXY: 'http://p:1', no_proxy: 'other.example' })).toMatchObject({ url: 'http://p:1' });
    expect(await route({ proxy: 'http://explicit:1' }, { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' })).toMatchObject({ url: 'http://explicit:1', source: 'config' });
    expect(await route({ proxy: false }, { HTTPS_PROXY: 'http://p:1' })).toBeUndefined();
  });

  test('NO_PROXY as curl reads it', () => {
    const url = new URL('https://api.auth.example.com/token');
    for (const list of ['*', 'auth.example.com', '.example.com', '*.example.com', 'other, example.com', 'other example.com', 'api.auth.example.com:443', 'EXAMPLE.COM']) expect([list, noProxyExcludes(list, url)]).toEqual([list, true]);
    for (const list of ['', 'ample.com', 'auth.example.com:8443', 'other.example', 'api.auth.example.com.evil']) expect([list, noProxyExcludes(list, url)]).toEqual([list, false]);
    expect(noProxyExcludes('::1', new URL('http://[::1]:8080/'))).toBe(true);
    expect(noProxyExcludes('[::1]:8080', new URL('http://[::1]:8080/'))).toBe(true);
    expect(noProxyExcludes('127.0.0.1', new URL('http://127.0.0.1:8080/'))).toBe(true);
  });

  test('bad values: worded for the member or the variable, never quoting the value (it may hold a password)', async () => {
    const secret = 'hunter2-secret';
    expect(await problem({ proxy: `ftp://u:${secret}@proxy:21` })).toBe('config: proxy must be an http:// or https:// proxy URL (http://host:port or http://user:password@host:port)');
    expect(await problem({ proxy: 42 } as unknown as ConformanceConfig)).toBe('config: proxy must be a string or false');
    expect(await problem({ proxy: true } as unknown as ConformanceConfig)).toBe('config: proxy must be false');
    expect(await problem({ proxy: `http://u:${secret}@proxy.example:3128/path` })).toBe("proxy must be the proxy's origin alone (http://proxy.example:3128), without a path, query or fragment");
    expect(await problem({ proxy: 'http://u:%zz@proxy.example:3128' })).toBe('proxy: the user name or password is not validly percent-encoded');
    expect(await problem({}, { HTTPS_PROXY: `socks5://u:${secret}@proxy:1080` })).toBe(
      'HTTPS_PROXY: socks5:// proxies are not supported; the proxy must be an http:// or https:// URL (http://host:port or http://user:password@host:port)',
    );
    const messages = [await problem({ proxy: `http://u:${secret}@[bad` }), await problem({}, { HTTPS_PROXY: `u:${secret}@[bad` })];
    for (const message of messages) expect(message).not.toContain(secret);
  });
});

describe('the CLI flags', () => {
  const flags = ['conformance', '--url', 'https://auth.example.com/token', '--client-id', 'c', '--client-secret', 'x'];

  test.each([
    [['--proxy', 'not a url'], '--proxy must be an http:// or https:// proxy URL (http://host:port or http://user:password@host:port)'],
    [['--proxy', 'user:k-secret-text@proxy:3128'], '--proxy must be an http:// or https:// proxy URL'],
    [['--proxy', 'http://user:k-secret-text@proxy:3128/path'], "--proxy must be the proxy's origin alone (http://proxy:3128), without a path, query or fragment"],
    [['--proxy', 'http://proxy:3128', '--no-proxy'], 'give --proxy or --no-proxy, not both'],
    [['--proxy'], 'option --proxy needs a value'],
  ])('bad --proxy values are usage errors (exit 2) that never quote the value: %j', async (extra, message) => {
    const run = await cli([...flags, ...extra]);
    expect([run.code, run.stdout]).toEqual([2, '']);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain("(see 'token-contract conformance --help')");
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(run.stderr).not.toContain('k-secret-text');
  });

  test('--proxy end to end: the run goes through it and the console says so; --no-proxy ignores the environment', async () => {
    const server = await createReferenceServer({ clients: await defaultRunClients() });
    const proxy = await startConnectProxy();
    try {
      const client = referenceTargetConfig(server).clients!.find((c) => c.auth === 'client_secret_basic' && !c.requireDpop)!;
      const args = ['conformance', '--url', server.tokenEndpoint, '--client-id', client.id, '--client-secret', client.secret!, '--only', 'ok-basic,ct-missing'];
      const run = await cli([...args, '--proxy', proxy.url]);
      expect([run.code, run.stderr]).toEqual([0, '']);
      expect(run.stdout).toContain(`(through the proxy ${proxy.url})`);
      expect(proxy.opened()).toBeGreaterThan(0);

      const before = proxy.tunnels.length;
      const viaEnv = await cli(args, { env: { HTTP_PROXY: proxy.url } });
      expect(viaEnv.code).toBe(0);
      expect(viaEnv.stdout).toContain(`(through the proxy ${proxy.url}, from HTTP_PROXY)`);
      expect(proxy.tunnels.length).toBeGreaterThan(before);

      const after = proxy.tunnels.length;
      const direct = await cli([...args, '--no-proxy'], { env: { HTTP_PROXY: proxy.url } });
      expect(direct.code).toBe(0);
      expect(direct.stdout).not.toContain('through the proxy');
      expect(proxy.tunnels.length).toBe(after);
    } finally {
      await proxy.close();
      await server.close();
    }
  }, 60_000);
});
