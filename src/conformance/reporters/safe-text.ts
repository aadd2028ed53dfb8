/**
 * Target text made safe for the places a report goes. Everything a report
 * holds may come from the target (messages quote its answers; findings carry
 * its headers and body), and a hostile target can aim at the reader:
 * - a terminal: ANSI/VT escape sequences (`ESC[2J`, cursor moves, OSC
 *   hyperlinks and title sets), a carriage return overwriting the line, and
 *   bidirectional overrides reordering what is shown (CVE-2021-42574,
 *   "Trojan Source") are replaced by visible escapes such as `\u001b`;
 * - a markdown page (a CI job summary): a body holding ```` ``` ```` must not
 *   close the code block it is shown in (CommonMark §4.5: a closing fence
 *   is at least as long as the opening one), and text in a table cell must not
 *   become markup (an image beacon, a spoofed heading).
 */

/**
 * C0 controls but tab and line feed, DEL, C1 controls, the line and
 * paragraph separators, and the bidirectional embeddings, overrides and
 * isolates (Unicode UAX #9).
 */
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;
const UNSAFE_OR_NEWLINE = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

const visible = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every control and reordering character shown as an escape; line feeds kept unless `oneLine`. */
export function printable(text: string, { oneLine = false } = {}): string {
  return text.replace(oneLine ? UNSAFE_OR_NEWLINE : UNSAFE, visible);
}

/** A deep copy of a JSON-like value with every string, member names included, made printable (line feeds kept). */
export function printableValue<T>(value: T): T {
  return deepMap(value, 0) as T;
}

const MAX_DEPTH = 64;

function deepMap(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return printable(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => deepMap(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [printable(key), deepMap(item, depth + 1)]));
}

/** A fenced code block holding `text` verbatim: the fence is longer than any backtick run inside (and never shorter than three). */
export function fencedBlock(text: string, info = 'text'): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}\n${fence}`;
}

/**
 * Text for a markdown table cell or quote, shown as text: HTML-escaped (no
 * tag, no `</details>`), and the characters inline markup is made of
 * backslash-escaped (CommonMark §2.4: emphasis, code spans, links and
 * images, strikethrough), pipes escaped for the table; one line.
 */
export function markdownText(text: string): string {
  return printable(text, { oneLine: true })
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]!|~]/g, (char) => `\\${char}`);
}
