/**
 * Every reporter's output, and the guarantee that none of them carries a
 * secret: client secrets, private key material, access tokens, client
 * assertions, DPoP proofs and Authorization values are grepped for in each.
 * The server here is the worst case: it echoes the request into its errors.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { XMLParser, XMLValidator } from './support/xml';
import {
  ConsoleReporter,
  defaultRunClients,
  formatJson,
  formatJunit,
  formatMarkdown,
  formatReport,
  runConformance,
  type ConformanceReport,
} from '../../src/conformance';
import { curlCommand } from '../../src/conformance/views';
import { dpopProofs, form, header, json, startMutatingProxy, withHeader, withJson, withoutHeader, type MutatingProxy } from './support/mutating-proxy';

describe('reporters', () => {
  let proxy: MutatingProxy;
  let report: ConformanceReport;
  let live = '';
  const secrets = new Set<string>();
  const remember = (value: string | null | undefined) => {
    if (value && value.length >= 8) secrets.add(value);
  };

  beforeAll(async () => {
    const clients = await defaultRunClients();
    proxy = await startMutatingProxy({ clients, requireNonce: true });
    for (const client of clients) {
      remember(client.secret);
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) remember((client.privateJwk as Record<string, string> | undefined)?.[member]);
    }
    proxy.mutation = {
      request: (req) => {
        // Record every credential that crosses the wire.
        const authorization = header(req, 'authorization');
        remember(authorization);
        remember(authorization?.split(' ')[1]);
        for (const proof of dpopProofs(req)) remember(proof);
        remember(form(req).get('client_assertion'));
        remember(form(req).get('client_secret'));
        return undefined;
      },
      response: (res, req) => {
        const body = json(res);
        remember(body?.access_token as string | undefined);
        // Break framing so token responses show up in failures, and echo the request into every error.
        let out = withoutHeader(res, 'Pragma');
        if (body?.error) {
          out = withJson(out, { ...body, error_description: `echo: ${header(req, 'authorization') ?? ''} ${dpopProofs(req).join(' ')} ${req.body}` });
        }
        return withHeader(out, 'X-Echo', 'on');
      },
    };
    const stream = { write: (s: string) => (live += s) };
    const reporter = new ConsoleReporter(stream, { color: false });
    report = await runConformance(
      proxy.config,
      { onStart: (i) => reporter.onStart(i), onResult: (r, d, t) => reporter.onResult(r, d, t) },
    );
    reporter.finish(report);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  test('the broken server fails checks, so every reporter has failure details to render', () => {
    expect(report.summary.failed).toBeGreaterThan(0);
    expect(secrets.size).toBeGreaterThan(20);
  });

  test.each(['console', 'json', 'junit', 'markdown'] as const)('%s output contains no secret, token, assertion or proof', (name) => {
    const text = name === 'console' ? live : formatReport(report, name);
    const leaked = [...secrets].filter((secret) => text.includes(secret));
    if (process.env.DEBUG_LEAK) for (const s of leaked) console.log(name, text.slice(Math.max(0, text.indexOf(s) - 600), text.indexOf(s) + 80));
    expect(leaked.map((s) => `${s.slice(0, 6)}… (${s.length} chars)`)).toEqual([]);
    // And the redaction is visible, not a silent drop.
    expect(text).toMatch(/redacted/);
  });

  test('console: a live line per check, a summary grouped by level, failures with sent/received/expected/RFC/curl', () => {
    const lines = live.split('\n');
    expect(lines[0]).toMatch(/^Token endpoint conformance: \d+ checks against http:\/\/127\.0\.0\.1:\d+\/oauth\/token \(profile attesto\)$/);
    expect(lines.filter((l) => /^\[\s*\d+\/\d+\] (PASS|FAIL|WARN|SKIP|XFAIL|XPASS|INCON) /.test(l))).toHaveLength(report.checks.length);
    expect(live).toMatch(/^level\s+passed\s+failed\s+warned\s+skipped\s+xfail\s+xpass\s+inconclusive$/m);
    for (const level of ['MUST', 'CONTRACT', 'SHOULD', 'MAY', 'total']) expect(live).toMatch(new RegExp(`^${level}\\s+\\d+`, 'm'));
    const failure = live.slice(live.indexOf('FAIL resp-no-store'));
    expect(failure).toMatch(/a token response lacks Pragma: no-cache/);
    expect(failure).toMatch(/expected: Pragma: no-cache/);
    expect(failure).toMatch(/RFC 6749 §5\.1/);
    expect(failure).toMatch(/request sent:\n\s+POST \/oauth\/token HTTP\/1\.1/);
    expect(failure).toMatch(/response:\n\s+HTTP 200/);
    expect(failure).toMatch(/reproduce:\n\s+curl -i -X POST 'http:\/\/127\.0\.0\.1:\d+\/oauth\/token'/);
    expect(live).toMatch(/Basic <BASE64\(CLIENT_ID:CLIENT_SECRET\)>|<CLIENT_SECRET>|<DPOP_PROOF>/);
    expect(live).toMatch(/\d+ failing checks? \(profile attesto/);
  });

  test('json: the documented stable shape', () => {
    const parsed = JSON.parse(formatJson(report)) as Record<string, unknown>;
    // discovery: the proxy's config names the server's issuer, whose metadata the run reads.
    expect(Object.keys(parsed)).toEqual(['tool', 'version', 'target', 'discovery', 'profile', 'policy', 'startedAt', 'durationMs', 'summary', 'checks', 'causes', 'interrupted']);
    expect(parsed).toMatchObject({ tool: 'attesto-token-contract', profile: 'attesto', target: proxy.tokenEndpoint });
    expect(Object.keys(parsed.summary as object)).toEqual(['total', 'passed', 'failed', 'warned', 'skipped', 'expectedFailures', 'unexpectedPasses', 'inconclusive', 'failing']);
    const checks = parsed.checks as Array<Record<string, unknown>>;
    expect(checks).toHaveLength(report.checks.length);
    for (const check of checks) {
      expect(check).toEqual(expect.objectContaining({ id: expect.any(String), title: expect.any(String), level: expect.any(String), reference: expect.any(String), message: expect.any(String), durationMs: expect.any(Number) }));
      expect(['passed', 'failed', 'warned', 'skipped', 'expected-failure', 'unexpected-pass', 'inconclusive']).toContain(check.status);
    }
    expect(new Date(parsed.startedAt as string).toISOString()).toBe(parsed.startedAt);
  });

  test('junit: well-formed XML, one testcase per check, failures and skips counted', () => {
    const xml = formatJunit(report);
    expect(XMLValidator(xml)).toBe(true);
    const doc = XMLParser(xml);
    expect(doc.testcases).toBe(report.checks.length);
    expect(doc.failures).toBe(report.summary.failed);
    expect(xml).toMatch(new RegExp(`<testsuites [^>]*tests="${report.summary.total}" failures="${report.summary.failed}"`));
    expect(xml).toMatch(/<testcase classname="conformance\.success" name="resp-no-store \[MUST\][^"]*" time="[\d.]+">\n\s+<failure message="/);
    expect(xml).toMatch(/<skipped message="needs an https:\/\/ target/);
  });

  test('markdown: a verdict, the level table, and a details block per failing check with a curl command', () => {
    const md = formatMarkdown(report);
    expect(md).toMatch(/^## Token endpoint conformance: ❌ \d+ failing checks?/);
    expect(md).toMatch(/^\| level \| passed \| failed \| warned \| skipped \| expected failures \| unexpected passes \| inconclusive \|$/m);
    expect(md).toMatch(/^\| MUST \| \d+ \| \d+ \|/m);
    expect(md).toMatch(/<details><summary><code>resp-no-store<\/code>/);
    expect(md).toMatch(/```sh\ncurl -i -X POST/);
  });

  test('a green report reads green in every format', async () => {
    const green = await runConformance({ only: ['ok-basic'] });
    expect(formatMarkdown(green)).toMatch(/✅ conformant/);
    expect(formatReport(green, 'console')).toMatch(/no failing check/);
    expect(formatJunit(green)).toMatch(/failures="0"/);
  });
});

describe('the reproducing curl command', () => {
  const url = 'https://as.example.com/oauth/token';
  const proof = 'eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJlLXZhbHVl';

  test('sends exactly the header fields the check sent: no Content-Type stays absent, two DPoP fields stay two', () => {
    const curl = curlCommand({ method: 'POST', url, headers: [['DPoP', proof], ['DPoP', proof]], body: 'grant_type=client_credentials' }, []);
    expect(curl).toBe(`curl -i -X POST '${url}' -H 'DPoP: <DPOP_PROOF>' -H 'DPoP: <DPOP_PROOF>' -H 'Content-Type:' --data-raw 'grant_type=client_credentials'`);
    // With a Content-Type, nothing is removed.
    expect(curlCommand({ method: 'POST', url, headers: [['Content-Type', 'text/plain']], body: 'x=1' }, [])).not.toContain(`'Content-Type:'`);
  });

  test('credentials become placeholders (also in the query string, unescaped); deliberate junk stays as sent', () => {
    const basic = `Basic ${Buffer.from('client:s3cret-value').toString('base64')}`;
    const curl = curlCommand(
      {
        method: 'POST',
        url: `${url}?client_secret=s3cret-value&scope=read`,
        headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Authorization', basic], ['DPoP', 'not-a-jwt']],
        body: `grant_type=client_credentials&client_assertion=${proof}&client_secret=s3cret-value`,
      },
      ['s3cret-value'],
    );
    expect(curl).toContain(`'${url}?client_secret=<CLIENT_SECRET>&scope=read'`);
    // id and secret need no form-encoding: curl -u builds the header, with the real id.
    expect(curl).toContain(`-u 'client:<CLIENT_SECRET>'`);
    expect(curl).not.toContain('Authorization');
    expect(curl).not.toContain('#');
    expect(curl).toContain(`-H 'DPoP: not-a-jwt'`);
    expect(curl).toContain(`--data-raw 'grant_type=client_credentials&client_assertion=<CLIENT_ASSERTION_JWT>&client_secret=<CLIENT_SECRET>'`);
    expect(curl).not.toContain('s3cret-value');
    expect(curlCommand({ method: 'POST', url, headers: [['Authorization', 'Basic not-base64!!']] }, [])).toContain(`-H 'Authorization: Basic not-base64!!'`);
  });

  test('Basic keeps the header form (with a note) when RFC 6749 §2.3.1 form-encoding changed the id or the secret', () => {
    const basic = (id: string, secret: string) => [['Authorization', `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`]] as Array<[string, string]>;
    for (const [id, secret] of [
      ['client', 'a%2Bb'], // the secret had a '+' (encoded): curl -u would send it raw
      ['client', 'a+b'], // a space, form-encoded
      ['my%3Aclient', 'secret'], // an id with ':' (encoded)
      ["o'brien", 'secret'], // an id that needs shell quoting is not shown either
    ]) {
      const curl = curlCommand({ method: 'POST', url, headers: basic(id!, secret!) }, [secret!]);
      expect(curl).toContain(`-H 'Authorization: Basic <BASE64(CLIENT_ID:CLIENT_SECRET)>'`);
      expect(curl).toMatch(/ # BASE64 of the form-urlencoded id ":" form-urlencoded secret \(RFC 6749 §2\.3\.1\)/);
      expect(curl).not.toMatch(/ -u '/);
    }
    // Two Authorization fields (a check sending a duplicate): curl sends one -u, so both stay headers.
    const twice = curlCommand({ method: 'POST', url, headers: [...basic('client', 'secret'), ...basic('client', 'secret')] }, ['secret']);
    expect(twice.match(/-H 'Authorization: Basic </g)).toHaveLength(2);
    // A secret is never shown, even in the -u form.
    expect(curlCommand({ method: 'POST', url, headers: basic('client', 'hunter22') }, ['hunter22'])).toContain(`-u 'client:<CLIENT_SECRET>'`);
  });
});
