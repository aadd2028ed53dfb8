/**
 * Encoders a red team saw hostile targets echo secrets in, written
 * independently of src/oauth/echo-forms.ts, and checks shared by the
 * echo-form tests.
 */
import { expect } from '@jest/globals';
import type { SecretSet } from '../../src/oauth/secrets';

export const SECRETS = {
  plain: 'tok3n-Value_123.xyz~Q',
  specials: `p@ss w/rd+&<c>"d'e%f`,
  nonAscii: 'sécret-naïve-€uro-ś-ключ',
  latin1: 'clé-secrète-été',
  astral: 'emoji-😀-secret',
} as const;

const hex4 = (unit: number, upper = false) => {
  const hex = unit.toString(16).padStart(4, '0');
  return upper ? hex.toUpperCase() : hex;
};
const jsonInner = (s: string) => JSON.stringify(s).slice(1, -1);
const escapeUnits = (s: string, pick: RegExp, upper = false) => s.replace(pick, (unit) => `\\u${hex4(unit.charCodeAt(0), upper)}`);
const html = (s: string, apostrophe = '&#39;', quote = true) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, quote ? '&quot;' : '"').replace(/'/g, apostrophe);
const references = (s: string, write: (codePoint: number) => string, pick: (codePoint: number) => boolean = () => true) =>
  Array.from(s, (char) => (pick(char.codePointAt(0)!) ? write(char.codePointAt(0)!) : char)).join('');
export const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Each encoding a red team saw a target use, by name. */
export const ENCODINGS: Record<string, (secret: string) => string> = {
  base64: (s) => utf8(s).toString('base64'),
  'base64 without padding': (s) => utf8(s).toString('base64').replace(/=+$/, ''),
  base64url: (s) => utf8(s).toString('base64url'),
  'base64url padded': (s) => utf8(s).toString('base64url').padEnd(utf8(s).toString('base64').length, '='),
  hex: (s) => utf8(s).toString('hex'),
  HEX: (s) => utf8(s).toString('hex').toUpperCase(),
  'HTML &quot; &#39;': (s) => html(s),
  'HTML &#x27;': (s) => html(s, '&#x27;'),
  'HTML &#039;': (s) => html(s, '&#039;'),
  'HTML &apos;': (s) => html(s, '&apos;'),
  'HTML text (&amp; &lt; &gt; only)': (s) => html(s, "'", false),
  'HTML non-ASCII as &#NNN;': (s) => references(html(s), (cp) => `&#${cp};`, (cp) => cp > 0x7f),
  'HTML non-ASCII as &#xhh;': (s) => references(html(s), (cp) => `&#x${cp.toString(16)};`, (cp) => cp > 0x7f),
  'HTML every character as &#NNN;': (s) => references(s, (cp) => `&#${cp};`),
  'HTML every character as &#xHH;': (s) => references(s, (cp) => `&#x${cp.toString(16).toUpperCase()};`),
  'JSON.stringify inner text': jsonInner,
  'JSON in JSON': (s) => jsonInner(jsonInner(s)),
  'JSON with \\/ (PHP)': (s) => jsonInner(s).replace(/\//g, '\\/'),
  'JSON non-ASCII \\u00e9 (Python, PHP)': (s) => escapeUnits(jsonInner(s), /[^\u0000-\u007f]/g),
  'JSON non-ASCII \\u00E9 (Jackson)': (s) => escapeUnits(jsonInner(s), /[^\u0000-\u007f]/g, true),
  'JSON HTML-safe \\u003c (Go)': (s) => escapeUnits(jsonInner(s), /[<>&]/g),
  'JSON .NET default encoder': (s) => escapeUnits(jsonInner(s).replace(/\\"/g, '"'), /[^\u0000-\u007e]|["&'+<>`]/g, true),
  'JSON every character \\uxxxx': (s) => escapeUnits(s, /[\s\S]/g),
  'JSON every character \\uXXXX': (s) => escapeUnits(s, /[\s\S]/g, true),
  'UTF-8 read as latin1 (Node header)': (s) => utf8(s).toString('latin1'),
  'UTF-8 read as windows-1252': (s) => windows1252(utf8(s)),
  'latin1 bytes read as UTF-8': (s) => (/^[\u0000-\u00ff]*$/.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s),
};

// WHATWG windows-1252 for 0x80–0x9F, from the Encoding standard's index (not Node: its TextDecoder decodes the label as latin1).
const C1: Record<number, number> = { 0x80: 0x20ac, 0x82: 0x201a, 0x83: 0x192, 0x84: 0x201e, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x2c6, 0x89: 0x2030, 0x8a: 0x160, 0x8b: 0x2039, 0x8c: 0x152, 0x8e: 0x17d, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201c, 0x94: 0x201d, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x2dc, 0x99: 0x2122, 0x9a: 0x161, 0x9b: 0x203a, 0x9c: 0x153, 0x9e: 0x17e, 0x9f: 0x178 };
export function windows1252(bytes: Buffer): string {
  return String.fromCharCode(...Array.from(bytes, (byte) => C1[byte] ?? byte));
}

/** What was scrubbed before this change: the secret as sent, form-encoded and percent-encoded. */
export const formEncoded = (s: string) => new URLSearchParams([['', s]]).toString().slice(1);
export const alreadyCaught = (s: string, encoded: string) => encoded === s || encoded === formEncoded(s) || encoded === encodeURIComponent(s);

/** Every string of a JSON-like value, member names included. */
export function collectStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(collectStrings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, member]) => [key, ...collectStrings(member)]);
  return [];
}

/**
 * Base64 of a text holding the secret at byte offset o: the characters
 * from ceil(8o / 6) up to floor(8(o + n) / 6) hold the secret's bits alone,
 * and must be gone; the rest of the blob must stay, but for the at most
 * three characters (a partial one and padding) at the secret's end that
 * the standalone encoding also covers.
 */
export function expectBlobScrubbed(secrets: SecretSet, blob: string, offset: number, length: number): void {
  const first = Math.ceil((8 * offset) / 6);
  const last = Math.floor((8 * (offset + length)) / 6);
  const out = secrets.scrub(blob);
  expect(out).not.toContain(blob.slice(first, last));
  const match = /\[redacted(?: "[^"]*…")?, (\d+) chars?\]/.exec(out);
  expect(match).not.toBeNull();
  const before = out.slice(0, match!.index);
  const after = out.slice(match!.index + match![0].length);
  expect(before).toBe(blob.slice(0, first));
  expect(blob.endsWith(after)).toBe(true);
  const end = blob.length - after.length;
  expect(end).toBeGreaterThanOrEqual(last);
  expect(end - last).toBeLessThanOrEqual(3);
  expect(Number(match![1])).toBe(end - first);
}

