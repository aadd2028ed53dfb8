/**
 * Header reading and the header predicates of the contract. Header names,
 * media types and cache directives are case-insensitive (RFC 9110 §5.1,
 * §8.3.1; RFC 9111 §5.2), so every comparison here is too. The predicates
 * are single regular-expression tests so the pass path allocates nothing.
 */
import { isNonce } from '../oauth/grammar';
import { DPOP_NONCE_HEADER } from '../oauth/protocol';
import { InternalError } from '../errors';

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

/** The headers the contract judges, each read as headerValue reads it. */
export interface ContractHeaders {
  contentType: string | undefined;
  cacheControl: string | undefined;
  pragma: string | undefined;
  wwwAuthenticate: string | undefined;
  dpopNonce: string | undefined;
}

/**
 * The five headers the contract judges, with the result headerValue gives
 * for each. One pass for all five: on a plain record (node, supertest), the
 * names not found as lower-case own properties are looked for among the
 * other names in one walk over the keys, not one walk per missing header
 * (a token response normally lacks two of them). It runs on every assertion.
 */
export function contractHeaders(headers: HeaderSource | undefined): ContractHeaders {
  if (headers === undefined || headers instanceof Map || isHeadersLike(headers)) {
    return {
      contentType: headerValue(headers, 'content-type'),
      cacheControl: headerValue(headers, 'cache-control'),
      pragma: headerValue(headers, 'pragma'),
      wwwAuthenticate: headerValue(headers, 'www-authenticate'),
      dpopNonce: headerValue(headers, DPOP_NONCE),
    };
  }
  const record = headers as Readonly<Record<string, unknown>>;
  const contentType = record['content-type'];
  const cacheControl = record['cache-control'];
  const pragma = record.pragma;
  const wwwAuthenticate = record['www-authenticate'];
  const dpopNonce = record[DPOP_NONCE];
  const found: ContractHeaders = {
    contentType: contentType === undefined ? undefined : headerText(contentType),
    cacheControl: cacheControl === undefined ? undefined : headerText(cacheControl),
    pragma: pragma === undefined ? undefined : headerText(pragma),
    wwwAuthenticate: wwwAuthenticate === undefined ? undefined : headerText(wwwAuthenticate),
    dpopNonce: dpopNonce === undefined ? undefined : headerText(dpopNonce),
  };
  let missing = (contentType === undefined ? 1 : 0) | (cacheControl === undefined ? 2 : 0) | (pragma === undefined ? 4 : 0) | (wwwAuthenticate === undefined ? 8 : 0) | (dpopNonce === undefined ? 16 : 0);
  if (missing === 0) return found;
  // As headerValue: a name missing in lower case is the first own key equal to it case-insensitively.
  // for-in (own keys first, in Object.keys order) allocates no key array; inherited keys are skipped.
  for (const key in record) {
    const bit = missingBit(key, missing);
    if (bit === 0 || !Object.prototype.hasOwnProperty.call(record, key)) continue;
    missing &= ~bit;
    const text = headerText(record[key]);
    if (bit === 1) found.contentType = text;
    else if (bit === 2) found.cacheControl = text;
    else if (bit === 4) found.pragma = text;
    else if (bit === 8) found.wwwAuthenticate = text;
    else found.dpopNonce = text;
    if (missing === 0) break;
  }
  return found;
}

/** The bit of the missing contract header `key` names in another case, or 0; by length first, so most keys cost one comparison. */
function missingBit(key: string, missing: number): number {
  const index = CONTRACT_HEADER_INDEX_BY_LENGTH[key.length];
  if (index === undefined) return 0;
  const bit = 1 << index;
  return (missing & bit) !== 0 && sameLetters(key, 0, CONTRACT_HEADER_NAMES[index]!) ? bit : 0;
}

const DPOP_NONCE = DPOP_NONCE_HEADER.toLowerCase();
/** In the bit order of contractHeaders' `missing`. */
const CONTRACT_HEADER_NAMES: readonly string[] = ['content-type', 'cache-control', 'pragma', 'www-authenticate', DPOP_NONCE];
/** Their lengths differ: a key's length names the one header it may be. */
const CONTRACT_HEADER_INDEX_BY_LENGTH: readonly (number | undefined)[] = CONTRACT_HEADER_NAMES.reduce<(number | undefined)[]>((byLength, name, index) => {
  if (byLength[name.length] !== undefined) throw new InternalError(`internal: two contract headers of length ${name.length}`);
  byLength[name.length] = index;
  return byLength;
}, []);

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

let lastMediaType: string | undefined;
let lastMediaTypeIsJson = false;

/**
 * The media type is application/json, parameters allowed. Each assertion asks
 * this twice of the same string (reading the body, then judging the
 * header), so the last answer is kept: strings are immutable, and the
 * regular expression is the larger cost of a passing check.
 */
export function isJsonMediaType(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value !== lastMediaType) {
    lastMediaTypeIsJson = JSON_MEDIA_TYPE.test(value);
    lastMediaType = value;
  }
  return lastMediaTypeIsJson;
}
/**
 * `Cache-Control` lists `no-store` as a directive of its own, without an argument (RFC 9111 §5.2.2.5).
 * The field holding only that directive, the usual case, needs no scan.
 */
export const hasNoStore = (value: string | undefined): boolean => value !== undefined && (value === 'no-store' || findDirective(value, 'no-store') === DIRECTIVE_BARE);
/** `Pragma` lists `no-cache` (RFC 9111 §5.4); `no-cache` alone needs no scan. */
export const hasNoCache = (value: string | undefined): boolean => value !== undefined && (value === 'no-cache' || findDirective(value, 'no-cache') === DIRECTIVE_BARE);
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
