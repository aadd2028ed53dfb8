/**
 * The forms in which a server may echo a secret back: what a scrub must
 * search for besides the secret itself. Computed once per secret when it
 * is registered (src/oauth/scrubber.ts), never per scrub.
 *
 * One encoding at a time, over a few readings of the secret's characters
 * (as sent, and as mojibake), since a hostile or sloppy server picks one
 * serializer: form- and percent-encoding; JSON string escapes in the
 * styles serializers use; HTML escapes and character references; base64,
 * base64url (also inside a longer base64 text) and hex of its bytes.
 * Deeper compositions (base64 of hex, HTML of JSON) are not produced.
 */
import { formUrlEncode } from './client-auth';

/** Every distinct form of `secret`, the secret itself first. Forms may be shorter than the secret (no minimum applied here). */
export function echoForms(secret: string): string[] {
  const forms = new Set<string>();
  for (const reading of readings(secret)) {
    const ascii = ASCII.test(reading);
    forms.add(reading);
    forms.add(formUrlEncode(reading));
    forms.add(percentEncode(Buffer.from(reading, 'utf8')));
    for (const form of jsonForms(reading, ascii)) forms.add(form);
    for (const form of htmlForms(reading, ascii)) forms.add(form);
  }
  for (const bytes of byteSources(secret)) {
    for (const form of base64Forms(bytes)) forms.add(form);
    const hex = bytes.toString('hex');
    forms.add(hex).add(hex.toUpperCase());
  }
  return [...forms];
}

const ASCII = /^[\u0000-\u007f]*$/;
const LATIN1 = /^[\u0000-\u00ff]*$/;

/**
 * The character sequences a server (or our client) may end up holding for
 * the secret: as sent, and, for a non-ASCII secret, its UTF-8 bytes read
 * as latin1 (Node reads response header bytes so: "sécret" → "sÃ©cret")
 * or as windows-1252 (what WHATWG decoders call "latin1"), and its latin1
 * bytes read as UTF-8 (Node writes header strings as latin1; a UTF-8 reader
 * sees U+FFFD for each byte of a broken sequence).
 */
function readings(secret: string): string[] {
  if (ASCII.test(secret)) return [secret];
  const utf8 = Buffer.from(secret, 'utf8');
  const out = new Set([secret, utf8.toString('latin1'), windows1252(utf8)]);
  if (LATIN1.test(secret)) out.add(Buffer.from(secret, 'latin1').toString('utf8'));
  return [...out];
}

/** The bytes base64 and hex may be taken of: the UTF-8 bytes, those of the form-encoded secret (a form body is what gets encoded), and the latin1 bytes a header carried. */
function byteSources(secret: string): Buffer[] {
  const out = [Buffer.from(secret, 'utf8')];
  const form = formUrlEncode(secret);
  if (form !== secret) out.push(Buffer.from(form, 'utf8'));
  if (!ASCII.test(secret) && LATIN1.test(secret)) out.push(Buffer.from(secret, 'latin1'));
  return out;
}

/**
 * The bytes of the secret in base64 and base64url, padded and not; and,
 * for an echo inside a longer base64 text, the characters that depend on
 * the secret's bytes alone at each of the three alignments a byte offset
 * can have (offset mod 3). At alignment k the secret's bits run from 8k to
 * 8k + 8n in the encoding of k filler bytes followed by the secret: the
 * characters whose 6 bits all lie in that range (from ceil(8k / 6) up to
 * floor((8k + 8n) / 6)) are the same whatever bytes surround the secret;
 * those at its two ends mix in a neighbour's bits and are left out.
 */
function base64Forms(bytes: Buffer): string[] {
  const standard = bytes.toString('base64');
  const url = bytes.toString('base64url');
  const out = [standard, standard.replace(/=+$/, ''), url, url.padEnd(standard.length, '=')];
  const bits = bytes.length * 8;
  for (const shift of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const inner = shifted.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * shift + bits) / 6));
    out.push(inner, inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** encodeURIComponent over bytes: the same for a well-formed string, and no URIError on a lone surrogate (Buffer writes U+FFFD's bytes). */
function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) out += PERCENT_ENCODED[byte]!;
  return out;
}
const PERCENT_ENCODED = Array.from({ length: 256 }, (_, byte) => {
  const char = String.fromCharCode(byte);
  return /^[A-Za-z0-9\-_.!~*'()]$/.test(char) ? char : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`;
});

/**
 * JSON string contents as serializers write them: JSON.stringify's (`\"`,
 * `\\`, control characters), the same quoted once more (JSON text inside a
 * JSON string), PHP's `\/`, non-ASCII as `\uXXXX` (Python, PHP: lower case;
 * Jackson: upper), Go's HTML-safe `\u003c`, .NET's default encoder (non-ASCII
 * and `"&'+<>\`` as upper-case `\u00XX`), and every character escaped.
 * Each is built only when it can differ from the others (a plain token has
 * nothing to escape), with native replaces or table lookups: a 40 KB token
 * costs a few milliseconds once.
 */
function jsonForms(text: string, ascii: boolean): string[] {
  const standard = JSON.stringify(text).slice(1, -1);
  const out = [standard, slashEscaped(standard), unitEscape(text, JSON_ALL_LOWER), unitEscape(text, JSON_ALL_UPPER)];
  if (standard !== text) out.push(JSON.stringify(standard).slice(1, -1));
  if (!ascii) {
    const lower = standard.replace(/[\u0080-\uffff]/g, (unit) => `\\u${hex4(unit.charCodeAt(0), false)}`);
    out.push(lower, slashEscaped(lower), standard.replace(/[\u0080-\uffff]/g, (unit) => `\\u${hex4(unit.charCodeAt(0), true)}`));
  }
  out.push(standard.replace(/[<>&\u2028\u2029]/g, (unit) => `\\u${hex4(unit.charCodeAt(0), false)}`));
  // Every `"` in JSON.stringify's output is an escaped one: `\"` there is always the escape of a quote.
  out.push(standard.replace(/\\"/g, '\\u0022').replace(/[&'+<>`\u007f-\uffff]/g, (unit) => `\\u${hex4(unit.charCodeAt(0), true)}`));
  return out;
}

function slashEscaped(json: string): string {
  return json.includes('/') ? json.replace(/\//g, '\\/') : json;
}

const JSON_ALL_LOWER = (unit: number) => `\\u${hex4(unit, false)}`;
const JSON_ALL_UPPER = (unit: number) => `\\u${hex4(unit, true)}`;

/** Each UTF-16 unit of `text` replaced by `escape(unit)`, through a table for ASCII (a long token is all ASCII). */
function unitEscape(text: string, escape: (unit: number) => string): string {
  const table = asciiTable(escape);
  const parts: string[] = new Array<string>(text.length);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    parts[i] = unit < 0x80 ? table[unit]! : escape(unit);
  }
  return parts.join('');
}

/**
 * HTML as templates and escapers write it: `&amp;` `&lt;` `&gt;`, with or
 * without `&quot;`, the apostrophe as `&#39;`, `&#039;` (PHP), `&#x27;` or
 * `&apos;`; non-ASCII as decimal or hexadecimal references or, for Latin-1
 * characters, named ones (PHP htmlentities); every character as a
 * reference (by code point: an astral character is one reference).
 */
function htmlForms(text: string, ascii: boolean): string[] {
  const out: string[] = [];
  for (const [pattern, escapes] of HTML_SPECIALS) if (pattern.test(text)) out.push(text.replace(pattern, (char) => escapes[char]!));
  const escaped = text.replace(/[&<>"']/g, (char) => HTML_FULL[char]!);
  if (!ascii) {
    for (const reference of [HTML_DECIMAL, HTML_HEX_LOWER, HTML_HEX_UPPER]) out.push(escaped.replace(NON_ASCII_CODE_POINT, (char) => reference(char.codePointAt(0)!)));
    out.push(text.replace(/[&<>"']/g, (char) => (char === "'" ? '&#039;' : HTML_FULL[char]!)).replace(/[\u00a0-\u00ff]/g, (char) => `&${LATIN1_ENTITIES[char.charCodeAt(0) - 0xa0]!};`));
  }
  for (const reference of [HTML_DECIMAL, HTML_HEX_LOWER, HTML_HEX_UPPER]) out.push(ascii ? unitEscape(text, reference) : text.replace(CODE_POINT, (char) => reference(char.codePointAt(0)!)));
  return out;
}

const HTML_MINIMAL: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const HTML_FULL: Readonly<Record<string, string>> = { ...HTML_MINIMAL, '"': '&quot;', "'": '&#39;' };
const HTML_SPECIALS: ReadonlyArray<readonly [RegExp, Readonly<Record<string, string>>]> = [
  [/[&<>]/g, HTML_MINIMAL],
  [/[&<>"]/g, { ...HTML_MINIMAL, '"': '&quot;' }],
  ...['&#39;', '&#039;', '&#x27;', '&apos;'].map((apostrophe) => [/[&<>"']/g, { ...HTML_FULL, "'": apostrophe }] as const),
];
const HTML_DECIMAL = (codePoint: number) => `&#${codePoint};`;
const HTML_HEX_LOWER = (codePoint: number) => `&#x${codePoint.toString(16)};`;
const HTML_HEX_UPPER = (codePoint: number) => `&#x${codePoint.toString(16).toUpperCase()};`;
const NON_ASCII_CODE_POINT = /[\ud800-\udbff][\udc00-\udfff]|[\u0080-\uffff]/g;
const CODE_POINT = /[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g;

const ASCII_TABLES = new Map<(unit: number) => string, readonly string[]>();
function asciiTable(escape: (unit: number) => string): readonly string[] {
  let table = ASCII_TABLES.get(escape);
  if (!table) ASCII_TABLES.set(escape, (table = Array.from({ length: 0x80 }, (_, unit) => escape(unit))));
  return table;
}

/** HTML 4's named references for U+00A0–U+00FF, in code point order. */
const LATIN1_ENTITIES = (
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr ' +
  'deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest ' +
  'Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ' +
  'ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig ' +
  'agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml ' +
  'eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml'
).split(' ');

/**
 * Bytes decoded as windows-1252 (WHATWG Encoding): latin1 but for
 * 0x80–0x9F. Spelled out: Node's TextDecoder decodes this label as plain
 * latin1.
 */
function windows1252(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_C1[byte - 0x80]! : byte);
  return out;
}
const WINDOWS_1252_C1 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

function hex4(value: number, upper: boolean): string {
  const hex = value.toString(16).padStart(4, '0');
  return upper ? hex.toUpperCase() : hex;
}
