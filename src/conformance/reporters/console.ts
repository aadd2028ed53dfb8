/**
 * The console reporter: one line per finished check as the run goes (a
 * pass with the check's title, anything else with why), then the failures
 * that share one answer once per answer (causes.ts), then each other failure and warning with
 * what was sent (redacted), what came back, what was expected, the RFC
 * section and a `curl` command that reproduces it (secrets as placeholders).
 */
import type { CheckResult, CheckStatus, ConformanceReport, ExchangeView } from '../types';
import type { StartInfo } from '../runner';
import { CHECKS } from '../checks';
import { describePolicy } from '../profiles';
import { describeAnswer, sharedCauses, type SharedCause } from './causes';
import { printable, printableValue } from './safe-text';
import { STATUS_LABEL, decidingLevelOf, failingCount, findingLines, formatMs, interruptedNote, levelLabel, levelRows, noteworthy, policyOf, requestText, responseText } from './format';

/** The id column: as wide as the longest check id of the catalogue, so the columns line up. */
const ID_WIDTH = Math.max(...CHECKS.map((c) => c.id.length));

export interface ConsoleReporterOptions {
  /** ANSI colours (default: `colorFor('auto', process.env, stream)`). */
  color?: boolean;
}

/** `--color`: always, never, or auto (the environment and the stream decide). */
export const COLOR_MODES = ['always', 'never', 'auto'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

/**
 * Whether to paint: `always` and `never` as said; `auto` paints a TTY,
 * unless NO_COLOR is set (no-color.org: the user's standing wish, it wins),
 * and FORCE_COLOR (set, and not `0` or `false`) paints a stream that is no
 * TTY, such as a CI log.
 */
export function colorFor(mode: ColorMode, env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): boolean {
  if (mode !== 'auto') return mode === 'always';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true;
}

interface Writable {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

const COLORS: Record<CheckStatus, string> = {
  passed: '32',
  failed: '31',
  warned: '33',
  skipped: '90',
  'expected-failure': '35',
  'unexpected-pass': '36',
  inconclusive: '34',
};

export class ConsoleReporter {
  private readonly color: boolean;

  constructor(
    private readonly out: Writable,
    options: ConsoleReporterOptions = {},
  ) {
    this.color = options.color ?? colorFor('auto', process.env, out);
  }

  onStart(start: StartInfo): void {
    // The target's own words (a redirect's Location in the warning) reach a terminal: no control character passes.
    const info = printableValue(start);
    const where = info.referenceServer ? `the reference server at ${info.target}` : info.target;
    this.out.write(`Token endpoint conformance: ${info.total} checks against ${where} (profile ${info.profile})\n`);
    if (info.proxy) this.out.write(`(through the proxy ${info.proxy.url}${info.proxy.source === 'config' ? '' : `, from ${info.proxy.source}`})\n`);
    if (info.referenceServer) {
      const nonce = info.dpopNonce ? 'it requires DPoP nonces' : 'it does not require DPoP nonces';
      this.out.write(`(started for this run: ${nonce}; dpop-disabled runs against a second one with DPoP off)\n`);
    }
    if (info.warning) this.out.write(`${this.paint('33', 'warning:')} ${info.warning}\n`);
    this.out.write('\n');
  }

  onResult(unsafe: CheckResult, done: number, total: number): void {
    const result = printableValue(unsafe);
    const width = String(total).length;
    const counter = this.paint('90', `[${String(done).padStart(width)}/${total}]`);
    const label = this.paint(COLORS[result.status], STATUS_LABEL[result.status].padEnd(5));
    // A pass says what was shown; anything else says why. The level is the one that decided the status.
    const note = result.status === 'passed' ? result.title : this.paint('90', printable(result.message, { oneLine: true }));
    this.out.write(`${counter} ${label} ${result.id.padEnd(ID_WIDTH)} ${decidingLevelOf(result).padEnd(8)} ${formatMs(result.durationMs).padStart(7)}  ${note}\n`);
  }

  finish(report: ConformanceReport): void {
    this.out.write(formatConsoleSummary(report, (code, text) => this.paint(code, text)));
  }

  private paint(code: string, text: string): string {
    return this.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }
}

/** The summary and failure details, as printed after the run. */
export function formatConsoleSummary(unsafe: ConformanceReport, paint: (code: string, text: string) => string = (_c, t) => t): string {
  // Every string may quote the target: none may carry a control character to the terminal (safe-text.ts).
  const report = printableValue(unsafe);
  const lines: string[] = [''];
  const { causes, alone } = sharedCauses(noteworthy(report.checks));
  for (const cause of causes) lines.push(formatSharedCause(cause, paint), '');
  for (const check of alone) lines.push(formatCheckDetails(check, paint), '');
  // Each result under the level that decided it: a MUST check failed by a CONTRACT finding is a CONTRACT failure.
  const header = ['level', 'passed', 'failed', 'warned', 'skipped', 'xfail', 'xpass', 'inconclusive'];
  const rows: Array<Array<string | number>> = levelRows(report.checks).map(({ level, counts }) => [
    level,
    counts.passed,
    counts.failed,
    counts.warned,
    counts.skipped,
    counts['expected-failure'],
    counts['unexpected-pass'],
    counts.inconclusive,
  ]);
  const { summary } = report;
  rows.push(['total', summary.passed, summary.failed, summary.warned, summary.skipped, summary.expectedFailures, summary.unexpectedPasses, summary.inconclusive]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const row = (cells: Array<string | number>) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ');
  lines.push(row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(row));
  if (summary.expectedFailures + summary.unexpectedPasses > 0) lines.push('xfail: listed in the expected failures and still failing; xpass: listed but passing now (remove it from the list)');
  if (summary.inconclusive > 0) lines.push('inconclusive: no verdict: the target answered 429 or 503 even after one resend, or what came back cannot be judged (each check\'s line says why)');
  const limitedNote = rateLimitNote(summary, rateLimitedCount(report));
  if (limitedNote) lines.push(paint('33', limitedNote));
  const stopped = interruptedNote(report);
  if (stopped) lines.push(paint('33', stopped));
  lines.push('');
  const failingChecks = failingCount(report);
  const failing = failingChecks === 0 ? 'no failing check' : `${failingChecks} failing check${failingChecks === 1 ? '' : 's'}`;
  const verdict = report.interrupted ? paint('33', `interrupted, ${failing} among those that finished`) : failingChecks === 0 ? paint('32', failing) : paint('31', failing);
  lines.push(`${verdict} (${describePolicy(policyOf(report))}) in ${formatMs(report.durationMs)}`, '');
  return lines.join('\n');
}

/** Above this share of the checks that ran, the summary suggests a lower concurrency. */
export const RATE_LIMIT_NOTE_SHARE = 0.1;

/** How many inconclusive checks were rate limited (RateLimited's message; the others could not be judged for another reason). */
export function rateLimitedCount(report: Pick<ConformanceReport, 'checks'>): number {
  return report.checks.filter((c) => c.status === 'inconclusive' && c.message.startsWith('rate limited')).length;
}

/** One line when more than RATE_LIMIT_NOTE_SHARE of the checks that ran were rate limited (inconclusive). */
export function rateLimitNote(summary: ConformanceReport['summary'], rateLimited = summary.inconclusive): string | undefined {
  const ran = summary.total - summary.skipped;
  if (rateLimited === 0 || rateLimited <= ran * RATE_LIMIT_NOTE_SHARE) return undefined;
  const n = rateLimited;
  return `${n} check${n === 1 ? ' was' : 's were'} rate limited (429 or 503 even after one resend): pace the run with --rate N, N requests per second below the server's limit (or a lower --concurrency)`;
}

/**
 * Checks that fail on one and the same answer (causes.ts): the cause in one
 * line, each check with its findings, then the answer once, with the request
 * that got it and a curl line.
 */
export function formatSharedCause(cause: SharedCause, paint: (code: string, text: string) => string = (_c, t) => t): string {
  const lines = [paint(COLORS.failed, cause.summary)];
  for (const check of cause.checks) {
    lines.push(`  ${paint(COLORS[check.status], STATUS_LABEL[check.status])} ${check.id} [${levelLabel(check)}] ${check.title} (${check.reference})`);
    for (const finding of check.findings) {
      // A finding about the shared answer: what was wrong and what was expected (what was received is the answer shown below).
      if (finding.exchange === undefined || describeAnswer(finding.exchange) === cause.answer) {
        lines.push(`      [${finding.level}] ${finding.message}`);
        if (finding.expected !== undefined && !finding.message.includes(finding.expected)) lines.push(`        expected: ${finding.expected}`);
      } else {
        // About another answer: in full, as any failure.
        lines.push(...findingLines(finding).map((l) => `      ${l}`), ...exchangeLines(finding.exchange, 6));
      }
    }
  }
  const first = cause.checks[0]!;
  lines.push('', `  the answer, as ${first.id} got it:`, ...exchangeLines(cause.example, 2));
  return lines.join('\n');
}

function exchangeLines(exchange: ExchangeView, spaces: number): string[] {
  const pad = ' '.repeat(spaces);
  return [`${pad}request sent:`, indent(requestText(exchange), spaces + 2), `${pad}response:`, indent(responseText(exchange), spaces + 2), `${pad}reproduce:`, indent(exchange.curl, spaces + 2)];
}

/**
 * One non-passing check as the summary explains it: the status line, the
 * reference, and each finding with the request sent, the response and a
 * curl line (the Jest entry uses it as a failing test's message).
 */
export function formatCheckDetails(unsafe: CheckResult, paint: (code: string, text: string) => string = (_c, t) => t): string {
  const check = printableValue(unsafe);
  const lines = [paint(COLORS[check.status], `${STATUS_LABEL[check.status]} ${check.id} [${levelLabel(check)}] ${check.title}`), `  ${check.reference}`];
  if (check.status === 'unexpected-pass' || check.status === 'inconclusive') lines.push(`  ${check.message}`);
  for (const finding of check.findings) {
    lines.push('', ...findingLines(finding).map((l) => `  ${l}`));
    if (finding.exchange) lines.push(...exchangeLines(finding.exchange, 2));
  }
  return lines.join('\n');
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
