/**
 * Discovery (config `issuer`, --issuer, `token-contract discover`): the
 * run's configuration from RFC 8414 metadata, the path insertion of
 * §3.1, the OpenID fallback, and bad metadata as one clear exit-2 line.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, formatReport, referenceCodeSource, referenceTargetConfig, runConformance, type ConformanceConfig, type StartInfo } from '../../src/conformance';
import { checkIssuerUrl, wellKnownUrls } from '../../src/conformance/discovery';
import { DiscoveryError } from '../../src/errors';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cli } from '../support/cli';
import { json, tiny, type TinyServer } from '../support/tiny-server';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

/** A loopback port nothing listens on right now. */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The checks that wait out a server window: left out, the rest runs at once. */
const WAITING = CHECKS.filter((c) => c.waits === true).map((c) => c.id);

describe('well-known URLs (RFC 8414 §3.1, OpenID Connect Discovery §4)', () => {
  test('the path component goes after the well-known prefix; OpenID appends to the issuer', () => {
    expect(wellKnownUrls(new URL('https://as.example/tenant1')).map((u) => u.url)).toEqual([
      'https://as.example/.well-known/oauth-authorization-server/tenant1',
      'https://as.example/tenant1/.well-known/openid-configuration',
    ]);
    expect(wellKnownUrls(new URL('https://as.example')).map((u) => u.url)).toEqual([
      'https://as.example/.well-known/oauth-authorization-server',
      'https://as.example/.well-known/openid-configuration',
    ]);
    // A terminating "/" is removed before the insertion.
    expect(wellKnownUrls(new URL('https://as.example/tenant1/'))[0]!.url).toBe('https://as.example/.well-known/oauth-authorization-server/tenant1');
  });

  test('the issuer is https (loopback excepted) with no query or fragment', () => {
    expect(() => checkIssuerUrl('http://as.example', false)).toThrow(DiscoveryError);
    expect(() => checkIssuerUrl('http://as.example', false)).toThrow(/refusing plain http:\/\/ to as\.example/);
    expect(() => checkIssuerUrl('https://as.example/?x=1', false)).toThrow(/no query or fragment/);
    expect(() => checkIssuerUrl('http://127.0.0.1:8080', false)).not.toThrow();
  });
});

describe('--issuer against the reference server', () => {
  let server: ReferenceServer;
  let explicit: ConformanceConfig;

  beforeAll(async () => {
    server = await createReferenceServer({ dpop: { enabled: true, requireNonce: false } });
    explicit = { ...referenceTargetConfig(server), skip: WAITING };
  });
  afterAll(() => server.close());

  test('the issuer alone (url and dpop from the metadata) gives the same results as the explicit config', async () => {
    const { url: _url, dpop: _dpop, ...rest } = explicit;
    const grantSources = { authorizationCode: referenceCodeSource(server) };
    let start: StartInfo | undefined;
    const [byUrl, byIssuer] = await Promise.all([
      runConformance(explicit, { grantSources }),
      runConformance({ ...rest, issuer: server.issuer }, { grantSources, onStart: (info) => (start = info) }),
    ]);
    expect(explicit.dpop).toEqual({ enabled: true, nonce: false });
    expect(byIssuer.target).toBe(byUrl.target);
    expect(byIssuer.checks.map((c) => [c.id, c.status])).toEqual(byUrl.checks.map((c) => [c.id, c.status]));
    expect(byIssuer.summary.passed).toBeGreaterThan(10);
    expect(start?.discovery).toEqual({
      issuer: server.issuer,
      metadataUrl: `${server.issuer}/.well-known/oauth-authorization-server`,
      origins: [
        { member: 'url', source: 'metadata', from: 'token_endpoint' },
        { member: 'dpop', source: 'metadata', from: 'dpop_signing_alg_values_supported' },
      ],
    });
    // The reports say it too: the JSON member, JUnit properties, the Markdown header line.
    expect(JSON.parse(formatReport(byIssuer, 'json')).discovery).toEqual(start?.discovery);
    const junit = formatReport(byIssuer, 'junit');
    expect(junit).toContain(`<property name="issuer" value="${server.issuer}"/>`);
    expect(junit).toContain('<property name="config.url" value="metadata:token_endpoint"/>');
    expect(formatReport(byIssuer, 'markdown')).toContain(`Issuer ${server.issuer}: from its metadata at`);
    // A run given its url and dpop names where the metadata was read, and that nothing came from it.
    expect(byUrl.discovery?.origins.every((o) => o.source === 'config')).toBe(true);
  });

  test('a reference server whose issuer has a path: its metadata at the path-inserted URL, its endpoints under the path', async () => {
    // The port is chosen first, so the issuer (which names it) can be configured before the server listens.
    const port = await freePort();
    const tenant = await createReferenceServer({ port, issuer: `http://127.0.0.1:${port}/tenant`, dpop: { enabled: true, requireNonce: false } });
    try {
      const { url: _url, dpop: _dpop, ...rest } = referenceTargetConfig(tenant);
      const report = await runConformance({ ...rest, only: ['success', 'metadata', 'metadata-truth'] }, { grantSources: { authorizationCode: referenceCodeSource(tenant) } });
      expect(report.target).toBe(`http://127.0.0.1:${port}/tenant/oauth/token`);
      expect(report.discovery?.metadataUrl).toBe(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server/tenant`);
      expect(report.checks.filter((c) => c.status === 'failed').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
      expect(report.summary.passed).toBeGreaterThan(15);
    } finally {
      await tenant.close();
    }
  });

  test('the CLI: --issuer with one client; the header says what came from the metadata', async () => {
    const basic = Object.values(server.clients).find((c) => c.authMethods[0] === 'client_secret_basic' && c.grantTypes.includes('client_credentials') && !c.requireDpop)!;
    const args = ['conformance', '--issuer', server.issuer, '--client-id', basic.id, '--client-secret-env', 'SECRET', '--only', 'ok-basic'];
    const run = await cli(args, { env: { SECRET: basic.secret! } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [first, second] = run.stdout.split('\n');
    expect(first).toBe(`Issuer ${server.issuer}: from its metadata at ${server.issuer}/.well-known/oauth-authorization-server: url (token_endpoint), dpop (dpop_signing_alg_values_supported)`);
    expect(second).toContain(`against ${server.tokenEndpoint}`);
    expect(run.stdout).toMatch(/PASS\s+ok-basic/);

    // --url given too: the url wins, and the header says so.
    const both = await cli([...args, '--url', server.tokenEndpoint], { env: { SECRET: basic.secret! } });
    expect(both.code).toBe(0);
    expect(both.stdout.split('\n')[0]).toMatch(/dpop \(dpop_signing_alg_values_supported\); given, not from the metadata: url \(over token_endpoint\)$/);
  });

  test('--list with --issuer plans the run the metadata describes (DPoP advertised: the DPoP checks would run)', async () => {
    const basic = Object.values(server.clients).find((c) => c.authMethods[0] === 'client_secret_basic' && !c.requireDpop)!;
    const listed = await cli(['conformance', '--list', '--reporter', 'json', '--issuer', server.issuer, '--client-id', basic.id, '--client-secret-env', 'S', '--only', 'dpop-success']);
    expect(listed.code).toBe(0);
    const plan = JSON.parse(listed.stdout) as { target: string; checks: Array<{ id: string; skipped?: string }> };
    expect(plan.target).toBe(server.tokenEndpoint);
    expect(plan.checks.length).toBeGreaterThan(0);
    expect(plan.checks.filter((c) => c.skipped !== undefined && /dpop/i.test(c.skipped) && !/nonce|client/i.test(c.skipped))).toEqual([]);
  });

  test('--issuer needs a client, like --url', async () => {
    const run = await cli(['conformance', '--issuer', server.issuer]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no client/);
  });

  test('discover prints the derived configuration and where each value came from; --json as JSON', async () => {
    const text = await cli(['discover', '--issuer', server.issuer]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`url\\s+${server.tokenEndpoint.replace(/[.]/g, '\\.')}\\s+from token_endpoint`));
    expect(text.stdout).toMatch(/dpop\s+\{"enabled":true\}\s+from dpop_signing_alg_values_supported/);
    expect(text.stdout).toMatch(/token_endpoint_auth_methods_supported\s+client_secret_basic/);

    const out = await cli(['discover', '--issuer', server.issuer, '--json']);
    expect(out.code).toBe(0);
    const view = JSON.parse(out.stdout) as Record<string, unknown>;
    expect(view).toMatchObject({
      issuer: server.issuer,
      metadataUrl: `${server.issuer}/.well-known/oauth-authorization-server`,
      document: 'oauth-authorization-server',
      config: { url: { value: server.tokenEndpoint, from: 'token_endpoint' }, dpop: { value: { enabled: true }, from: 'dpop_signing_alg_values_supported' } },
      metadata: { token_endpoint: server.tokenEndpoint, grant_types_supported: expect.arrayContaining(['client_credentials']), scopes_supported: expect.arrayContaining(['read']) },
      ignored: [],
    });
  });
});

describe('issuers with a path, and the OpenID fallback', () => {
  const servers: TinyServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  test('an issuer with a path: the metadata is read at the path-inserted URL (RFC 8414 §3.1)', async () => {
    const asked: string[] = [];
    const server = await tiny((req, res, origin) => {
      asked.push(req.url!);
      if (req.url === '/.well-known/oauth-authorization-server/tenant') return json(res, 200, { issuer: `${origin}/tenant`, token_endpoint: `${origin}/tenant/token` });
      json(res, 404, { error: 'not_found' });
    });
    servers.push(server);
    const run = await cli(['discover', '--issuer', `${server.origin}/tenant`, '--json']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ metadataUrl: `${server.origin}/.well-known/oauth-authorization-server/tenant`, config: { url: { value: `${server.origin}/tenant/token` } } });
    // No DPoP advertised: none derived.
    expect(JSON.parse(run.stdout).config.dpop).toBeUndefined();
    // Both well-known URLs are asked at once (the metadata checks compare the two documents); the RFC 8414 one is read.
    expect(asked.sort()).toEqual(['/.well-known/oauth-authorization-server/tenant', '/tenant/.well-known/openid-configuration']);
  });

  test('only /.well-known/openid-configuration: read after the RFC 8414 one is not found', async () => {
    const asked: string[] = [];
    const server = await tiny((req, res, origin) => {
      asked.push(req.url!);
      if (req.url === '/tenant/.well-known/openid-configuration') return json(res, 200, { issuer: `${origin}/tenant`, token_endpoint: `${origin}/tenant/token`, dpop_signing_alg_values_supported: ['ES256'] });
      res.writeHead(404).end();
    });
    servers.push(server);
    const run = await cli(['discover', '--issuer', `${server.origin}/tenant`, '--json']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ document: 'openid-configuration', metadataUrl: `${server.origin}/tenant/.well-known/openid-configuration`, config: { dpop: { value: { enabled: true } } } });
    expect(asked).toEqual(['/.well-known/oauth-authorization-server/tenant', '/tenant/.well-known/openid-configuration']);
  });

  test.each([
    ['an HTML page (a single-page app answering every path)', (res: import('node:http').ServerResponse) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><html></html>')],
    ['a redirect to the login page', (res: import('node:http').ServerResponse) => res.writeHead(302, { Location: '/login' }).end()],
  ])('the RFC 8414 URL answers %s: the OpenID document is read', async (_what, answer) => {
    const server = await tiny((req, res, origin) => {
      if (req.url === '/.well-known/openid-configuration') return json(res, 200, { issuer: origin, token_endpoint: `${origin}/token` });
      answer(res);
    });
    servers.push(server);
    const run = await cli(['discover', '--issuer', server.origin, '--json']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ document: 'openid-configuration' });
  });
});

describe('bad metadata: one clear line, exit 2', () => {
  const servers: TinyServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  const rows: Array<{ bad: string; handler: (req: IncomingMessage, res: ServerResponse, origin: string) => void; message: RegExp; args?: string[] }> = [
    { bad: 'an HTML page', handler: (_q, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><html><body>Sign in</body></html>'), message: /is an HTML page, not JSON/ },
    { bad: 'not JSON', handler: (_q, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('issuer=me'), message: /is not JSON \(Content-Type "text\/plain"\)/ },
    { bad: 'a JSON array', handler: (_q, res) => json(res, 200, ['issuer']), message: /is not a JSON object/ },
    {
      bad: 'a redirect to another host',
      handler: (_q, res) => res.writeHead(302, { Location: 'https://elsewhere.example/.well-known/oauth-authorization-server' }).end(),
      message: /redirects \(302 to another host \(elsewhere\.example\)\); redirects are not followed/,
    },
    {
      bad: 'a 5 MB document',
      handler: (_q, res, origin) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ issuer: origin, token_endpoint: `${origin}/token`, padding: 'x'.repeat(5 * 1024 * 1024) }));
      },
      message: /is too large \(more than 64 KiB\)/,
    },
    { bad: 'a document nested too deep', handler: (_q, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(`${'['.repeat(10_000)}${']'.repeat(10_000)}`), message: /nested too deep/ },
    { bad: 'a wrong issuer', handler: (_q, res, origin) => json(res, 200, { issuer: 'https://evil.example', token_endpoint: `${origin}/token` }), message: /names the issuer "https:\/\/evil\.example", not "http:\/\/127\.0\.0\.1:\d+" \(RFC 8414 §3\.3/ },
    { bad: 'no issuer', handler: (_q, res, origin) => json(res, 200, { token_endpoint: `${origin}/token` }), message: /has no issuer, not/ },
    { bad: 'no token_endpoint', handler: (_q, res, origin) => json(res, 200, { issuer: origin }), message: /has no token_endpoint/ },
    { bad: 'no document at all', handler: (_q, res) => res.writeHead(404).end(), message: /no metadata for issuer .*oauth-authorization-server answered 404; .*openid-configuration answered 404/ },
    // Never answers: the request's timeout ends it (no fixed sleep; the server just holds the request).
    { bad: 'a server that never answers', handler: () => undefined, message: /cannot reach http:\/\/127\.0\.0\.1:\d+: timeout after 300 ms/, args: ['--timeout-ms', '300'] },
  ];

  test.each(rows)('$bad', async ({ handler, message, args = [] }) => {
    const server = await tiny(handler);
    servers.push(server);
    for (const command of [
      ['discover', '--issuer', server.origin, ...args],
      ['conformance', '--issuer', server.origin, '--client-id', 'c', '--client-secret-env', 'S', ...args],
    ]) {
      const run = await cli(command, { env: { S: 'secret' } });
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }
  });

  test('a refused connection is one line too', async () => {
    const server = await tiny(() => undefined);
    const origin = server.origin;
    await server.close();
    const run = await cli(['discover', '--issuer', origin]);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/cannot reach .*connection refused/)]);
  });

  test('plain http to a non-loopback issuer is refused before anything is sent', async () => {
    const run = await cli(['discover', '--issuer', 'http://as.example']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/refusing plain http:\/\/ to as\.example/);
  });
});
