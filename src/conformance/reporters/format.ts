/** Small text helpers shared by the reporters. */
import { INTERRUPTED_MESSAGE } from '../interrupt';
import { defaultFailOn } from '../profiles';
import type { CheckResult, CheckStatus, ConformanceReport, DiscoveryInfo, ExchangeView, FailurePolicy, Finding, Level } from '../types';
import { LEVELS } from '../types';

export const STATUS_LABEL: Record<CheckStatus, string> = {
  passed: 'PASS',
  failed: 'FAIL',
  warned: 'WARN',
  skipped: 'SKIP',
  'expected-failure': 'XFAIL',
  'unexpected-pass': 'XPASS',
  inconclusive: 'INCON',
};

export interface LevelRow {
  level: Level;
  counts: Record<CheckStatus, number>;
}

/** The level a result counts under: the one that decided its status (see CheckResult.decidingLevel). */
export function decidingLevelOf(check: CheckResult): Level {
  return check.decidingLevel ?? check.level;
}

/**
 * The summary table grouped by level: each result under the level that
 * decided its status, so a MUST check failed only by a CONTRACT finding
 * counts as a CONTRACT failure, not a MUST one.
 */
export function levelRows(checks: readonly CheckResult[]): LevelRow[] {
  return LEVELS.map((level) => {
    const counts = { passed: 0, failed: 0, warned: 0, skipped: 0, 'expected-failure': 0, 'unexpected-pass': 0, inconclusive: 0 } as Record<CheckStatus, number>;
    for (const check of checks) if (decidingLevelOf(check) === level) counts[check.status] += 1;
    return { level, counts };
  });
}

/** `MUST`, or `MUST, failed on CONTRACT` when a lower-level finding decided the status. */
export function levelLabel(check: CheckResult): string {
  const decided = decidingLevelOf(check);
  return decided === check.level ? check.level : `${check.level}, ${STATUS_VERB[check.status]} on ${decided}`;
}

const STATUS_VERB: Record<CheckStatus, string> = {
  passed: 'passed',
  failed: 'failed',
  warned: 'warned',
  skipped: 'skipped',
  'expected-failure': 'failing',
  'unexpected-pass': 'passing',
  inconclusive: 'inconclusive',
};

/** Non-passing checks worth explaining, failures first, inconclusive ones last. */
export function noteworthy(checks: readonly CheckResult[]): CheckResult[] {
  const order: CheckStatus[] = ['failed', 'unexpected-pass', 'expected-failure', 'warned', 'inconclusive'];
  return order.flatMap((status) => checks.filter((c) => c.status === status));
}

/** The request as sent (redacted), as HTTP/1.1 text. */
export function requestText(exchange: ExchangeView): string {
  const { request } = exchange;
  const url = new URL(request.url);
  const lines = [`${request.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, ...request.headers.map(([n, v]) => `${n}: ${v}`)];
  if (request.body !== undefined) lines.push('', request.body);
  return lines.join('\n');
}

/** The response (redacted), status, the headers that matter to the contract, and the body. */
export function responseText(exchange: ExchangeView): string {
  const res = exchange.response;
  if (!res) return '(no response)';
  const interesting = ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'dpop-nonce', 'allow'];
  const lines = [`HTTP ${res.status}`, ...interesting.filter((n) => res.headers[n] !== undefined).map((n) => `${n}: ${res.headers[n]}`)];
  if (res.body !== undefined) lines.push('', typeof res.body === 'string' ? truncate(res.body, 500) : JSON.stringify(res.body));
  return lines.join('\n');
}

export function findingLines(finding: Finding): string[] {
  const lines = [`[${finding.level}] ${finding.message}`];
  if (finding.expected !== undefined) lines.push(`expected: ${finding.expected}`);
  if (finding.received !== undefined) lines.push(`received: ${finding.received}`);
  if (finding.reference) lines.push(`see: ${finding.reference}`);
  if (finding.hint) lines.push(`hint: ${finding.hint}`);
  return lines;
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The checks a stopped run did not run (or cut short). */
export function interruptedCount(report: ConformanceReport): number {
  return report.interrupted ? report.checks.filter((c) => c.status === 'skipped' && c.message === INTERRUPTED_MESSAGE).length : 0;
}

/** One line on a stopped run, for every reporter. */
export function interruptedNote(report: ConformanceReport): string | undefined {
  if (!report.interrupted) return undefined;
  const n = interruptedCount(report);
  return `run interrupted: ${n} check${n === 1 ? ' was' : 's were'} not run or cut short; the verdict covers only the checks that finished`;
}

/** The run header's line about discovery: which values came from the metadata and which the config kept over it. */
export function discoveryLine(info: DiscoveryInfo): string {
  if (info.unusable !== undefined) return `Issuer ${info.issuer}: its metadata cannot be used, nothing taken from it (${info.unusable})`;
  const taken = info.origins.filter((o) => o.source === 'metadata').map((o) => `${o.member} (${o.from})`);
  const kept = info.origins.filter((o) => o.source === 'config').map((o) => `${o.member} (over ${o.from})`);
  const given = kept.length > 0 ? `; given, not from the metadata: ${kept.join(', ')}` : '';
  const ignored = info.origins.filter((o) => o.source === 'ignored').map((o) => `${o.from} (${o.why ?? 'not usable'})`);
  const notUsed = ignored.length > 0 ? `; not used: ${ignored.join(', ')}` : '';
  return `Issuer ${info.issuer}: from its metadata at ${info.metadataUrl}: ${taken.length > 0 ? taken.join(', ') : 'nothing'}${given}${notUsed}`;
}

/**
 * The policy a report was judged under: the report's, or for a report
 * saved by an older version (no `policy`), the profile's default.
 */
export function policyOf(report: Pick<ConformanceReport, 'profile'> & { policy?: FailurePolicy }): FailurePolicy {
  return report.policy ?? { profile: report.profile, failOn: defaultFailOn(report.profile), strictExpected: false };
}

/** How many checks fail the run (`summary.failing`; `failed` in a report of an older version). */
export function failingCount(report: Pick<ConformanceReport, 'summary'>): number {
  return report.summary.failing ?? report.summary.failed;
}

/** The run's verdict in a few words and its tone, for every reporter's headline. */
export function verdictOf(report: ConformanceReport): { words: string; tone: 'interrupted' | 'failing' | 'inconclusive' | 'ok' } {
  const failing = failingCount(report);
  const checks = `${failing} failing check${failing === 1 ? '' : 's'}`;
  if (report.interrupted) return { words: `interrupted${failing > 0 ? `, ${checks}` : ''}`, tone: 'interrupted' };
  if (failing > 0) return { words: checks, tone: 'failing' };
  if (report.summary.inconclusive > 0) return { words: `no failing check, ${report.summary.inconclusive} inconclusive (rate limited)`, tone: 'inconclusive' };
  return { words: 'conformant', tone: 'ok' };
}
