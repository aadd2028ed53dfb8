/** Markdown for a CI job summary (e.g. $GITHUB_STEP_SUMMARY). */
import type { ConformanceReport } from '../types';
import { rateLimitNote } from './console';
import { STATUS_LABEL, findingLines, formatMs, levelLabel, levelRows, noteworthy, requestText, responseText } from './format';

export function formatMarkdown(report: ConformanceReport): string {
  const { summary } = report;
  const plural = (n: number) => (n === 1 ? '' : 's');
  const verdict =
    summary.failed > 0
      ? `❌ ${summary.failed} failing check${plural(summary.failed)}`
      : summary.inconclusive > 0
        ? `⚠️ no failing check, ${summary.inconclusive} inconclusive (rate limited)`
        : '✅ conformant';
  const out: string[] = [
    `## Token endpoint conformance: ${verdict}`,
    '',
    `Target \`${report.target}\`${report.proxy === undefined ? '' : ` through the proxy \`${report.proxy}\``}, profile \`${report.profile}\`, ${report.tool} ${report.version}, ${formatMs(report.durationMs)}.`,
    '',
    '| level | passed | failed | warned | skipped | expected failures | unexpected passes | inconclusive |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...levelRows(report.checks).map(
      ({ level, counts }) =>
        `| ${level} | ${counts.passed} | ${counts.failed} | ${counts.warned} | ${counts.skipped} | ${counts['expected-failure']} | ${counts['unexpected-pass']} | ${counts.inconclusive} |`,
    ),
    `| **total** | ${summary.passed} | ${summary.failed} | ${summary.warned} | ${summary.skipped} | ${summary.expectedFailures} | ${summary.unexpectedPasses} | ${summary.inconclusive} |`,
    '',
  ];
  const limitedNote = rateLimitNote(summary);
  if (limitedNote) out.push(`> ${limitedNote}`, '');
  const notes = noteworthy(report.checks);
  if (notes.length > 0) {
    out.push('| status | check | level | reference | message |', '|---|---|---|---|---|');
    for (const check of notes) out.push(`| ${STATUS_LABEL[check.status]} | \`${check.id}\` | ${levelLabel(check)} | ${cell(check.reference)} | ${cell(check.message)} |`);
    out.push('');
    for (const check of notes.filter((c) => c.findings.length > 0)) {
      out.push(`<details><summary><code>${check.id}</code> ${escapeHtml(check.title)}</summary>`, '');
      for (const finding of check.findings) {
        out.push('```text', ...findingLines(finding), '```');
        if (finding.exchange) {
          out.push('Request sent:', '```http', requestText(finding.exchange), '```', 'Response:', '```http', responseText(finding.exchange), '```', 'Reproduce:', '```sh', finding.exchange.curl, '```');
        }
      }
      out.push('</details>', '');
    }
  }
  return `${out.join('\n')}\n`;
}

function cell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
