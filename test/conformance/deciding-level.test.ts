/**
 * A check is counted under the level that decided its status, not its own:
 * `auth-none` is a MUST check (RFC 6749 §5.2: refuse with invalid_client),
 * but a server answering 401 instead of the contract's 400 departs only from
 * the CONTRACT half. The summaries (console, json, junit, markdown) must
 * call that a CONTRACT failure (attesto) or warning (rfc), never a MUST one.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  ConsoleReporter,
  defaultRunClients,
  formatConsoleSummary,
  formatJson,
  formatJunit,
  formatMarkdown,
  runConformance,
  type CheckResult,
  type ConformanceReport,
  type Finding,
} from '../../src/conformance';
import { decidingLevel } from '../../src/conformance/profiles';
import { errorResponse, header, startMutatingProxy, type MutatingProxy } from './support/mutating-proxy';

describe('decidingLevel', () => {
  const finding = (level: Finding['level']): Finding => ({ level, message: level });

  test('the most severe finding that counted under the profile', () => {
    expect(decidingLevel('attesto', [])).toBeUndefined();
    expect(decidingLevel('attesto', [finding('SHOULD'), finding('CONTRACT')])).toBe('CONTRACT');
    expect(decidingLevel('attesto', [finding('CONTRACT'), finding('MUST')])).toBe('MUST');
    // Under rfc a CONTRACT finding warns: a warning-only check is decided by its most severe warning.
    expect(decidingLevel('rfc', [finding('MAY'), finding('CONTRACT')])).toBe('CONTRACT');
    // A failing MUST outranks warnings even when they are listed first.
    expect(decidingLevel('rfc', [finding('CONTRACT'), finding('MUST')])).toBe('MUST');
  });
});

describe('a MUST check failed only by its CONTRACT half', () => {
  let proxy: MutatingProxy;
  const reports: Partial<Record<'attesto' | 'rfc', ConformanceReport>> = {};

  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
    // RFC 6749 §5.2 allows 401 for a request with no client authentication; the contract says 400.
    proxy.mutation = {
      request: (req) =>
        header(req, 'authorization') === undefined && !req.body.includes('client_id') ? errorResponse(401, 'invalid_client', 'no client', [['WWW-Authenticate', 'Basic realm="token"']]) : undefined,
    };
    for (const profile of ['attesto', 'rfc'] as const) reports[profile] = await runConformance({ ...proxy.config, profile, only: ['auth-none', 'ok-basic'] });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  const authNone = (report: ConformanceReport): CheckResult => report.checks.find((c) => c.id === 'auth-none')!;
  const tableRow = (text: string, level: string) => new RegExp(`^${level}\\s.*$`, 'm').exec(text)![0].trim().split(/\s+/).slice(1).map(Number);

  test('the result keeps its level and records the deciding one', () => {
    const attesto = authNone(reports.attesto!);
    expect(attesto).toMatchObject({ status: 'failed', level: 'MUST', decidingLevel: 'CONTRACT' });
    expect(authNone(reports.rfc!)).toMatchObject({ status: 'warned', level: 'MUST', decidingLevel: 'CONTRACT' });
    // A passing check is counted under its own level.
    expect(reports.attesto!.checks.find((c) => c.id === 'ok-basic')).toMatchObject({ status: 'passed', decidingLevel: 'MUST' });
  });

  test('console: the table counts the failure under CONTRACT, and the details say why', () => {
    const text = formatConsoleSummary(reports.attesto!);
    // columns: passed failed warned skipped xfail xpass inconclusive
    expect(tableRow(text, 'MUST')).toEqual([1, 0, 0, 0, 0, 0, 0]);
    expect(tableRow(text, 'CONTRACT')).toEqual([0, 1, 0, 0, 0, 0, 0]);
    expect(text).toMatch(/^FAIL auth-none \[MUST, failed on CONTRACT\]/m);
    const rfc = formatConsoleSummary(reports.rfc!);
    expect(tableRow(rfc, 'MUST')).toEqual([1, 0, 0, 0, 0, 0, 0]);
    expect(tableRow(rfc, 'CONTRACT')).toEqual([0, 0, 1, 0, 0, 0, 0]);
  });

  test('console, live: each result line shows the deciding level; a pass names its title', async () => {
    let live = '';
    const reporter = new ConsoleReporter({ write: (text: string) => (live += text) }, { color: false });
    for (const [i, check] of reports.attesto!.checks.entries()) reporter.onResult(check, i + 1, reports.attesto!.checks.length);
    const okBasic = reports.attesto!.checks.find((c) => c.id === 'ok-basic')!;
    expect(live).toMatch(/^\[\d\/2\] FAIL  auth-none\s+CONTRACT\s/m);
    expect(live).toContain(`PASS  ok-basic`);
    expect(live).toMatch(new RegExp(`PASS  ok-basic\\s+MUST\\s+\\d+ ms  ${okBasic.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });

  test('json: level stays the check level, decidingLevel is added', () => {
    const checks = (JSON.parse(formatJson(reports.attesto!)) as { checks: Array<Record<string, unknown>> }).checks;
    expect(checks.find((c) => c.id === 'auth-none')).toMatchObject({ level: 'MUST', decidingLevel: 'CONTRACT', status: 'failed' });
    expect(checks.find((c) => c.id === 'ok-basic')).toMatchObject({ level: 'MUST', decidingLevel: 'MUST' });
  });

  test('junit: the failure type is the deciding level', () => {
    expect(formatJunit(reports.attesto!)).toMatch(/name="auth-none \[MUST\][^"]*"[^>]*>\n\s+<failure message="[^"]*" type="CONTRACT">/);
  });

  test('markdown: the table row and the check line', () => {
    const md = formatMarkdown(reports.attesto!);
    expect(md).toMatch(/^\| MUST \| 1 \| 0 \| 0 \| 0 \| 0 \| 0 \| 0 \|$/m);
    expect(md).toMatch(/^\| CONTRACT \| 0 \| 1 \| 0 \| 0 \| 0 \| 0 \| 0 \|$/m);
    expect(md).toMatch(/^\| FAIL \| `auth-none` \| MUST, failed on CONTRACT \|/m);
  });
});
