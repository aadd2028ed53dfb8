/**
 * Request shaping for a staging gateway: a header (an API key) and body
 * parameters (`audience`, RFC 8707 `resource`) on every request the suite
 * sends. A gateway in front of the reference server refuses anything
 * without them; with them the run is the reference run. The key is a
 * secret: no reporter shows it. A check's own defect still wins over the
 * shaping (it edits the draft after shaping is applied).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ConsoleReporter, formatReport, REPORTER_NAMES, runConformance, type Check, type ConformanceConfig, type ConformanceReport } from '../../src/conformance';
import { resolveConfig } from '../../src/conformance/config';
import { removeHeader, removeParam, setHeader, setParam } from '../../src/conformance/draft';
import { ConfigError } from '../../src/errors';
import { formUrlEncode } from '../../src/oauth/client-auth';
import { cli } from '../support/cli';
import { errorResponse, header, startMutatingProxy, withHeader, type MutatingProxy, type ProxyRequest } from './support/mutating-proxy';

const KEY = 'k-gateway-9f8e7d6c5b4a+/= key';
const AUDIENCE = 'https://api.example.com/';
const SHAPED = { headers: { 'X-Api-Key': { env: 'GATEWAY_KEY' } }, extraParams: { audience: AUDIENCE } } satisfies ConformanceConfig;
const ENV = { GATEWAY_KEY: KEY };

/** The audience a body carries (form or JSON); `null` for a body the gateway cannot read (a malformed JSON text it passes on). */
function audienceOf(req: ProxyRequest): string | undefined | null {
  // A GET (the issuer's metadata) has no body to carry one.
  if (req.method === 'GET') return null;
  if (/^\s*\{/.test(req.body)) {
    try {
      const parsed = JSON.parse(req.body) as Record<string, unknown>;
      return typeof parsed.audience === 'string' ? parsed.audience : undefined;
    } catch {
      return null;
    }
  }
  return new URLSearchParams(req.body).get('audience') ?? undefined;
}

function statuses(report: ConformanceReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}

/** Every form of the key a report could carry. */
const KEY_FORMS = [KEY, formUrlEncode(KEY), encodeURIComponent(KEY), Buffer.from(KEY).toString('base64')];

function check(id: string, run: Check['run']): Check {
  return { id, title: id, level: 'MUST', reference: 'RFC 6749 §4.4.2', group: 'success', requires: [], run } as Check;
}

describe('request shaping: headers and extraParams', () => {
  let proxy: MutatingProxy;
  let reference: ConformanceReport;
  let seen: ProxyRequest[] = [];
  /** The gateway: the API key on every request, the audience on every body it can read. */
  const gateway = {
    request(req: ProxyRequest) {
      seen.push(req);
      if (header(req, 'x-api-key') !== KEY) return errorResponse(403, 'access_denied', 'gateway: no API key');
      if (audienceOf(req) !== AUDIENCE && audienceOf(req) !== null) return errorResponse(403, 'access_denied', 'gateway: no audience');
      return undefined;
    },
  };

  beforeAll(async () => {
    proxy = await startMutatingProxy();
    reference = await runConformance(proxy.config);
  }, 60_000);
  afterAll(async () => {
    await proxy.close();
  });

  test('behind the gateway the run fails without shaping and is the reference run with it; the probe is shaped too', async () => {
    proxy.mutation = gateway;
    const bare = await runConformance(proxy.config, { env: ENV });
    expect(bare.summary.failed).toBeGreaterThan(0);
    expect(statuses(bare)['ok-basic']).toBe('failed');

    seen = [];
    const shaped = await runConformance({ ...proxy.config, ...SHAPED }, { env: ENV });
    expect(shaped.summary.failed).toBe(0);
    expect(statuses(shaped)).toEqual(statuses(reference));
    // The metadata requests came first (the server's issuer is the gateway), then the probe (no credentials): each carried the key, the probe the audience.
    const probe = seen.find((r) => r.method === 'POST')!;
    expect(seen.indexOf(probe)).toBe(2);
    expect(header(probe, 'x-api-key')).toBe(KEY);
    expect(new URLSearchParams(probe.body).get('audience')).toBe(AUDIENCE);
    expect(seen.filter((r) => header(r, 'x-api-key') !== KEY)).toEqual([]);
  }, 60_000);

  test('the key is in no report (console live and summary, json, junit, markdown), raw, form- or percent-encoded; curl shows a placeholder', async () => {
    // A gateway that refuses every request and echoes the key back: every check fails and shows its exchange.
    proxy.mutation = {
      request: (req) => withHeader(errorResponse(403, 'access_denied', `gateway refused key ${header(req, 'x-api-key') ?? ''} (${encodeURIComponent(header(req, 'x-api-key') ?? '')})`), 'X-Echo-Key', header(req, 'x-api-key') ?? ''),
    };
    let live = '';
    const reporter = new ConsoleReporter({ write: (s: string) => (live += s) });
    const report = await runConformance(
      { ...proxy.config, ...SHAPED },
      { env: ENV, onStart: (info) => reporter.onStart(info), onResult: (r, done, total) => reporter.onResult(r, done, total) },
    );
    reporter.finish(report);
    expect(report.summary.failed).toBeGreaterThan(10);
    const outputs = [live, ...REPORTER_NAMES.map((name) => formatReport(report, name))];
    for (const output of outputs) for (const form of KEY_FORMS) expect(output).not.toContain(form);
    const curls = report.checks.flatMap((c) => c.findings.flatMap((f) => (f.exchange ? [f.exchange.curl] : [])));
    expect(curls.length).toBeGreaterThan(10);
    for (const curl of curls) expect(curl).toContain(`-H 'X-Api-Key: <HEADER_VALUE>'`);
    // The audience is no secret: it is shown as sent.
    expect(formatReport(report, 'json')).toContain('audience=');
  }, 60_000);

  test("a check's defect in a shaped place is sent as the check wrote it", async () => {
    proxy.mutation = gateway;
    seen = [];
    const sent: Record<string, ProxyRequest> = {};
    const defect = (id: string, edit: (d: ReturnType<Parameters<Check['run']>[0]['draft']>) => void) =>
      check(id, async (ctx) => {
        const draft = ctx.draft();
        edit(draft);
        const before = seen.length;
        await ctx.send(draft);
        // The run's probe (no credentials) may go out meanwhile: this check's request is the one with the client's Basic credentials.
        sent[id] = seen.slice(before).find((r) => header(r, 'authorization') !== undefined)!;
      });
    const report = await runConformance(
      { ...proxy.config, ...SHAPED, extraParams: { ...SHAPED.extraParams, resource: 'https://api.example.com/v1' }, concurrency: 1 },
      {
        env: ENV,
        checks: [
          defect('x-no-key', (d) => removeHeader(d, 'X-Api-Key')),
          defect('x-wrong-key', (d) => setHeader(d, 'x-api-key', 'k-wrong')),
          defect('x-no-audience', (d) => removeParam(d, 'audience')),
          defect('x-other-resource', (d) => setParam(d, 'resource', 'https://other.example.com/')),
          defect('x-untouched', () => undefined),
        ],
      },
    );
    expect(report.checks).toHaveLength(5);
    expect(header(sent['x-no-key']!, 'x-api-key')).toBeUndefined();
    expect(sent['x-wrong-key']!.headers.filter(([n]) => n.toLowerCase() === 'x-api-key')).toEqual([['x-api-key', 'k-wrong']]);
    expect(new URLSearchParams(sent['x-no-audience']!.body).getAll('audience')).toEqual([]);
    expect(header(sent['x-no-audience']!, 'x-api-key')).toBe(KEY);
    expect(new URLSearchParams(sent['x-other-resource']!.body).getAll('resource')).toEqual(['https://other.example.com/']);
    const untouched = new URLSearchParams(sent['x-untouched']!.body);
    expect([untouched.get('audience'), untouched.get('resource'), header(sent['x-untouched']!, 'x-api-key')]).toEqual([AUDIENCE, 'https://api.example.com/v1', KEY]);
  }, 60_000);

  describe('the CLI flags have the same effect', () => {
    const clientFlags = () => {
      const client = proxy.config.clients!.find((c) => c.auth === 'client_secret_basic' && !c.requireDpop)!;
      return ['--url', proxy.tokenEndpoint, '--client-id', client.id, '--client-secret', client.secret!, '--reporter', 'json'];
    };

    test('--header-env and --param pass the gateway; without them the run fails', async () => {
      proxy.mutation = gateway;
      const bare = await cli(['conformance', ...clientFlags()], { env: ENV });
      expect(bare.code).toBe(1);
      const shaped = await cli(['conformance', ...clientFlags(), '--header-env', 'X-Api-Key=GATEWAY_KEY', '--param', `audience=${AUDIENCE}`], { env: ENV });
      expect({ code: shaped.code, stderr: shaped.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      const report = JSON.parse(shaped.stdout) as ConformanceReport;
      expect(report.summary.failed).toBe(0);
      expect(statuses(report)['ok-basic']).toBe('passed');
    }, 60_000);

    test('--header with a literal value works and is redacted like a secret', async () => {
      proxy.mutation = { request: (req) => (header(req, 'x-api-key') === KEY ? errorResponse(400, 'invalid_grant', `echo ${KEY}`) : errorResponse(403, 'access_denied')) };
      const run = await cli(['conformance', ...clientFlags(), '--header', `X-Api-Key: ${KEY}`, '--reporter', 'console']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('invalid_grant');
      for (const form of KEY_FORMS) {
        expect(run.stdout).not.toContain(form);
        expect(run.stderr).not.toContain(form);
      }
    }, 60_000);

    test.each([
      [['--header', 'X-Api-Key k-secret-text'], "--header must be 'Name: value'"],
      [['--header', ': k-secret-text'], "--header must be 'Name: value'"],
      [['--header-env', 'X-Api-Key:GATEWAY_KEY'], "--header-env must be 'Name=VAR'"],
      [['--param', 'audience'], '--param must be name=value'],
      [['--header', 'X-A: k-secret-text', '--header', 'x-a: k-secret-text'], 'is given twice'],
      [['--header', 'Authorization: Bearer k-secret-text'], 'Authorization is a header the suite generates'],
      [['--header', 'DPoP: k-secret-text'], 'DPoP is a header the suite generates'],
      [['--header', 'content-type: k-secret-text'], 'content-type is a header the suite generates'],
      [['--param', 'grant_type=password'], 'grant_type is a parameter the suite generates'],
      [['--header-env', 'X-Api-Key=NOT_SET_ANYWHERE'], 'environment variable NOT_SET_ANYWHERE is not set'],
    ])('bad flags are exit 2 and never show a header value: %j', async (flags, message) => {
      const run = await cli(['conformance', ...clientFlags(), ...flags], { env: ENV });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toContain('k-secret-text');
    });
  });
});

describe('resolveConfig: shaped headers and parameters', () => {
  const base = { url: 'https://auth.example.com/token', clients: [{ id: 'a', auth: 'client_secret_basic', secret: 'sssss' }] } satisfies ConformanceConfig;
  const problem = async (config: ConformanceConfig, env: NodeJS.ProcessEnv = {}) => {
    const error = await resolveConfig(config, { env }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  };

  test('env values are read, client headers follow the global ones and win on the same name', async () => {
    const resolved = await resolveConfig(
      { ...base, headers: { 'X-Tenant': 'qa', 'X-Api-Key': { env: 'K' } }, extraParams: { resource: 'https://r.example/' }, clients: [{ ...base.clients[0], headers: { 'x-tenant': 'qa-2' } }] },
      { env: { K: 'k-from-env' } },
    );
    expect(resolved.headers).toEqual([
      ['X-Tenant', 'qa'],
      ['X-Api-Key', 'k-from-env'],
    ]);
    expect(resolved.clients[0]!.headers).toEqual([['x-tenant', 'qa-2']]);
    expect(resolved.extraParams).toEqual([['resource', 'https://r.example/']]);
  });

  test('a missing variable is named, its value never shown; generated names and bad values are refused', async () => {
    expect(await problem({ ...base, headers: { 'X-Api-Key': { env: 'GATEWAY_KEY' } } })).toBe('headers["X-Api-Key"]: environment variable GATEWAY_KEY is not set');
    expect(await problem({ ...base, clients: [{ ...base.clients[0], headers: { DPOP: 'x' } }] })).toMatch(/^clients\[0\]\.headers\["DPOP"\]: DPOP is a header the suite generates/);
    expect(await problem({ ...base, headers: { 'Bad Name': 'x' } })).toMatch(/not a header field name/);
    const injected = await problem({ ...base, headers: { 'X-Api-Key': 'k-secret\r\nX-Evil: 1' } });
    expect(injected).toMatch(/characters a header field cannot carry/);
    expect(injected).not.toContain('k-secret');
    expect(await problem({ ...base, extraParams: { client_id: 'x' } })).toMatch(/client_id is a parameter the suite generates/);
  });

  test('the schema: header values are strings or { env }, never shown in a message; extraParams are strings', async () => {
    expect(await problem({ ...base, headers: { 'X-Api-Key': 4242424242 } } as unknown as ConformanceConfig)).not.toContain('4242424242');
    expect(await problem({ ...base, headers: { 'X-Api-Key': { envv: 'K' } } } as unknown as ConformanceConfig)).toBe('config: headers.X-Api-Key: unknown member "envv"');
    expect(await problem({ ...base, extraParams: { audience: 3 } } as unknown as ConformanceConfig)).toBe('config: extraParams.audience must be a string (got 3)');
  });
});
