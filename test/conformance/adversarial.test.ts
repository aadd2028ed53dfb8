/**
 * Odd and hostile servers, written as small node:http handlers: the suite
 * must finish every run, fail what is broken with a message that names the
 * break, never crash a check (no "could not complete", no unhandled
 * rejection), and must not fail servers whose answers are odd but valid.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateKeyPair, exportJWK } from 'jose';
import { CHECKS, ConsoleReporter, TargetUnreachableError, defaultRunClients, runConformance, type CheckResult, type ConformanceConfig, type ConformanceReport, type StartInfo } from '../../src/conformance';
import { header, json, startMutatingProxy, withHeader, withJson, type MutatingProxy, type ProxyResponse } from './support/mutating-proxy';

interface Answer {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}
type Handler = (req: http.IncomingMessage, body: string) => Answer | 'hang' | 'reset';

interface Stub {
  url: string;
  handler: Handler;
  close(): Promise<void>;
}

async function startStub(handler: Handler): Promise<Stub> {
  const stub = { handler } as Stub;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = stub.handler(req, Buffer.concat(chunks).toString('utf8'));
      if (answer === 'hang') return;
      if (answer === 'reset') return void req.socket.destroy();
      res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
  stub.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return stub;
}

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const jsonAnswer = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'Content-Type': 'application/json', ...NO_STORE, ...headers },
  body: JSON.stringify(body),
});

/** Every check that sends a request the server must refuse, and the level at which accepting it fails the run. */
const MUST_REFUSE = CHECKS.filter((c) => ['transport', 'client-auth', 'grant-scope', 'dpop-proof', 'dpop-nonce', 'sender-constraint'].includes(c.group))
  .map((c) => c.id)
  .filter((id) => !['tls', 'tls-forwarded-proto', 'tls-versions', 'pkjwt-aud-array', 'pkjwt-no-jti', 'pkjwt-replay', 'dpop-replay', 'nonce-rotate', 'dpop-disabled'].includes(id));

describe('hostile and broken servers', () => {
  let stub: Stub;
  let base: ConformanceConfig;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    stub = await startStub(() => ({ status: 500 }));
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    base = {
      url: stub.url,
      scope: 'read',
      invalidScope: 'admin',
      dpop: { enabled: true, nonce: true },
      timeoutMs: 300,
      clients: [
        { id: 'basic-client', secret: 'basic-secret-value', auth: 'client_secret_basic' },
        { id: 'post-client', secret: 'post-secret-value', auth: 'client_secret_post' },
        { id: 'jwt-client', auth: 'private_key_jwt', privateKey: await exportJWK(privateKey) },
        { id: 'dpop-client', secret: 'dpop-secret-value', auth: 'client_secret_basic', requiresDpop: true },
      ],
      unauthorizedClient: { id: 'no-grant-client', secret: 'no-grant-secret', auth: 'client_secret_basic' },
    };
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await stub?.close();
    expect(unhandled).toEqual([]);
  });

  /** Runs the whole catalogue against the stub; every check must have ended in a judgement, never a crash. */
  async function runAgainst(handler: Handler, extra: Partial<ConformanceConfig> = {}): Promise<ConformanceReport> {
    stub.handler = handler;
    const report = await runConformance({ ...base, ...extra });
    expect(report.checks).toHaveLength(CHECKS.length);
    const crashed = report.checks.filter((c) => c.findings.some((f) => /could not complete/.test(f.message)));
    expect(crashed.map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    return report;
  }
  const byId = (report: ConformanceReport) => new Map<string, CheckResult>(report.checks.map((c) => [c.id, c]));
  const failedOrSkipped = (report: ConformanceReport, ids: readonly string[]) => ids.filter((id) => !['failed', 'skipped'].includes(byId(report).get(id)!.status));

  test('an HTML 500 error page for everything: every check that expects an answer fails, naming status and media type', async () => {
    const report = await runAgainst(() => ({ status: 500, headers: { 'Content-Type': 'text/html' }, body: '<html><body><h1>Internal Server Error</h1></body></html>' }));
    // Observers have nothing in the OAuth envelope to judge: skipped with the reason, never passed on no evidence.
    expect(byId(report).get('resp-no-store')).toMatchObject({ status: 'skipped', message: expect.stringMatching(/nothing to judge/) });
    expect(report.checks.filter((c) => c.status === 'passed').map((c) => c.id)).toEqual(['errdesc-chars']);
    const okBasic = byId(report).get('ok-basic')!;
    expect(okBasic).toMatchObject({ status: 'failed', message: expect.stringContaining('was not answered with a token') });
    expect(okBasic.findings[0]!.received).toMatch(/^500 text\/html, \d+ bytes$/);
    expect(byId(report).get('ct-missing')!.message).toMatch(/^\[MUST\] wrong status and error code for a missing Content-Type: got 500 text\/html, \d+ bytes, expected 400 invalid_request$/);
  });

  test.each([
    ['empty 200 bodies', (): Answer => ({ status: 200, headers: NO_STORE })],
    ['non-JSON 200 bodies', (): Answer => ({ status: 200, headers: { 'Content-Type': 'text/plain', ...NO_STORE }, body: 'OK' })],
    ['application/json that is not JSON', (): Answer => ({ status: 200, headers: { 'Content-Type': 'application/json', ...NO_STORE }, body: '{"access_token": "abc", oops' })],
    ['a JSON array', (): Answer => jsonAnswer(200, [{ access_token: 'abc', token_type: 'Bearer' }])],
    ['binary garbage labelled gzip', (): Answer => ({ status: 200, headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', ...NO_STORE }, body: Buffer.from([0x00, 0xff, 0x1f, 0x8b, 0x13, 0x37, 0xfe, 0x00]) })],
  ])('%s: no token was issued, so success checks fail and refusals are judged on status', async (_name, answer) => {
    const report = await runAgainst(() => answer());
    const results = byId(report);
    expect(results.get('ok-basic')).toMatchObject({ status: 'failed', message: expect.stringContaining('was not answered with a token') });
    expect(results.get('dpop-ok')!.status).toBe('failed');
    // A 2xx without a token is still a success status for a request that must be refused.
    expect(results.get('grant-missing')).toMatchObject({ status: 'failed', message: expect.stringMatching(/answered a missing grant_type with 200/) });
    expect(failedOrSkipped(report, MUST_REFUSE)).toEqual([]);
  });

  test('a server that always issues a token: every refusal check fails, and its message names what was sent', async () => {
    const report = await runAgainst(() => jsonAnswer(200, { access_token: 'opaque-token-value-1234', token_type: 'Bearer', expires_in: 60 }));
    const results = byId(report);
    expect(failedOrSkipped(report, MUST_REFUSE)).toEqual([]);
    for (const id of MUST_REFUSE) {
      const result = results.get(id)!;
      if (result.status === 'skipped') continue;
      expect(`${id}: ${result.message}`).toMatch(new RegExp(`^${id}: \\[(MUST|CONTRACT)\\] the server (issued a token for .+|answered .+ with 2\\d\\d, a success status); it must refuse the request( \\(\\+\\d+ more\\))?$`));
      expect(result.findings[0]!.exchange).toBeDefined();
    }
    expect(results.get('ct-missing')!.message).toBe('[MUST] the server issued a token for a missing Content-Type; it must refuse the request');
    expect(results.get('dpop-alg-none')!.message).toMatch(/issued a token for a proof with alg none/);
    expect(results.get('pkjwt-expired')!.message).toMatch(/issued a token for an assertion that expired 5 minutes ago/);
    expect(results.get('nonce-missing')!.message).toMatch(/issued a token for a proof without nonce/);
    expect(results.get('dpop-required-absent')!.message).toMatch(/issued a token for no proof from a DPoP-only client/);
    // MAY/SHOULD refusals only warn.
    for (const id of ['pkjwt-replay', 'pkjwt-no-jti']) expect(results.get(id)!.status).toBe('warned');
    // An accepted DPoP replay breaks the attesto contract's replay protection (CONTRACT, the attesto profile).
    expect(results.get('dpop-replay')).toMatchObject({ status: 'failed', decidingLevel: 'CONTRACT' });
  });

  test('a 404 to the probe warns that the url may not be the token endpoint; the checks still run', async () => {
    const lines: string[] = [];
    const reporter = new ConsoleReporter({ write: (text: string) => void lines.push(text) }, { color: false });
    const report = await runAgainst(() => ({ status: 404, headers: { 'Content-Type': 'text/plain' }, body: 'Not Found' }), {});
    expect(report.summary.failed).toBeGreaterThan(40);
    stub.handler = () => ({ status: 404, headers: { 'Content-Type': 'text/plain' }, body: 'Not Found' });
    await runConformance({ ...base, only: ['ok-basic'] }, { onStart: (info) => reporter.onStart(info) });
    expect(lines.join('')).toMatch(/^warning: the target answers a POST with 404: is the url the token endpoint\?$/m);
  });

  test('a server that answers 401 to everything', async () => {
    const report = await runAgainst(() => jsonAnswer(401, { error: 'invalid_client' }, { 'WWW-Authenticate': 'Basic realm="x"' }));
    const results = byId(report);
    expect(results.get('ok-basic')!.findings[0]!.received).toBe('401 invalid_client');
    expect(results.get('basic-bad-secret')!.status).toBe('passed');
    expect(results.get('grant-unsupported')).toMatchObject({ status: 'failed', message: '[MUST] wrong status and error code for grant_type=urn:example:conformance:unsupported-grant-type: got 401 invalid_client, expected 400 unsupported_grant_type' });
    expect(report.summary.failed).toBeGreaterThan(30);
  });

  test('a 401 challenge is read per RFC 9110 §11.6.1: a scheme named inside a quoted string or as a parameter does not count', async () => {
    for (const challenge of ['Newauth realm="a, Basic"', 'Newauth basic=1', 'Basicx realm="x"']) {
      stub.handler = () => jsonAnswer(401, { error: 'invalid_client' }, { 'WWW-Authenticate': challenge });
      const result = (await runConformance({ ...base, only: ['basic-bad-secret'] })).checks[0]!;
      expect({ challenge, status: result.status, message: result.message }).toEqual({ challenge, status: 'failed', message: '[MUST] a 401 must challenge with the scheme the client used (Basic)' });
    }
    stub.handler = () => jsonAnswer(401, { error: 'invalid_client' }, { 'WWW-Authenticate': 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", basic realm="simple"' });
    expect((await runConformance({ ...base, only: ['basic-bad-secret'] })).checks[0]!.status).toBe('passed');
  });

  test('method-get never puts a real client_secret in a URL (a post-only client sends a wrong one)', async () => {
    const urls: string[] = [];
    stub.handler = (req) => {
      if (req.method === 'GET') urls.push(req.url ?? '');
      return jsonAnswer(req.method === 'GET' ? 405 : 400, { error: 'invalid_request' }, req.method === 'GET' ? { Allow: 'POST' } : {});
    };
    const result = (await runConformance({ ...base, only: ['method-get'], clients: [base.clients![1]!], unauthorizedClient: undefined })).checks[0]!;
    expect(result.status).toBe('passed');
    expect(urls).toHaveLength(1);
    expect(urls[0]).toContain('client_secret=not-the-client-secret');
    expect(urls[0]).not.toContain('post-secret-value');
  });

  test('method-get never puts a redeemable client assertion in a URL (a private_key_jwt-only client sends an expired one)', async () => {
    const { decodeJwt } = await import('jose');
    const urls: string[] = [];
    stub.handler = (req) => {
      if (req.method === 'GET') urls.push(req.url ?? '');
      return jsonAnswer(req.method === 'GET' ? 405 : 400, { error: 'invalid_request' }, req.method === 'GET' ? { Allow: 'POST' } : {});
    };
    const jwtClient = base.clients!.find((c) => c.auth === 'private_key_jwt')!;
    const result = (await runConformance({ ...base, only: ['method-get'], clients: [jwtClient], unauthorizedClient: undefined })).checks[0]!;
    expect(result.status).toBe('passed');
    expect(urls).toHaveLength(1);
    const assertion = new URL(urls[0]!, 'http://x').searchParams.get('client_assertion')!;
    // RFC 7523 §3 item 4: past its exp, no server may accept it.
    expect(decodeJwt(assertion).exp!).toBeLessThan(Date.now() / 1000);
  });

  test('302 redirects are not followed; the report says where they point', async () => {
    let start: StartInfo | undefined;
    stub.handler = () => ({ status: 302, headers: { Location: 'https://login.example.com/oauth/token' } });
    const report = await runConformance(base, { onStart: (info) => (start = info) });
    expect(start!.warning).toBe('the target redirects a POST (302 to https://login.example.com/oauth/token); redirects are not followed: give the final token endpoint url');
    const okBasic = byId(report).get('ok-basic')!;
    expect(okBasic.status).toBe('failed');
    expect(okBasic.findings[0]!.received).toBe('302 redirect to https://login.example.com/oauth/token (not followed), empty body');
    // No token, so the checks that only judge "no token" (or the SHOULD 400) do not fail.
    expect(failedOrSkipped(report, MUST_REFUSE.filter((id) => !['method-get', 'body-badjson', 'errdesc-chars'].includes(id)))).toEqual([]);
  });

  test('a server that hangs on some requests: those checks time out with a clear message, the run finishes', async () => {
    const started = Date.now();
    const report = await runAgainst((req, body) => (body.includes('client_secret=') ? 'hang' : jsonAnswer(400, { error: 'invalid_request' })));
    const okPost = byId(report).get('ok-post')!;
    expect(okPost).toMatchObject({ status: 'failed', message: '[CONTRACT] no response from the target: timeout after 300 ms' });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  test('a server that resets some connections: those checks fail with the cause', async () => {
    const report = await runAgainst((req) => (req.headers.dpop !== undefined ? 'reset' : jsonAnswer(400, { error: 'invalid_request' })));
    expect(byId(report).get('dpop-ok')!.message).toMatch(/^\[MUST\] no response from the target: connection reset \(ECONNRESET\)$/);
  });

  test('a server that does not speak HTTP is unreachable, in plain words', async () => {
    const garbage = net.createServer((socket) => socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n')));
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    try {
      const error = await runConformance({ ...base, url: `http://127.0.0.1:${(garbage.address() as AddressInfo).port}/oauth/token` }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+: not a valid HTTP response \(HPE_[A-Z_]+\)$/);
    } finally {
      await new Promise<void>((resolve) => garbage.close(() => resolve()));
    }
  });

  test.each([
    ['resets every connection', (): 'reset' => 'reset', /^cannot reach http:\/\/127\.0\.0\.1:\d+: connection reset \(ECONNRESET\)$/],
    ['never answers', (): 'hang' => 'hang', /^cannot reach http:\/\/127\.0\.0\.1:\d+: timeout after 300 ms$/],
  ])('a server that %s is unreachable: one error, no checks', async (_name, handler, message) => {
    stub.handler = handler;
    const error = await runConformance(base).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetUnreachableError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('odd but valid answers do not fail', () => {
  let proxy: MutatingProxy;
  let config: ConformanceConfig;
  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients(), requireNonce: true });
    config = proxy.config;
    proxy.mutation = {
      response: (res: ProxyResponse) => {
        let out = withHeader(res, 'Content-Type', 'application/json; charset=UTF-8');
        out = withHeader(out, 'Cache-Control', 'no-cache, no-store, max-age=0');
        out = withHeader(out, 'Pragma', 'No-Cache');
        if (res.status === 401) out = { ...out, headers: [...out.headers.filter(([n]) => n.toLowerCase() !== 'www-authenticate'), ['WWW-Authenticate', `${scheme(header(res, 'www-authenticate'))} realm="x", Bearer`], ['WWW-Authenticate', 'Newauth realm="apps", type=1, title="Login to \\"apps\\""']] };
        const body = json(res);
        if (!body || Array.isArray(body)) return out;
        const extra: Record<string, unknown> = { ...body, extension: { nested: [1, 2, 3] }, issued_at: 1700000000 };
        if (typeof body.access_token === 'string') {
          extra.access_token = `opaque-${Math.random().toString(36).slice(2)}`; // not a JWT: dpop-jkt skips its JWT half
          extra.token_type = String(body.token_type).toLowerCase(); // RFC 6749 §5.1: case-insensitive
          delete extra.expires_in; // RECOMMENDED only
        }
        return withJson(out, extra);
      },
    };
  });
  afterAll(async () => {
    await proxy?.close();
  });

  test.each([
    ['attesto', { failed: ['resp-token-type'], warned: ['resp-expires'] }],
    ['rfc', { failed: [], warned: ['resp-expires', 'resp-token-type'] }],
  ] as const)('profile %s: only the exact token_type spelling (CONTRACT) and the absent expires_in (SHOULD) are reported', async (profile, expected) => {
    const report = await runConformance({ ...config, profile });
    const ids = (status: string) => report.checks.filter((c) => c.status === status).map((c) => c.id).sort();
    expect({ failed: ids('failed'), warned: ids('warned') }).toEqual({ failed: [...expected.failed], warned: [...expected.warned] });
    expect(report.checks.find((c) => c.id === 'dpop-jkt')!.message).toMatch(/opaque/);
  });
});

function scheme(challenge: string | undefined): string {
  return /^(\S+)/.exec(challenge ?? '')?.[1] ?? 'Basic';
}
