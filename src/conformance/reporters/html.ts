/**
 * The HTML report: one self-contained file a person opens in a browser. No
 * script, no stylesheet or font or image fetched from anywhere (a Content
 * Security Policy of `default-src 'none'` says so to the browser too): the
 * styles are inline, the picture is made of boxes, and the expandable parts
 * are native `<details>`.
 *
 * Everything the target said reaches the page only as text: made printable
 * (safe-text.ts), then HTML-escaped, so a hostile answer (a `<script>`, an
 * `<img onerror>`, a closing `</pre>`) is shown, never run. Secrets were
 * redacted by the run before any reporter sees the report.
 */
import type { CheckResult, CheckStatus, ConformanceReport, ExchangeView, Finding } from '../types';
import { LEVELS } from '../types';
import { policyWords } from '../profiles';
import { sharedCauses } from './causes';
import { rateLimitNote, rateLimitedCount } from './console';
import { STATUS_LABEL, discoveryLine, formatMs, interruptedNote, levelLabel, levelRows, policyOf, requestText, responseText, verdictOf } from './format';
import { printable, printableValue } from './safe-text';

/** The statuses a bar shows, in the order of its segments, with the words of its legend. */
const BAR_SEGMENTS: ReadonlyArray<readonly [CheckStatus, string]> = [
  ['passed', 'passed'],
  ['failed', 'failed'],
  ['warned', 'warned'],
  ['expected-failure', 'expected failure'],
  ['unexpected-pass', 'unexpected pass'],
  ['inconclusive', 'inconclusive'],
  ['skipped', 'skipped'],
];

/** The sections of checks, most urgent first. */
const SECTIONS: ReadonlyArray<{ id: string; title: string; statuses: readonly CheckStatus[]; open: boolean }> = [
  { id: 'failures', title: 'Failures', statuses: ['failed'], open: false },
  { id: 'unexpected-passes', title: 'Unexpected passes (remove them from the expected failures)', statuses: ['unexpected-pass'], open: false },
  { id: 'warnings', title: 'Warnings', statuses: ['warned'], open: false },
  { id: 'expected-failures', title: 'Expected failures', statuses: ['expected-failure'], open: false },
  { id: 'inconclusive', title: 'Inconclusive', statuses: ['inconclusive'], open: false },
];

export function formatHtml(unsafe: ConformanceReport): string {
  const report = printableValue(unsafe);
  const { words: verdict, tone } = verdictOf(report);
  const body = [
    header(report, verdict),
    chart(report),
    notes(report),
    causesSection(report),
    ...SECTIONS.map((section) => checksSection(section, report.checks.filter((c) => section.statuses.includes(c.status)))),
    skippedSection(report.checks.filter((c) => c.status === 'skipped')),
    passedSection(report.checks.filter((c) => c.status === 'passed')),
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>${text(`Token endpoint conformance: ${verdict}`)}</title>
<style>${STYLE}</style>
</head>
<body class="verdict-${tone}">
${body}
<footer>${text(`${report.tool} ${report.version}`)} · started ${text(report.startedAt)} · ${text(formatMs(report.durationMs))}</footer>
</body>
</html>
`;
}

function header(report: ConformanceReport, verdict: string): string {
  const { summary } = report;
  const counts: Array<[string, number, string]> = [
    ['passed', summary.passed, 'passed'],
    ['failed', summary.failed, 'failed'],
    ['warned', summary.warned, 'warned'],
    ['skipped', summary.skipped, 'skipped'],
    ['expected failures', summary.expectedFailures, 'expected-failure'],
    ['unexpected passes', summary.unexpectedPasses, 'unexpected-pass'],
    ['inconclusive', summary.inconclusive, 'inconclusive'],
  ];
  return `<header>
<h1>Token endpoint conformance: <span class="verdict">${text(verdict)}</span></h1>
<dl class="run">
<dt>Target</dt><dd><code>${text(report.target)}</code>${report.proxy === undefined ? '' : ` through the proxy <code>${text(report.proxy)}</code>`}</dd>
<dt>Profile</dt><dd><code>${text(report.profile)}</code>: ${text(policyWords(policyOf(report)))}</dd>
${report.discovery === undefined ? '' : `<dt>Discovery</dt><dd>${text(discoveryLine(report.discovery))}</dd>`}
</dl>
<ul class="totals" aria-label="totals">
<li class="total"><span class="count" data-count="total">${summary.total}</span> checks</li>
${counts.map(([words, n, status]) => `<li class="status-${status}"><span class="count" data-count="${status}">${n}</span> ${text(words)}</li>`).join('\n')}
</ul>
</header>`;
}

/** A bar per level: one segment per status, as wide as its share of that level's checks. */
function chart(report: ConformanceReport): string {
  const rows = levelRows(report.checks).filter((row) => Object.values(row.counts).some((n) => n > 0));
  const bars = rows.map(({ level, counts }) => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const segments = BAR_SEGMENTS.filter(([status]) => counts[status] > 0)
      .map(([status, words]) => `<span class="segment bg-${status}" style="width:${((counts[status] / total) * 100).toFixed(2)}%" title="${text(`${level}: ${counts[status]} ${words}`)}">${counts[status]}</span>`)
      .join('');
    const legend = BAR_SEGMENTS.filter(([status]) => counts[status] > 0)
      .map(([status, words]) => `${counts[status]} ${words}`)
      .join(', ');
    return `<div class="bar-row" data-level="${level}"><span class="bar-label">${level}</span><span class="bar" role="img" aria-label="${text(`${level}: ${legend}`)}">${segments}</span><span class="bar-legend">${text(legend)}</span></div>`;
  });
  const key = BAR_SEGMENTS.map(([status, words]) => `<span class="key"><span class="swatch bg-${status}"></span>${text(words)}</span>`).join(' ');
  return `<section id="chart" aria-label="results by level">
<h2>By level</h2>
${bars.join('\n')}
<p class="chart-key">${key}</p>
</section>`;
}

function notes(report: ConformanceReport): string {
  const lines = [rateLimitNote(report.summary, rateLimitedCount(report)), interruptedNote(report)].filter((line): line is string => line !== undefined);
  return lines.map((line) => `<p class="note">${text(line)}</p>`).join('\n');
}

/** Failures that share one answer: said once, with the checks named (reporters/causes.ts). */
function causesSection(report: ConformanceReport): string {
  const { causes } = sharedCauses(report.checks.filter((c) => c.status === 'failed' || c.status === 'warned'));
  if (causes.length === 0) return '';
  const items = causes.map((cause) => `<li><strong>${text(cause.summary)}</strong>: ${cause.checks.map((c) => `<a href="#check-${attr(c.id)}"><code>${text(c.id)}</code></a>`).join(', ')}</li>`);
  return `<section id="causes"><h2>Shared causes</h2><ul>${items.join('')}</ul></section>`;
}

function checksSection(section: (typeof SECTIONS)[number], checks: readonly CheckResult[]): string {
  if (checks.length === 0) return '';
  return `<section id="${section.id}">
<h2>${text(section.title)} <span class="section-count">(${checks.length})</span></h2>
${checks.map((check) => checkDetails(check, section.open)).join('\n')}
</section>`;
}

function checkDetails(check: CheckResult, open: boolean): string {
  const findings = check.findings.map(findingBlock).join('\n');
  return `<details class="check status-${check.status}" id="check-${attr(check.id)}"${open ? ' open' : ''}>
<summary><span class="badge bg-${check.status}">${STATUS_LABEL[check.status]}</span> <code class="check-id">${text(check.id)}</code> <span class="level">[${text(levelLabel(check))}]</span> <span class="title">${text(check.title)}</span></summary>
<div class="check-body">
<p class="message">${text(check.message)}</p>
<p class="reference">Reference: ${referenceLinks(check.reference)}</p>
${findings}
</div>
</details>`;
}

function findingBlock(finding: Finding): string {
  const rows: string[] = [];
  if (finding.expected !== undefined) rows.push(`<tr><th scope="row">expected</th><td><code>${text(finding.expected)}</code></td></tr>`);
  if (finding.received !== undefined) rows.push(`<tr><th scope="row">received</th><td><code>${text(finding.received)}</code></td></tr>`);
  if (finding.reference) rows.push(`<tr><th scope="row">see</th><td>${referenceLinks(finding.reference)}</td></tr>`);
  if (finding.hint) rows.push(`<tr><th scope="row">hint</th><td>${text(finding.hint)}</td></tr>`);
  return `<div class="finding level-${finding.level}">
<p class="finding-message"><span class="finding-level">${finding.level}</span> ${text(finding.message)}</p>
${rows.length > 0 ? `<table class="expected-received">${rows.join('')}</table>` : ''}
${finding.exchange === undefined ? '' : exchangeBlock(finding.exchange)}
</div>`;
}

function exchangeBlock(exchange: ExchangeView): string {
  return `<div class="exchange">
<h4>Request sent (secrets redacted)</h4>
<pre class="request">${text(requestText(exchange))}</pre>
<h4>Response</h4>
<pre class="response">${text(responseText(exchange))}</pre>
<h4>Reproduce</h4>
<pre class="curl">${text(exchange.curl)}</pre>
</div>`;
}

function skippedSection(checks: readonly CheckResult[]): string {
  if (checks.length === 0) return '';
  const rows = checks.map((c) => `<tr id="check-${attr(c.id)}"><td><code>${text(c.id)}</code></td><td>${c.level}</td><td>${text(c.message)}</td></tr>`);
  return `<section id="skipped">
<h2>Skipped <span class="section-count">(${checks.length})</span></h2>
<table class="skipped"><thead><tr><th scope="col">check</th><th scope="col">level</th><th scope="col">why</th></tr></thead><tbody>${rows.join('')}</tbody></table>
</section>`;
}

function passedSection(checks: readonly CheckResult[]): string {
  if (checks.length === 0) return '';
  const items = checks.map((c) => `<li id="check-${attr(c.id)}"><code>${text(c.id)}</code> <span class="level">[${c.level}]</span> ${text(c.title)} <span class="reference">(${referenceLinks(c.reference)})</span></li>`);
  return `<section id="passed"><details><summary><h2>Passed <span class="section-count">(${checks.length})</span></h2></summary><ul class="passed">${items.join('')}</ul></details></section>`;
}

/**
 * A reference such as `RFC 6749 §5.2, §3.2; RFC 9110 §15.5.6; attesto
 * contract` with each RFC and section as a link to the RFC Editor's page
 * (`#section-5.2`): a section belongs to the RFC named last before it.
 * The rest stays text. Links are for the reader to follow; the page loads
 * nothing.
 */
export function referenceLinks(reference: string): string {
  // A semicolon separates sources: a section never belongs to an RFC named before the last semicolon.
  return reference
    .split(';')
    .map((source) => {
      let rfc: string | undefined;
      let last = 0;
      const out: string[] = [];
      for (const match of source.matchAll(/\b(RFC|BCP) ?(\d{1,5})\b|§\s?(\d+(?:\.\d+)*)/g)) {
        out.push(text(source.slice(last, match.index)));
        last = match.index + match[0].length;
        if (match[1] === 'RFC') {
          rfc = match[2]!;
          out.push(`<a href="https://www.rfc-editor.org/rfc/rfc${rfc}">${text(match[0])}</a>`);
        } else if (match[1] === 'BCP') {
          rfc = undefined;
          out.push(`<a href="https://www.rfc-editor.org/info/bcp${match[2]}">${text(match[0])}</a>`);
        } else if (rfc !== undefined) {
          out.push(`<a href="https://www.rfc-editor.org/rfc/rfc${rfc}#section-${match[3]}">${text(match[0])}</a>`);
        } else out.push(text(match[0]));
      }
      out.push(text(source.slice(last)));
      return out.join('');
    })
    .join(';');
}

/** Text for an element's content: printable, then HTML-escaped. */
function text(value: string): string {
  return printable(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A value for an attribute that names an element (an id): only the characters check ids are made of. */
function attr(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_');
}

const STYLE = `
:root{--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--skip:#8c959f;--xfail:#8250df;--xpass:#0969da;--incon:#0550ae;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#ffffff;--panel:#f6f8fa}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg);margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:1.6em;margin:0 0 .4em}h2{font-size:1.2em;margin:1.6em 0 .6em;border-bottom:1px solid var(--line);padding-bottom:.2em}h4{margin:.8em 0 .2em;font-size:.9em;color:var(--muted)}
.verdict-ok .verdict{color:var(--pass)}.verdict-failing .verdict{color:var(--fail)}.verdict-inconclusive .verdict,.verdict-interrupted .verdict{color:var(--warn)}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0 0 1em}dl.run dt{font-weight:600;color:var(--muted)}dl.run dd{margin:0;overflow-wrap:anywhere}
ul.totals{display:flex;flex-wrap:wrap;gap:.5em;list-style:none;padding:0;margin:0}ul.totals li{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.3em .7em}ul.totals .count{font-weight:700;font-size:1.2em;margin-right:.2em}
.bar-row{display:grid;grid-template-columns:6em 1fr 18em;align-items:center;gap:.8em;margin:.4em 0}.bar-label{font-weight:600}
.bar{display:flex;height:1.6em;border-radius:4px;overflow:hidden;background:var(--panel);border:1px solid var(--line)}
.segment{display:flex;align-items:center;justify-content:center;color:#fff;font-size:.8em;font-weight:600;min-width:1.4em;overflow:hidden}
.bar-legend{font-size:.85em;color:var(--muted)}.chart-key{font-size:.85em;color:var(--muted)}.key{margin-right:.9em;white-space:nowrap}.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.3em;vertical-align:-1px}
.bg-passed{background:var(--pass)}.bg-failed{background:var(--fail)}.bg-warned{background:var(--warn)}.bg-skipped{background:var(--skip)}.bg-expected-failure{background:var(--xfail)}.bg-unexpected-pass{background:var(--xpass)}.bg-inconclusive{background:var(--incon)}
ul.totals li.status-failed .count{color:var(--fail)}ul.totals li.status-passed .count{color:var(--pass)}ul.totals li.status-warned .count{color:var(--warn)}
details.check{border:1px solid var(--line);border-left-width:4px;border-radius:6px;margin:.5em 0;background:var(--bg)}details.check.status-failed{border-left-color:var(--fail)}details.check.status-warned{border-left-color:var(--warn)}details.check.status-unexpected-pass{border-left-color:var(--xpass)}details.check.status-expected-failure{border-left-color:var(--xfail)}details.check.status-inconclusive{border-left-color:var(--incon)}
details.check>summary{cursor:pointer;padding:.5em .8em;list-style-position:inside}details.check[open]>summary{border-bottom:1px solid var(--line);background:var(--panel)}
.badge{display:inline-block;color:#fff;border-radius:4px;padding:0 .45em;font-size:.8em;font-weight:700;letter-spacing:.03em}
.check-id{font-weight:600}.level{color:var(--muted);font-size:.9em}.check-body{padding:.6em .9em}
.finding{border-top:1px dashed var(--line);padding-top:.5em;margin-top:.5em}.finding-level{font-weight:700;font-size:.8em;border:1px solid var(--line);border-radius:3px;padding:0 .3em}
table{border-collapse:collapse}table.expected-received th{text-align:left;padding:.2em .8em .2em 0;color:var(--muted);vertical-align:top}table.expected-received td{padding:.2em 0}
table.skipped{width:100%}table.skipped th,table.skipped td{border-bottom:1px solid var(--line);padding:.3em .6em;text-align:left;vertical-align:top}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.6em .8em;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85em}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em;overflow-wrap:anywhere}
a{color:var(--xpass)}.note{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.5em .8em}
#passed summary h2{display:inline;border:0}ul.passed{columns:1;padding-left:1.2em}
footer{margin-top:2em;color:var(--muted);font-size:.85em;border-top:1px solid var(--line);padding-top:.6em}
`;
