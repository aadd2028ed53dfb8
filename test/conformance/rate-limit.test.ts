/**
 * 429 and 503 are not verdicts: a rate-limiting proxy in front of the
 * reference server. A limited request is resent once after its Retry-After
 * (delay-seconds or an HTTP-date, capped, within the request timeout); a
 * target still limiting makes the check inconclusive, never passed or
 * failed; every reporter counts inconclusive checks.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { XMLParser, XMLValidator } from './support/xml';
import { defaultRunClients, formatJson, formatJunit, formatMarkdown, formatReport, parseRetryAfter, RateLimited, runConformance, type ConformanceReport } from '../../src/conformance';
import { expectNoToken, expectRejection, expectToken, type JudgeContext } from '../../src/conformance/judge';
import { rateLimitNote } from '../../src/conformance/reporters/console';
import type { Exchange } from '../../src/conformance/exchange';
import { errorResponse, fakeToken, header, startMutatingProxy, type Mutation, type MutatingProxy, type ProxyRequest, type ProxyResponse } from './support/mutating-proxy';

const isToken = (req: ProxyRequest) => req.method === 'POST';
/** Credentials on the request: not the run's preflight probe. */
const fromACheck = (req: ProxyRequest) => header(req, 'authorization') !== undefined || /client_(secret|assertion|id)=/.test(req.body);
const limitedAnswer = (status: number, retryAfter: string | undefined): ProxyResponse =>
  errorResponse(status, 'invalid_request', 'slow down', retryAfter === undefined ? [] : [['Retry-After', retryAfter]]);

/** Answers every request with `status` (a GET too, and the probe: any answer will do for it). */
const limitAll = (status: number, retryAfter: string | undefined): Mutation => ({ request: () => limitedAnswer(status, retryAfter) });

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  test('delay-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });
  test('an HTTP-date, in all three forms; a past date asks no wait', () => {
    expect(parseRetryAfter('Tue, 01 Dec 2026 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tuesday, 01-Dec-26 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue Dec  1 12:00:07 2026', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 11:00:00 GMT', now)).toBe(0);
  });
  test('absent or unreadable', () => {
    for (const value of [undefined, '', 'soon', '-1', '1.5', '2026-12-01T12:00:07Z']) expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('judgements never count a 429 or 503 as an answer', () => {
  const ctx: JudgeContext = { level: 'MUST', checkId: 'stub', finding: () => undefined, summarize: (res) => String(res.status), isOwned: () => false, note: () => undefined, scrub: (t) => t };
  const limited = (status: number): Exchange => {
    const body = { error: 'invalid_request', error_description: 'slow down' };
    const headers = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache', 'retry-after': '5' };
    return { checkId: 'stub', request: { method: 'POST', url: 'http://127.0.0.1/token', headers: [] }, response: { status, headers, rawHeaders: Object.entries(headers), text: JSON.stringify(body), body }, oauth: true, nonceRetry: false };
  };
  test.each([429, 503])('%i: expectNoToken, expectRejection (even one that accepts the status) and expectToken throw RateLimited', (status) => {
    expect(() => expectNoToken(ctx, limited(status))).toThrow(RateLimited);
    expect(() => expectRejection(ctx, limited(status), { error: 'invalid_request', status: [400, status] })).toThrow(RateLimited);
    expect(() => expectToken(ctx, limited(status))).toThrow(`rate limited: ${status} with Retry-After 5`);
  });
});

describe('a rate-limiting target', () => {
  let proxy: MutatingProxy;
  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
  });
  afterAll(async () => {
    await proxy?.close();
  });
  const run = async (mutation: Mutation | undefined, config: Record<string, unknown> = {}): Promise<ConformanceReport> => {
    proxy.mutation = mutation;
    try {
      return await runConformance({ ...proxy.config, ...config });
    } finally {
      proxy.mutation = undefined;
    }
  };
  const statuses = (report: ConformanceReport) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

  test('every 3rd token request limited (Retry-After 0 or 1): no failure, each limited check resent (and passing) or inconclusive', async () => {
    const baseline = statuses(await run(undefined));
    let seen = 0;
    let limited = 0;
    const report = await run({
      request: (req) => {
        if (!isToken(req)) return undefined;
        seen += 1;
        if (seen % 3 !== 0) return undefined;
        limited += 1;
        return limitedAnswer(429, limited % 2 === 0 ? '1' : '0');
      },
    });
    expect(limited).toBeGreaterThan(10);
    expect(report.summary.failed).toBe(0);
    expect(report.summary.warned).toBe(0);
    for (const check of report.checks) {
      // The same verdict as without the limits, or none.
      if (check.status !== baseline[check.id]) expect(`${check.id}: ${check.status} ${check.message}`).toMatch(/: inconclusive rate limited: 429 with Retry-After [01]/);
    }
    const resent = report.checks.filter((c) => c.status === 'passed' && /resent once after 429 with Retry-After [01]/.test(c.message));
    expect(resent.length).toBeGreaterThan(3);
  }, 60_000);

  test('a target that limits everything: every check inconclusive or skipped, none passed, none failed; reporters count them', async () => {
    const report = await run(limitAll(429, '0'));
    const judged = report.checks.filter((c) => c.status !== 'inconclusive' && c.status !== 'skipped').map((c) => `${c.id}: ${c.status} ${c.message}`);
    expect(judged).toEqual([]);
    const inconclusive = report.checks.filter((c) => c.status === 'inconclusive');
    expect(inconclusive.length).toBeGreaterThan(20);
    // errdesc-chars would pass on a 429 (no token, no description to judge): it is inconclusive.
    expect(report.checks.find((c) => c.id === 'errdesc-chars')!.status).toBe('inconclusive');
    for (const check of inconclusive.filter((c) => c.id !== 'meta-document')) expect(check.message).toMatch(/^rate limited: 429 with Retry-After 0 twice \(resent once after 0 s\); try a lower --concurrency/);
    // The issuer's metadata is asked (and resent once) before any check: no document is no verdict either.
    expect(report.checks.find((c) => c.id === 'meta-document')!.message).toMatch(/^rate limited: 429 with Retry-After 0 at the issuer's well-known URLs \(resent once\), not judged/);
    expect(report.summary).toMatchObject({ passed: 0, failed: 0, warned: 0, inconclusive: inconclusive.length, total: report.checks.length });

    // console: a column, the check's reason, and one line suggesting a lower concurrency.
    const console = formatReport(report, 'console');
    expect(console).toMatch(/^level\s+passed\s+failed\s+warned\s+skipped\s+xfail\s+xpass\s+inconclusive$/m);
    expect(console).toMatch(new RegExp(`^total\\s+0\\s+0\\s+0\\s+${report.summary.skipped}\\s+0\\s+0\\s+${inconclusive.length}$`, 'm'));
    expect(console).toMatch(/INCON errdesc-chars/);
    expect(console.match(/.*checks were rate limited.*/g)).toEqual([`${inconclusive.length} checks were rate limited (429 or 503 even after one resend): pace the run with --rate N, N requests per second below the server's limit (or a lower --concurrency)`]);
    // json: the summary counts them.
    const json = JSON.parse(formatJson(report)) as { summary: Record<string, number>; checks: Array<{ status: string }> };
    expect(json.summary.inconclusive).toBe(inconclusive.length);
    expect(json.checks.filter((c) => c.status === 'inconclusive')).toHaveLength(inconclusive.length);
    // junit: skipped, with the reason.
    const xml = formatJunit(report);
    expect(XMLValidator(xml)).toBe(true);
    expect(XMLParser(xml).failures).toBe(0);
    expect(xml).toMatch(new RegExp(`<testsuites [^>]*failures="0" errors="0" skipped="${report.summary.skipped + inconclusive.length}"`));
    expect(xml).toMatch(/name="errdesc-chars [^"]*" time="[\d.]+">\n\s+<skipped message="rate limited: 429 with Retry-After 0 twice/);
    // markdown: a column, no "conformant", the note.
    const md = formatMarkdown(report);
    expect(md).toMatch(/\| unexpected passes \| inconclusive \|$/m);
    expect(md).toMatch(new RegExp(`^\\| \\*\\*total\\*\\* \\| 0 \\| 0 \\| 0 \\| \\d+ \\| 0 \\| 0 \\| ${inconclusive.length} \\|$`, 'm'));
    expect(md).not.toMatch(/✅ conformant/);
    expect(md).toMatch(/⚠️ no failing check, \d+ inconclusive/);
    expect(md).toMatch(/\| INCON \| `errdesc-chars` \|/);
  }, 60_000);

  test('503 without Retry-After is resent after a short wait, then inconclusive', async () => {
    const report = await run(limitAll(503, undefined), { only: ['ok-basic', 'errdesc-chars', 'method-get'] });
    expect(statuses(report)).toEqual({ 'ok-basic': 'inconclusive', 'errdesc-chars': 'inconclusive', 'method-get': 'inconclusive' });
    expect(report.checks[0]!.message).toMatch(/^rate limited: 503 without Retry-After twice \(resent once after 1 s\)/);
  });

  test('Retry-After as an HTTP-date: the resend waits until that date, and the check passes', async () => {
    let limitedAt = 0;
    let until = 0;
    let resentAt = 0;
    const report = await run(
      {
        request: (req) => {
          if (!isToken(req) || !fromACheck(req)) return undefined;
          if (limitedAt === 0) {
            limitedAt = Date.now();
            const date = new Date(limitedAt + 3000).toUTCString(); // whole seconds: 2 to 3 s ahead
            until = Date.parse(date);
            return limitedAnswer(429, date);
          }
          if (resentAt === 0) resentAt = Date.now();
          return undefined;
        },
      },
      { only: ['ok-basic'] },
    );
    expect(until - limitedAt).toBeGreaterThanOrEqual(2000);
    expect(resentAt).toBeGreaterThanOrEqual(until - 50);
    expect(report.checks[0]).toMatchObject({ status: 'passed', message: expect.stringMatching(/resent once after 429 with Retry-After \w{3}, \d{2} \w{3} \d{4}/) });
  });

  test('the cap is honoured: a Retry-After of an hour (or of 31 s) is not waited for; the check is inconclusive at once', async () => {
    let sent = 0;
    const counting = (retryAfter: string): Mutation => ({ request: (req) => (isToken(req) ? (fromACheck(req) && (sent += 1), limitedAnswer(429, retryAfter)) : undefined) });
    const started = Date.now();
    const report = await run(counting('3600'), { only: ['ok-basic', 'errdesc-chars'] });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(statuses(report)).toEqual({ 'ok-basic': 'inconclusive', 'errdesc-chars': 'inconclusive' });
    expect(report.checks[0]!.message).toMatch(/^rate limited: 429 with Retry-After 3600, longer than the 10 s a check waits; not resent/);
    expect(sent).toBe(2); // one request per check, none resent
    // A request timeout of a minute: the 30 s cap still bounds the wait.
    const capped = await run(counting('31'), { only: ['ok-basic'], timeoutMs: 60_000 });
    expect(capped.checks[0]!.message).toMatch(/^rate limited: 429 with Retry-After 31, longer than the 30 s a check waits/);
  });

  test('the request timeout is the check\'s budget: a Retry-After beyond it is not waited for', async () => {
    const started = Date.now();
    const report = await run(limitAll(429, '2'), { only: ['ok-basic'], timeoutMs: 1500 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(report.checks[0]).toMatchObject({ status: 'inconclusive', message: expect.stringMatching(/Retry-After 2, longer than the 1.5 s a check waits/) });
  });

  test('a failure judged before the limit stands: the check fails, and its message says the rest was rate limited', async () => {
    const report = await run(
      {
        request: (req) => {
          const type = header(req, 'content-type') ?? '';
          if (/text\/plain/.test(type)) return fakeToken(req);
          if (/multipart/.test(type)) return limitedAnswer(429, '0');
          return undefined;
        },
      },
      { only: ['ct-wrong'] },
    );
    expect(report.checks[0]).toMatchObject({ status: 'failed', message: expect.stringMatching(/^\[MUST\] the server issued a token .*; then rate limited: 429 with Retry-After 0 twice/) });
    expect(report.checks[0]!.findings).toHaveLength(1);
  });

  test('an inconclusive check listed as an expected failure stays inconclusive (neither xfail nor xpass)', async () => {
    const report = await run(limitAll(429, '0'), { only: ['ok-basic'], expectedFailures: { 'ok-basic': 'known' } });
    expect(report.checks[0]!.status).toBe('inconclusive');
    expect(report.summary).toMatchObject({ expectedFailures: 0, unexpectedPasses: 0, inconclusive: 1 });
  });
});

describe('the console note on rate limiting', () => {
  const summary = (inconclusive: number, skipped = 0) => ({ total: 30, passed: 30 - inconclusive - skipped, failed: 0, failing: 0, warned: 0, skipped, expectedFailures: 0, unexpectedPasses: 0, inconclusive });
  test('only above 10% of the checks that ran', () => {
    expect(rateLimitNote(summary(0))).toBeUndefined();
    expect(rateLimitNote(summary(3))).toBeUndefined(); // 3 of 30
    expect(rateLimitNote(summary(3, 5))).toMatch(/^3 checks were rate limited .*--rate N/); // 3 of 25 ran
    expect(rateLimitNote(summary(4))).toMatch(/^4 checks were rate limited .*--rate N/);
  });
});
