/**
 * Header reading and the header predicates of the contract. Header names,
 * media types and cache directives are case-insensitive (RFC 9110 §5.1,
 * §8.3.1; RFC 9111 §5.2), so every comparison here is too. The predicates
 * are single regular-expression tests so the pass path allocates nothing.
 */

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
// RFC 9111 §5.2: a comma-separated list of directives; no-store takes no argument.
const NO_STORE = /(?:^|,)[ \t]*no-store[ \t]*(?:,|$)/i;
// RFC 9111 §5.4: Pragma = 1#pragma-directive; only no-cache is defined.
const NO_CACHE = /(?:^|,)[ \t]*no-cache[ \t]*(?:,|$)/i;
// RFC 9449 §8.1: nonce = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E.
const NQCHARS = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export const isJsonMediaType = (value: string | undefined): boolean => value !== undefined && JSON_MEDIA_TYPE.test(value);
export const hasNoStore = (value: string | undefined): boolean => value !== undefined && NO_STORE.test(value);
export const hasNoCache = (value: string | undefined): boolean => value !== undefined && NO_CACHE.test(value);
export const isDpopNonce = (value: string | undefined): boolean => value !== undefined && NQCHARS.test(value);
