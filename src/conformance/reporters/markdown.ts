/** Markdown for a CI job summary (e.g. $GITHUB_STEP_SUMMARY). */
import type { ConformanceReport } from '../types';
import { sharedCauses } from './causes';
import { rateLimitNote, rateLimitedCount } from './console';
import { fencedBlock, markdownText, printableValue } from './safe-text';
import { STATUS_LABEL, discoveryLine, findingLines, interruptedNote, formatMs, levelLabel, levelRows, noteworthy, policyOf, requestText, responseText, verdictOf } from './format';
import { policyWords } from '../profiles';

export function formatMarkdown(unsafe: ConformanceReport): string {
  // Target text never becomes markup: controls escaped, cells escaped, code fenced by a fence it cannot close (safe-text.ts).
  const report = printableValue(unsafe);
  const { summary } = report;
  const plural = (n: number) => (n === 1 ? '' : 's');
  const { words, tone } = verdictOf(report);
  const verdict = `${VERDICT_MARK[tone]} ${words}`;
  const out: string[] = [
    `## Token endpoint conformance: ${verdict}`,
    '',
    `Target ${markdownText(report.target)}${report.proxy === undefined ? '' : ` through the proxy ${markdownText(report.proxy)}`}, profile \`${report.profile}\` (${markdownText(policyWords(policyOf(report)))}), ${report.tool} ${report.version}, ${formatMs(report.durationMs)}.`,
    '',
    ...(report.discovery === undefined ? [] : [markdownText(discoveryLine(report.discovery)), '']),
    '| level | passed | failed | warned | skipped | expected failures | unexpected passes | inconclusive |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...levelRows(report.checks).map(
      ({ level, counts }) =>
        `| ${level} | ${counts.passed} | ${counts.failed} | ${counts.warned} | ${counts.skipped} | ${counts['expected-failure']} | ${counts['unexpected-pass']} | ${counts.inconclusive} |`,
    ),
    `| **total** | ${summary.passed} | ${summary.failed} | ${summary.warned} | ${summary.skipped} | ${summary.expectedFailures} | ${summary.unexpectedPasses} | ${summary.inconclusive} |`,
    '',
  ];
  const limitedNote = rateLimitNote(summary, rateLimitedCount(report));
  if (limitedNote) out.push(`> ${limitedNote}`, '');
  const stopped = interruptedNote(report);
  if (stopped) out.push(`> ${stopped}`, '');
  const notes = noteworthy(report.checks);
  for (const cause of sharedCauses(notes).causes) {
    out.push(`> **${cell(cause.summary)}**: ${cause.checks.map((c) => `\`${c.id}\``).join(', ')}`, '');
  }
  if (notes.length > 0) {
    out.push('| status | check | level | reference | message |', '|---|---|---|---|---|');
    for (const check of notes) out.push(`| ${STATUS_LABEL[check.status]} | \`${check.id}\` | ${levelLabel(check)} | ${cell(check.reference)} | ${cell(check.message)} |`);
    out.push('');
    for (const check of notes.filter((c) => c.findings.length > 0)) {
      out.push(`<details><summary><code>${check.id}</code> ${escapeHtml(check.title)}</summary>`, '');
      for (const finding of check.findings) {
        out.push(fencedBlock(findingLines(finding).join('\n')));
        if (finding.exchange) {
          out.push('Request sent:', fencedBlock(requestText(finding.exchange), 'http'), 'Response:', fencedBlock(responseText(finding.exchange), 'http'), 'Reproduce:', fencedBlock(finding.exchange.curl, 'sh'));
        }
      }
      out.push('</details>', '');
    }
  }
  // Skipped checks with their reasons: what this run could not judge, and what the configuration would need.
  const skipped = report.checks.filter((c) => c.status === 'skipped');
  if (skipped.length > 0) {
    out.push(`<details><summary>${skipped.length} skipped check${plural(skipped.length)}</summary>`, '', '| check | level | why |', '|---|---|---|');
    for (const check of skipped) out.push(`| \`${check.id}\` | ${check.level} | ${cell(check.message)} |`);
    out.push('', '</details>', '');
  }
  return `${out.join('\n')}\n`;
}

const cell = markdownText;

const VERDICT_MARK = { interrupted: '⏹️', failing: '❌', inconclusive: '⚠️', ok: '✅' } as const;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
