/**
 * `token-contract conformance`: flags, config files (JSON and YAML), exit
 * codes 0/1/2, reporters to stdout and files, and one-line usage errors.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cli } from '../support/cli';
import { defaultRunClients } from '../../src/conformance';
import { exportPKCS8, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';
import { assertionClaims, dpopProofs, form, startMutatingProxy, withoutHeader, type MutatingProxy, type ProxyRequest } from './support/mutating-proxy';

describe('token-contract conformance', () => {
  let dir: string;
  let proxy: MutatingProxy;
  let basicSecret: string;
  let jwtKeyFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'conformance-cli-'));
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
    basicSecret = proxy.server.clients['basic-client']!.secret!;
    jwtKeyFile = join(dir, 'jwt.json');
    await writeFile(jwtKeyFile, JSON.stringify(proxy.server.clients['jwt-client']!.privateJwk));
  });
  afterAll(async () => {
    await proxy?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('no url: runs every check against the reference server, exit 0, live lines and a summary', async () => {
    const { code, stdout, stderr } = await cli(['conformance']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/against the reference server at http:\/\/127\.0\.0\.1:\d+\/oauth\/token \(profile attesto\)/);
    expect(stdout).toMatch(/\] PASS  ok-basic /);
    expect(stdout).toMatch(/no failing check \(profile attesto/);
    expect(stdout).not.toMatch(/^xfail:/m); // the legend only when there is something to explain
  });

  test('--dpop-nonce without a url starts the reference server with required nonces', async () => {
    const { code, stdout } = await cli(['conformance', '--dpop-nonce', '--only', 'dpop-nonce', '--profile', 'rfc']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/PASS  nonce-retry/);
  });

  test('a bare-origin --url means its /oauth/token, as in the harness', async () => {
    const origin = new URL(proxy.tokenEndpoint).origin;
    const paths: string[] = [];
    proxy.mutation = { request: (req) => void paths.push(req.path) };
    try {
      const { code, stdout } = await cli(['conformance', '--url', origin, '--client-id', 'basic-client', '--client-secret-env', 'BASIC_SECRET', '--only', 'ok-basic'], { env: { BASIC_SECRET: basicSecret } });
      expect(code).toBe(0);
      expect(stdout).toContain(`against ${origin}/oauth/token`);
      expect(paths.length).toBeGreaterThan(0);
      expect(new Set(paths)).toEqual(new Set(['/oauth/token']));
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('one client from flags, secret from the environment; a failing check exits 1', async () => {
    const args = ['conformance', '--url', proxy.tokenEndpoint, '--client-id', 'basic-client', '--client-secret-env', 'BASIC_SECRET', '--only', 'ok-basic,resp-no-store'];
    const env = { BASIC_SECRET: basicSecret };
    expect((await cli(args, { env })).code).toBe(0);
    proxy.mutation = { response: (res) => withoutHeader(res, 'Pragma') };
    try {
      const { code, stdout } = await cli(args, { env });
      expect(code).toBe(1);
      expect(stdout).toMatch(/FAIL  resp-no-store/);
      expect(stdout).not.toContain(basicSecret);
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('a YAML config with several clients, a json report to a file and junit to stdout', async () => {
    const config = join(dir, 'conformance.yaml');
    await writeFile(
      config,
      [
        `url: ${proxy.tokenEndpoint}`,
        'scope: read',
        'invalidScope: admin',
        'dpop: { enabled: true }',
        'clients:',
        '  - { id: basic-client, secretEnv: BASIC_SECRET, auth: client_secret_basic }',
        `  - { id: post-client, secret: ${proxy.server.clients['post-client']!.secret}, auth: client_secret_post }`,
        '  - { id: jwt-client, auth: private_key_jwt, privateKey: jwt.json }',
      ].join('\n'),
    );
    const out = join(dir, 'report.json');
    const { code, stdout, stderr } = await cli(['conformance', '--config', config, '--reporter', 'console', '--reporter', 'json', '--reporter', 'junit', '--output', out], {
      env: { BASIC_SECRET: basicSecret },
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^<\?xml/);
    expect(stderr).toMatch(/no failing check/); // console moves to stderr when a report owns stdout
    const report = JSON.parse(await readFile(out, 'utf8')) as { summary: { failed: number; passed: number }; checks: Array<{ id: string; status: string }> };
    expect(report.summary.failed).toBe(0);
    expect(report.checks.find((c) => c.id === 'ok-pkjwt')!.status).toBe('passed');
    expect(report.checks.find((c) => c.id === 'scope-invalid')!.status).toBe('passed');
  });

  test('--expect-failures turns known failures into expected ones (exit 0) and flags stale entries', async () => {
    const list = join(dir, 'expected.txt');
    await writeFile(list, 'resp-no-store  # Pragma not sent yet\nok-basic  # fixed since\n');
    proxy.mutation = { response: (res) => withoutHeader(res, 'Pragma') };
    try {
      const { code, stdout } = await cli(['conformance', '--url', proxy.tokenEndpoint, '--client-id', 'basic-client', '--client-secret', basicSecret, '--only', 'ok-basic,resp-no-store', '--expect-failures', list]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/XFAIL resp-no-store .*Pragma not sent yet/);
      expect(stdout).toMatch(/XPASS ok-basic .*remove it from the list/);
      expect(stdout).toMatch(/^xfail: listed in the expected failures and still failing; xpass: listed but passing now/m);
    } finally {
      proxy.mutation = undefined;
    }
  });

  /** Runs the CLI with the proxy recording every request it forwards. */
  async function recorded(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Awaited<ReturnType<typeof cli>> & { requests: ProxyRequest[] }> {
    const requests: ProxyRequest[] = [];
    proxy.mutation = { request: (req) => void requests.push(req) };
    try {
      return { ...(await cli(['conformance', ...args], options)), requests };
    } finally {
      proxy.mutation = undefined;
    }
  }
  const basic = () => ['--url', proxy.tokenEndpoint, '--client-id', 'basic-client', '--client-secret', basicSecret];
  const jwt = () => ['--url', proxy.tokenEndpoint, '--client-id', 'jwt-client'];

  test('--dpop with --url: the DPoP checks run (with a proof on the wire) instead of being skipped', async () => {
    const without = await recorded([...basic(), '--only', 'dpop-ok']);
    expect(without.code).toBe(0);
    expect(without.stdout).toMatch(/SKIP\s+dpop-ok .*needs DPoP support \(--dpop\)/);
    expect(without.requests.filter((r) => dpopProofs(r).length > 0)).toEqual([]);

    const withDpop = await recorded([...basic(), '--only', 'dpop-ok', '--dpop']);
    expect(withDpop.code).toBe(0);
    expect(withDpop.stdout).toMatch(/PASS\s+dpop-ok /);
    expect(withDpop.requests.some((r) => dpopProofs(r).length === 1)).toBe(true);
  });

  test('--private-key: a JWK file and a PKCS#8 PEM both sign assertions the server accepts; another key is refused', async () => {
    const jwk = proxy.server.clients['jwt-client']!.privateJwk as JWK;
    const pem = join(dir, 'jwt.pem');
    await writeFile(pem, await exportPKCS8((await importJWK(jwk, jwk.alg ?? 'ES256')) as KeyLike));
    for (const key of [jwtKeyFile, pem]) {
      const { code, stdout, requests } = await recorded([...jwt(), '--private-key', key, '--only', 'ok-pkjwt']);
      expect([key, code]).toEqual([key, 0]);
      expect(stdout).toMatch(/PASS\s+ok-pkjwt /);
      expect(requests.map(assertionClaims).find(Boolean)).toMatchObject({ iss: 'jwt-client', sub: 'jwt-client' });
    }
    // The key really is the one used: a key the server does not know fails the same check.
    const other = join(dir, 'other.pem');
    await writeFile(other, await exportPKCS8((await generateKeyPair('ES256', { extractable: true })).privateKey));
    const refused = await recorded([...jwt(), '--private-key', other, '--only', 'ok-pkjwt']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/FAIL\s+ok-pkjwt /);
    expect(refused.stdout).not.toContain('PRIVATE KEY');
  });

  test('--audience sets the assertion aud (default: the token endpoint URL)', async () => {
    const byDefault = await recorded([...jwt(), '--private-key', jwtKeyFile, '--only', 'ok-pkjwt']);
    expect(byDefault.requests.map(assertionClaims).find(Boolean)?.aud).toBe(proxy.tokenEndpoint);
    const audience = 'https://some-other-audience.example/';
    const given = await recorded([...jwt(), '--private-key', jwtKeyFile, '--audience', audience, '--only', 'ok-pkjwt']);
    const auds = given.requests.map(assertionClaims).filter(Boolean).map((c) => c!.aud);
    expect(auds.length).toBeGreaterThan(0);
    expect(new Set(auds)).toEqual(new Set([audience]));
    // The reference server accepts only its own endpoint or issuer as aud (RFC 7523 §3): the wrong one fails.
    expect(given.code).toBe(1);
    expect(given.stdout).toMatch(/FAIL\s+ok-pkjwt /);
  });

  test('--scope is sent with the token requests; without it no scope parameter is', async () => {
    const without = await recorded([...basic(), '--only', 'ok-basic']);
    expect(without.requests.filter((r) => r.method === 'POST').map((r) => form(r).get('scope'))).not.toContain('read');
    const given = await recorded([...basic(), '--only', 'ok-basic', '--scope', 'read']);
    expect(given.code).toBe(0);
    const sent = given.requests.filter((r) => form(r).get('grant_type') === 'client_credentials' && r.headers.some(([n]) => n.toLowerCase() === 'authorization'));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.map((r) => form(r).get('scope'))).toContain('read');
  });

  test('--invalid-scope enables scope-invalid, which asks for that scope', async () => {
    const without = await recorded([...basic(), '--only', 'scope-invalid']);
    expect(without.stdout).toMatch(/SKIP\s+scope-invalid .*--invalid-scope/);
    const given = await recorded([...basic(), '--only', 'scope-invalid', '--invalid-scope', 'admin']);
    expect(given.code).toBe(0);
    expect(given.stdout).toMatch(/PASS\s+scope-invalid /);
    expect(given.requests.map((r) => form(r).get('scope'))).toContain('admin');
  });

  test('--skip leaves out ids and groups (repeatable, comma-separated)', async () => {
    const { code, stdout } = await cli(['conformance', ...basic(), '--only', 'success,transport', '--skip', 'ok-post,ok-json-body', '--skip', 'transport']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/PASS\s+ok-basic /);
    expect(stdout).not.toMatch(/ ok-post | ok-json-body | ct-missing | method-get /);
    const unskipped = await cli(['conformance', ...basic(), '--only', 'success,transport']);
    expect(unskipped.stdout).toMatch(/ ok-post [\s\S]* ct-missing /);
  });

  test('--allow-insecure-http accepts plain http to a host the suite does not count as loopback', async () => {
    // ::ffff:127.0.0.1 is 127.0.0.1 on the wire, but not a name or address the suite treats as loopback.
    const url = proxy.tokenEndpoint.replace('127.0.0.1', '[::ffff:127.0.0.1]');
    const args = ['--url', url, '--client-id', 'basic-client', '--client-secret', basicSecret, '--only', 'ok-basic'];
    const refused = await cli(['conformance', ...args]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing plain http:\/\/ to \[::ffff:7f00:1\]/);
    const { code, stdout, stderr } = await cli(['conformance', ...args, '--allow-insecure-http']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/PASS\s+ok-basic /);
  });

  test('markdown to stdout', async () => {
    const { code, stdout } = await cli(['conformance', '--only', 'ok-basic', '--reporter', 'markdown']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^## Token endpoint conformance: ✅ conformant/);
  });

  test('--help says what XPASS does here (exit 1 only with --strict-expected) and in the Jest entry (its test fails, naming the entry)', async () => {
    const { code, stdout } = await cli(['conformance', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/XPASS[\s\S]*It fails the run with --strict-expected \(exit 1\), else only says so;[\s\S]*its test fails,\s+naming the id to remove from expectedFailures/);
  });

  test('--list prints the catalogue with each check\'s reference', async () => {
    const { code, stdout } = await cli(['conformance', '--list']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ok-basic\s+MUST\s+success\s+.*\(RFC 6749 §2\.3\.1, §4\.4\.2–4\.4\.3, §5\.1\)$/m);
    expect(stdout).toMatch(/^dpop-jkt\s+MUST\s+dpop-success/m);
    // The default run: only the plain-http refusals (tls, tls-forwarded-proto) cannot run against the loopback reference server;
    // its TLS posture (tls-versions, tls-ciphers) is judged at its mutual-TLS listener.
    expect(stdout).toMatch(/^\s+skipped: needs an https:\/\/ target/m);
    expect(stdout).toMatch(/checks selected, \d+ would run, 2 skipped \(against the reference server\)/);
  });

  test('--list honours --only and --skip, and says what the given target and client would skip', async () => {
    const { code, stdout } = await cli(['conformance', '--list', '--only', 'success', '--skip', 'resp-scope', '--url', 'https://as.example/token', '--client-id', 'a', '--client-secret', 'b']);
    expect(code).toBe(0);
    const ids = stdout.split('\n').filter((l) => /^[a-z]/.test(l)).map((l) => l.split(/\s+/)[0]);
    expect(ids).toContain('ok-basic');
    expect(ids).not.toContain('resp-scope');
    expect(ids).not.toContain('ct-missing');
    expect(stdout).toMatch(/^ok-post .*\n\s+skipped: needs a client_secret_post client$/m);
  });

  test('--list --reporter json is the same plan as JSON', async () => {
    const { code, stdout } = await cli(['conformance', '--list', '--only', 'ok-basic,dpop-ok', '--reporter', 'json', '--url', 'https://as.example/token', '--client-id', 'a', '--client-secret', 'b']);
    expect(code).toBe(0);
    const listed = JSON.parse(stdout) as { target: string; checks: Array<{ id: string; reference: string; skipped?: string }> };
    expect(listed.target).toBe('https://as.example/token');
    expect(listed.checks.map((c) => c.id)).toEqual(['ok-basic', 'dpop-ok']);
    expect(listed.checks[0]).toMatchObject({ reference: 'RFC 6749 §2.3.1, §4.4.2–4.4.3, §5.1' });
    expect(listed.checks[0]!.skipped).toBeUndefined();
    expect(listed.checks[1]!.skipped).toMatch(/DPoP/);
  });

  test('--list with a report format it cannot print is a usage error', async () => {
    const { code, stderr } = await cli(['conformance', '--list', '--reporter', 'junit']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--list prints text .* or JSON \(--reporter json\)/);
  });

  test.each([
    [['--url', 'http://auth.example.com/token', '--client-id', 'a', '--client-secret', 'b'], /refusing plain http:\/\/ to auth\.example\.com.*RFC 6749 §3\.2/],
    [['--profile', 'strict'], /--profile must be one of attesto, rfc/],
    [['--reporter', 'xml'], /--reporter must be one of console, json, junit, markdown/],
    [['--concurrency', '0'], /--concurrency must be a whole number/],
    [['--timeout-ms', 'soon'], /--timeout-ms must be a whole number/],
    [['--only', 'ok-basci'], /unknown check id "ok-basci"/],
    [['--client-secret', 'x'], /--client-secret needs --client-id/],
    [['--client-id', 'a'], /--client-id needs --url/],
    [['--url', 'https://auth.example.com/token'], /no client/],
    // The url is judged before the missing client, so the real problem is the one reported.
    [['--url', 'ftp://x'], /url must use https:\/\/ \(got "ftp:"\)/],
    [['--url', ''], /url must be an absolute http\(s\) URL/],
    [['--url', 'http://auth.example.com/token'], /refusing plain http:\/\/ to auth\.example\.com/],
    [['--url', 'https://auth.example.com/token', '--client-id', 'a', '--client-secret-env', 'NOPE'], /environment variable NOPE is not set/],
    [['--url', 'https://auth.example.com/token', '--client-id', 'a', '--auth', 'private_key_jwt'], /needs privateKey/],
    [['--config', 'missing.yaml'], /cannot read config file .*missing\.yaml.*ENOENT/],
    [['--output', 'x.json'], /--output needs a json, junit, markdown or html --reporter/],
    [['--reporter', 'json', '--reporter', 'junit'], /only one report can go to stdout/],
    [['--bogus'], /unknown option --bogus/],
    [['--expect-failures', 'missing.txt'], /cannot read expected failures file/],
  ])('usage error %j → exit 2 with one line', async (args, message) => {
    const { code, stderr, stdout } = await cli(['conformance', ...args], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
  });

  test('a bad config file is exit 2 naming the problem', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ url: proxy.tokenEndpoint, clients: [{ id: 'a', auth: 'client_secret_basic', secret: 'x', colour: 'red' }] }));
    const { code, stderr } = await cli(['conformance', '--config', bad]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/clients\[0\]: unknown member "colour"/);
    await writeFile(bad, '{ not json');
    expect((await cli(['conformance', '--config', bad])).stderr).toMatch(/is not valid JSON/);
  });

  test('an unreachable target is exit 2 with one clear line', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { code, stdout, stderr } = await cli(['conformance', '--url', `http://127.0.0.1:${port}/oauth/token`, '--client-id', 'a', '--client-secret', 'secret-value']);
    expect(code).toBe(2);
    expect(stderr).toBe(`token-contract conformance: cannot reach http://127.0.0.1:${port}: connection refused (ECONNREFUSED)\n`);
    expect(stdout).toBe('');
  });

  test('a target that never answers the probe is exit 2 with one line, after --timeout-ms', async () => {
    const hung = http.createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const port = (hung.address() as AddressInfo).port;
      const { code, stdout, stderr } = await cli(['conformance', '--url', `http://127.0.0.1:${port}/oauth/token`, '--client-id', 'a', '--client-secret', 'secret-value', '--timeout-ms', '200']);
      expect(code).toBe(2);
      expect(stderr).toBe(`token-contract conformance: cannot reach http://127.0.0.1:${port}: timeout after 200 ms\n`);
      expect(stdout).toBe('');
    } finally {
      hung.closeAllConnections();
      await new Promise<void>((resolve) => hung.close(() => resolve()));
    }
  });
});
