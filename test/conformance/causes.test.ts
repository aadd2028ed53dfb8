/**
 * Failures that share one cause are summarised once (issue 11 item 5): a
 * server answering every client-authentication failure with an empty 403
 * fails a dozen checks for one reason, and the report says so in one line
 * with the ids, shows the answer once, and never merges two different answers.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { defaultRunClients, formatConsoleSummary, formatJson, formatMarkdown, runConformance, type CheckResult, type ConformanceReport } from '../../src/conformance';
import { describeAnswer, sharedCauses } from '../../src/conformance/reporters/causes';
import { json, startMutatingProxy, type MutatingProxy } from './support/mutating-proxy';

const CLIENT_AUTH_ONLY = { only: ['client-auth', 'ok-basic'] };

describe('one shared defect', () => {
  let proxy: MutatingProxy;
  let report: ConformanceReport;
  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
    // Every client-authentication failure is answered 403 with an empty body.
    proxy.mutation = { response: (res) => (json(res)?.error === 'invalid_client' ? { status: 403, headers: [], body: '' } : undefined) };
    report = await runConformance({ ...proxy.config, ...CLIENT_AUTH_ONLY });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  const failed = () => report.checks.filter((c) => c.status === 'failed' || c.status === 'warned');

  test('the console names the cause once, with every check it fails, and shows the answer once', () => {
    const ids = failed().map((c) => c.id);
    expect(ids.length).toBeGreaterThanOrEqual(10);
    const text = formatConsoleSummary(report);
    const line = new RegExp(`^${ids.length} client authentication checks fail on the same answer: HTTP 403, no Content-Type, an empty body$`, 'm');
    expect(text).toMatch(line);
    for (const id of ids) expect(text).toMatch(new RegExp(`^  (FAIL|WARN) ${id} \\[`, 'm'));
    // The answer (request, response, curl) appears once, not once per check.
    expect(text.match(/^\s*response:$/gm)).toHaveLength(1);
    expect(text.match(/^\s*reproduce:$/gm)).toHaveLength(1);
    expect(text.match(/^\s*HTTP 403$/gm)).toHaveLength(1);
  });

  test('json and markdown carry the same cause and ids', () => {
    const parsed = JSON.parse(formatJson(report)) as { causes: Array<{ answer: string; checks: string[] }> };
    // Failures first, then warnings: the order the report explains them in.
    const ids = [...failed().filter((c) => c.status === 'failed'), ...failed().filter((c) => c.status === 'warned')].map((c) => c.id);
    expect(parsed.causes).toEqual([expect.objectContaining({ answer: 'HTTP 403, no Content-Type, an empty body', checks: ids })]);
    expect(formatMarkdown(report)).toMatch(/^> \*\*\d+ client authentication checks fail on the same answer: HTTP 403, no Content-Type, an empty body\*\*: `auth-none`/m);
  });
});

describe('different causes are never merged', () => {
  let proxy: MutatingProxy;
  let report: ConformanceReport;
  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
    // Assertion failures get one wrong answer, every other client-authentication failure another.
    proxy.mutation = {
      response: (res, req) => {
        if (json(res)?.error !== 'invalid_client') return undefined;
        return req.body.includes('client_assertion=')
          ? { status: 403, headers: [['Content-Type', 'application/json']], body: '{"error":"access_denied"}' }
          : { status: 403, headers: [['Content-Type', 'text/html']], body: '<html><body>Forbidden</body></html>' };
      },
    };
    report = await runConformance({ ...proxy.config, ...CLIENT_AUTH_ONLY });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  test('two answers, two causes; no check in both; each cause has only checks that got its answer', () => {
    const { causes } = sharedCauses(report.checks);
    expect(causes.map((c) => c.answer).sort()).toEqual(['HTTP 403, Content-Type application/json, a JSON object with error (error "access_denied")', 'HTTP 403, Content-Type text/html, an HTML or XML page']);
    const [a, b] = causes.map((c) => new Set(c.checks.map((check) => check.id)));
    expect([...a!].filter((id) => b!.has(id))).toEqual([]);
    for (const cause of causes) for (const check of cause.checks) expect(describeAnswer(check.findings[0]!.exchange!)).toBe(cause.answer);
    const assertionChecks = causes.find((c) => c.answer.includes('access_denied'))!.checks.map((c) => c.id);
    expect(assertionChecks.every((id) => id.startsWith('pkjwt-'))).toBe(true);
  });
});

describe('describeAnswer and the grouping threshold', () => {
  const exchange = (status: number, headers: Record<string, string>, body: unknown) => ({ request: { method: 'POST', url: 'https://as.example/token', headers: [] }, response: { status, headers, body }, curl: '' });
  const failing = (id: string, answer: ReturnType<typeof exchange>): CheckResult => ({
    id,
    title: id,
    level: 'MUST',
    reference: 'RFC 6749 §5.2',
    group: 'client-auth',
    status: 'failed',
    message: '',
    durationMs: 1,
    findings: [{ level: 'MUST', message: 'wrong', exchange: answer }],
  });

  test('status, media type, member names and the error code each tell answers apart; charset and member order do not', () => {
    const base = describeAnswer(exchange(400, { 'content-type': 'application/json' }, { error: 'invalid_request', error_description: 'x' }));
    expect(describeAnswer(exchange(400, { 'content-type': 'application/json; charset=utf-8' }, { error_description: 'y', error: 'invalid_request' }))).toBe(base);
    expect(describeAnswer(exchange(401, { 'content-type': 'application/json' }, { error: 'invalid_request', error_description: 'x' }))).not.toBe(base);
    expect(describeAnswer(exchange(400, { 'content-type': 'text/plain' }, { error: 'invalid_request', error_description: 'x' }))).not.toBe(base);
    expect(describeAnswer(exchange(400, { 'content-type': 'application/json' }, { error: 'invalid_client', error_description: 'x' }))).not.toBe(base);
    expect(describeAnswer(exchange(400, { 'content-type': 'application/json' }, { error: 'invalid_request' }))).not.toBe(base);
  });

  test('two checks with one answer stay apart; three are one cause; passes never join', () => {
    const same = exchange(403, {}, undefined);
    expect(sharedCauses([failing('a', same), failing('b', same)]).causes).toEqual([]);
    const three = sharedCauses([failing('a', same), failing('b', same), failing('c', same), { ...failing('d', same), status: 'passed' }]);
    expect(three.causes.map((c) => c.checks.map((check) => check.id))).toEqual([['a', 'b', 'c']]);
    expect(three.alone.map((c) => c.id)).toEqual(['d']);
  });
});
