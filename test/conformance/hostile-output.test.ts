/**
 * Issue 17 item 14: what the target sends reaches a terminal and a CI job
 * summary. ANSI escapes, carriage returns and bidi overrides must not reach
 * the terminal raw, and a body holding a code fence or `</details>` must not
 * break out of the markdown report's code block (a spoofed "conformant"
 * heading, an image beacon).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ConsoleReporter, defaultRunClients, formatConsoleSummary, formatMarkdown, runConformance, type ConformanceReport } from '../../src/conformance';
import { fencedBlock, markdownText, printable } from '../../src/conformance/reporters/safe-text';
import { json, startMutatingProxy, withJson, type MutatingProxy } from './support/mutating-proxy';

const SPOOF = '\n```\n</details>\n\n## Token endpoint conformance: ✅ conformant\n\n![beacon](https://attacker.example/pixel.png)\n```\n';
const TERMINAL_ATTACK = '\u001b[2J\u001b[H ALL CHECKS PASSED \u001b]0;pwned\u0007 \rPASS \u202eevil\u202c \u009b31m';

/** Lines of a markdown text outside its fenced code blocks (CommonMark §4.5: a fence closes on a fence at least as long). */
function outsideCode(markdown: string): string[] {
  const out: string[] = [];
  let open: string | undefined;
  for (const line of markdown.split('\n')) {
    const fence = /^(`{3,})/.exec(line)?.[1];
    if (open === undefined) {
      if (fence) open = fence;
      else out.push(line);
    } else if (fence && fence.length >= open.length && line.trim() === fence) {
      open = undefined;
    }
  }
  return out;
}

describe('a target that aims at the reader', () => {
  let proxy: MutatingProxy;
  let report: ConformanceReport;
  let live = '';
  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
    proxy.mutation = {
      response: (res) => {
        const body = json(res);
        if (body?.error === undefined) return undefined;
        return withJson(res, { ...body, error: `invalid_client${TERMINAL_ATTACK}`, error_description: SPOOF });
      },
    };
    const reporter = new ConsoleReporter({ write: (s: string) => (live += s) }, { color: false });
    report = await runConformance({ ...proxy.config, only: ['client-auth', 'transport'] }, { onStart: (i) => reporter.onStart(i), onResult: (r, d, t) => reporter.onResult(r, d, t) });
    reporter.finish(report);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  test('the attack reached the report (the test is not vacuous)', () => {
    expect(JSON.stringify(report)).toContain('ALL CHECKS PASSED');
    expect(JSON.stringify(report)).toContain('\\u001b[2J');
  });

  test('console: no control or reordering character from the target reaches the terminal', () => {
    for (const text of [live, formatConsoleSummary(report)]) {
      expect(text).toContain('\\u001b[2J');
      // eslint-disable-next-line no-control-regex
      expect(text).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/);
    }
  });

  test('markdown: the spoofed heading, the closing tag and the image stay inside code or escaped', () => {
    const md = formatMarkdown(report);
    expect(md).toContain('attacker.example');
    const outside = outsideCode(md);
    expect(outside.filter((l) => l.startsWith('## '))).toEqual([outside.find((l) => l.startsWith('## '))]);
    expect(outside.filter((l) => /!\[/.test(l.replace(/\\!/g, '')))).toEqual([]);
    // Our own </details> lines close our own <details>: one each.
    expect(outside.filter((l) => l.includes('</details>')).length).toBe(outside.filter((l) => l.startsWith('<details>')).length);
    expect(md).not.toMatch(/\u001b/);
  });
});

describe('the helpers', () => {
  test('printable escapes controls, keeps tabs and (unless oneLine) line feeds', () => {
    expect(printable('a\u001b[2Jb\rc\td\ne')).toBe('a\\u001b[2Jb\\u000dc\td\ne');
    expect(printable('a\nb', { oneLine: true })).toBe('a\\u000ab');
    expect(printable('\u202egnp.exe')).toBe('\\u202egnp.exe');
  });

  test('a fence is longer than any backtick run in its text', () => {
    expect(fencedBlock('a ``` b ````` c')).toMatch(/^`{6}text\n[\s\S]*\n`{6}$/);
    expect(fencedBlock('plain')).toBe('```text\nplain\n```');
  });

  test('markdown cell text carries no markup', () => {
    expect(markdownText('![x](http://e/p.png) <img src=x> | *b* `c`')).toBe('\\!\\[x\\](http://e/p.png) &lt;img src=x&gt; \\| \\*b\\* \\`c\\`');
  });
});
