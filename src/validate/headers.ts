/**
 * Header reading and the header predicates of the contract. Header names,
 * media types and cache directives are case-insensitive (RFC 9110 §5.1,
 * §8.3.1; RFC 9111 §5.2), so every comparison here is too. The predicates
 * are single regular-expression tests so the pass path allocates nothing.
 */
import { isNonce } from '../oauth/grammar';

/** Header maps as the HTTP clients hand them over: node/supertest/axios records, WHATWG `Headers`, `Map`. */
export type HeaderSource = Readonly<Record<string, unknown>> | { get(name: string): unknown } | ReadonlyMap<string, unknown>;

/**
 * The value of one header (`name` lower-case), repeated fields joined with
 * ", " (RFC 9110 §5.3); `undefined` when absent.
 */
export function headerValue(headers: HeaderSource | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  // Fast path: node, supertest and axios hand over lower-case names as own properties.
  const direct = (headers as Readonly<Record<string, unknown>>)[name];
  if (typeof direct === 'string') return direct;
  if (headers instanceof Map) return mapLookup(headers, name);
  if (isHeadersLike(headers)) return headerText(headers.get(name));
  const record = headers as Readonly<Record<string, unknown>>;
  if (direct !== undefined) return headerText(direct);
  for (const key of Object.keys(record)) {
    if (key.length === name.length && key.toLowerCase() === name) return headerText(record[key]);
  }
  return undefined;
}

/** A plain copy with lower-case names and string values. */
export function headerRecord(headers: HeaderSource | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  const add = (key: unknown, value: unknown) => {
    if (typeof key !== 'string') return;
    const text = headerText(value);
    if (text === undefined) return;
    const lower = key.toLowerCase();
    out[lower] = out[lower] === undefined ? text : `${out[lower]}, ${text}`;
  };
  if (headers instanceof Map) {
    for (const [key, value] of headers) add(key, value);
  } else if (isHeadersLike(headers) && typeof (headers as { forEach?: unknown }).forEach === 'function') {
    (headers as { forEach(cb: (value: unknown, key: unknown) => void): void }).forEach((value, key) => add(key, value));
  } else {
    const record = toPlainRecord(headers);
    for (const key of Object.keys(record)) add(key, record[key]);
  }
  return out;
}

/** True for header maps the validator can read. */
export function isHeaderSource(value: unknown): value is HeaderSource {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isHeadersLike(headers: object): headers is { get(name: string): unknown } {
  // WHATWG Headers and AxiosHeaders: case-insensitive get(); a plain record has no get().
  return typeof (headers as { get?: unknown }).get === 'function' && Object.getPrototypeOf(headers) !== Object.prototype;
}

function toPlainRecord(headers: object): Record<string, unknown> {
  const toJSON = (headers as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json: unknown = toJSON.call(headers);
    if (json !== null && typeof json === 'object') return json as Record<string, unknown>;
  }
  return headers as Record<string, unknown>;
}

function mapLookup(map: ReadonlyMap<unknown, unknown>, name: string): string | undefined {
  const direct = map.get(name);
  if (direct !== undefined) return headerText(direct);
  for (const [key, value] of map) {
    if (typeof key === 'string' && key.toLowerCase() === name) return headerText(value);
  }
  return undefined;
}

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const parts = value.filter((part) => typeof part === 'string' || typeof part === 'number');
    return parts.length > 0 ? parts.join(', ') : undefined;
  }
  return undefined;
}

// RFC 9110 §8.3.1: type/subtype case-insensitive, optional whitespace before parameters.
const JSON_MEDIA_TYPE = /^[ \t]*application\/json[ \t]*(?:;|$)/i;

export const isJsonMediaType = (value: string | undefined): boolean => value !== undefined && JSON_MEDIA_TYPE.test(value);
/** `Cache-Control` lists `no-store` as a directive of its own, without an argument (RFC 9111 §5.2.2.5). */
export const hasNoStore = (value: string | undefined): boolean => value !== undefined && findDirective(value, 'no-store') === DIRECTIVE_BARE;
/** `Pragma` lists `no-cache` (RFC 9111 §5.4). */
export const hasNoCache = (value: string | undefined): boolean => value !== undefined && findDirective(value, 'no-cache') === DIRECTIVE_BARE;
/** RFC 9449 §8.1: nonce = 1*NQCHAR (src/oauth/grammar.ts). */
export const isDpopNonce = (value: string | undefined): boolean => isNonce(value);

/** findDirective results. */
export const DIRECTIVE_ABSENT = 0;
export const DIRECTIVE_BARE = 1;
/** Present, but as `name=argument`, which a directive without arguments must not carry. */
export const DIRECTIVE_WITH_ARGUMENT = 2;
export type DirectiveFound = typeof DIRECTIVE_ABSENT | typeof DIRECTIVE_BARE | typeof DIRECTIVE_WITH_ARGUMENT;

const COMMA = 44;
const EQUALS = 61;
const QUOTE = 34;
const BACKSLASH = 92;
const SPACE = 32;
const TAB = 9;

/**
 * Looks for the directive `name` (lower-case) in a comma-separated directive
 * list such as Cache-Control or Pragma: `directive = token [ "=" ( token /
 * quoted-string ) ]` (RFC 9111 §5.2, §5.4; RFC 9110 §5.6.1, §5.6.4).
 * Names compare case-insensitively; text inside a quoted-string argument is
 * never taken for a directive, so `private="no-store"` does not carry
 * no-store. Scans in place without allocating: it runs on every assertion.
 * A malformed list (an unclosed quote) ends the scan where it breaks.
 */
export function findDirective(list: string, name: string): DirectiveFound {
  let found: DirectiveFound = DIRECTIVE_ABSENT;
  const end = list.length;
  let i = 0;
  while (i < end) {
    // Skip the separators and optional whitespace before an element.
    let c = list.charCodeAt(i);
    if (c === COMMA || c === SPACE || c === TAB) {
      i++;
      continue;
    }
    const start = i;
    while (i < end) {
      c = list.charCodeAt(i);
      if (c === COMMA || c === EQUALS || c === SPACE || c === TAB || c === QUOTE) break;
      i++;
    }
    const named = i - start === name.length && sameLetters(list, start, name);
    while (i < end && (list.charCodeAt(i) === SPACE || list.charCodeAt(i) === TAB)) i++;
    if (i < end && list.charCodeAt(i) === EQUALS) {
      if (named) found = DIRECTIVE_WITH_ARGUMENT;
      i = nextComma(list, i + 1);
    } else {
      // A bare name ends at a comma or the end; `no-store junk` or `no-store"x"` is not a well-formed element.
      if (named && (i === end || list.charCodeAt(i) === COMMA)) return DIRECTIVE_BARE;
      i = nextComma(list, i);
    }
  }
  return found;
}

/** The index of the next comma that is not inside a quoted-string (or the end). */
function nextComma(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === COMMA) return i;
    i = c === QUOTE ? afterQuotedString(text, i) : i + 1;
  }
  return i;
}

/** The index after the quoted-string opening at `open` (RFC 9110 §5.6.4: `\` escapes one character). */
function afterQuotedString(text: string, open: number): number {
  let i = open + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE) return i + 1;
    else i++;
  }
  return text.length; // unclosed: the rest of the field is inside the quote
}

/** Case-insensitive comparison of `text[start..]` with the lower-case ASCII `lower`. */
function sameLetters(text: string, start: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    let c = text.charCodeAt(start + k);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(k)) return false;
  }
  return true;
}
