/** The header predicates: case-insensitive where HTTP says so, and strict on the rest. */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { hasNoCache, hasNoStore, headerValue, isDpopNonce, isJsonMediaType } from '../../src/validate';
import { contractHeaders, DIRECTIVE_ABSENT, DIRECTIVE_BARE, DIRECTIVE_WITH_ARGUMENT, findDirective } from '../../src/validate/headers';

describe('Content-Type is application/json (RFC 9110 §8.3.1)', () => {
  test.each(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8', 'Application/JSON;charset=UTF-8', ' application/json ; charset="utf-8"'])('accepts %j', (value) => {
    expect(isJsonMediaType(value)).toBe(true);
  });
  test.each([undefined, '', 'text/html', 'application/jsonp', 'application/json-seq', 'application/problem+json', 'text/json', 'application/x-www-form-urlencoded', 'xapplication/json', 'application/json, text/html', 'application/vnd.api+json'])('refuses %j', (value) => {
    expect(isJsonMediaType(value)).toBe(false);
  });
});

describe('Cache-Control carries no-store (RFC 9111 §5.2)', () => {
  test.each(['no-store', 'No-Store', 'NO-STORE', 'private, no-store, max-age=0', 'max-age=0,no-store', 'no-cache ,\tno-store'])('accepts %j', (value) => {
    expect(hasNoStore(value)).toBe(true);
  });
  test.each([undefined, '', 'no-cache', 'max-age=0', 'no-storage', 'x-no-store', 'private="no-store"x', 'no_store'])('refuses %j', (value) => {
    expect(hasNoStore(value)).toBe(false);
  });
});

describe('Cache-Control is parsed as directives, not searched as text (RFC 9111 §5.2, RFC 9110 §5.6.4)', () => {
  test.each([
    'private="a,b", no-store',
    'no-cache="set-cookie, x", no-store',
    'private="x\\"y", no-store',
    'max-age=0 , no-store',
    'no-store, no-store=1',
    // Two Cache-Control field lines, as node joins them (RFC 9110 §5.3).
    'max-age=0, no-store',
    ',,no-store,,',
  ])('accepts %j: no-store is a directive of its own', (value) => {
    expect(hasNoStore(value)).toBe(true);
  });
  test.each([
    ['private="no-store"', 'inside a quoted argument'],
    ['no-cache="a, no-store, b"', 'inside a quoted list argument, between commas'],
    ['x="a, no-store"', 'at the end of a quoted argument'],
    ['private="x\\", no-store"', 'after an escaped quote, still inside the quotes'],
    ['private="unclosed, no-store', 'after an unclosed quote'],
    ['no-store=1', 'with an argument (no-store takes none)'],
    ['no-store="true"', 'with a quoted argument'],
    ['no-store junk', 'followed by junk in the same element'],
    ['no-store"x"', 'glued to a quoted string'],
    ['"a, no-store , b"', 'inside a quoted element without a name'],
    ['no-store;x', 'with a parameter-like suffix'],
  ])('refuses %j (%s)', (value) => {
    expect(hasNoStore(value)).toBe(false);
  });
  test('findDirective tells a bare directive from one with an argument, case-insensitively', () => {
    expect(findDirective('Private, NO-STORE', 'no-store')).toBe(DIRECTIVE_BARE);
    expect(findDirective('no-store=1', 'no-store')).toBe(DIRECTIVE_WITH_ARGUMENT);
    expect(findDirective('No-Store = "x", max-age=0', 'no-store')).toBe(DIRECTIVE_WITH_ARGUMENT);
    expect(findDirective('private="no-store"', 'no-store')).toBe(DIRECTIVE_ABSENT);
    expect(findDirective('', 'no-store')).toBe(DIRECTIVE_ABSENT);
  });
});

describe('Pragma: no-cache (RFC 9111 §5.4)', () => {
  test.each(['no-cache', 'No-Cache', 'x-foo, no-cache', 'no-cache, x', 'no-cache,x="y"', 'x="a,b", no-cache'])('accepts %j', (value) => expect(hasNoCache(value)).toBe(true));
  test.each([undefined, '', 'no-store', 'no-cache-please', 'public', 'no-cache=1', 'x="no-cache"', 'x="a, no-cache, b"'])('refuses %j', (value) => expect(hasNoCache(value)).toBe(false));
});

describe('DPoP-Nonce is 1*NQCHAR (RFC 9449 §8.1)', () => {
  test.each(['abc', 'eyJ7S_zG.eyJH0-Z.HX4w-7v', '!#[]~'])('accepts %j', (value) => expect(isDpopNonce(value)).toBe(true));
  test.each([undefined, '', 'has space', 'quote"d', 'back\\slash', 'tab\t', 'é'])('refuses %j', (value) => expect(isDpopNonce(value)).toBe(false));
});

describe('headerValue reads every header map case-insensitively', () => {
  test('plain records, in any case, joining repeated fields', () => {
    expect(headerValue({ 'content-type': 'a' }, 'content-type')).toBe('a');
    expect(headerValue({ 'Content-Type': 'b' }, 'content-type')).toBe('b');
    expect(headerValue({ 'set-cookie': ['x', 'y'] }, 'set-cookie')).toBe('x, y');
    expect(headerValue({ 'content-length': 12 }, 'content-length')).toBe('12');
    expect(headerValue({ other: 'c' }, 'content-type')).toBeUndefined();
  });
  test('WHATWG Headers and Map', () => {
    expect(headerValue(new Headers({ 'Cache-Control': 'no-store' }), 'cache-control')).toBe('no-store');
    expect(headerValue(new Map([['Pragma', 'no-cache']]), 'pragma')).toBe('no-cache');
  });
  test('values that are not text count as absent', () => {
    expect(headerValue({ pragma: { nested: true } }, 'pragma')).toBeUndefined();
    expect(headerValue({ pragma: null }, 'pragma')).toBeUndefined();
  });
});

describe('contractHeaders reads the five contract headers as headerValue does', () => {
  const NAMES = ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'dpop-nonce'] as const;
  const perName = (headers: Parameters<typeof headerValue>[0]) => ({
    contentType: headerValue(headers, NAMES[0]),
    cacheControl: headerValue(headers, NAMES[1]),
    pragma: headerValue(headers, NAMES[2]),
    wwwAuthenticate: headerValue(headers, NAMES[3]),
    dpopNonce: headerValue(headers, NAMES[4]),
  });
  // Names in any case (the five, names of the same lengths, others), values of every kind headerValue reads or refuses.
  const name = fc.oneof(
    fc.constantFrom(...NAMES, 'connection', 'keep-alive', 'content-length', 'x-request-id-1', 'date', 'set-cookie'),
    fc.string({ maxLength: 17 }),
  ).chain((base) => fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }).map((upper) => [...base].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')));
  const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }), fc.constant({ nested: true }));
  const record = fc.array(fc.tuple(name, value), { maxLength: 10 }).map((entries) => Object.fromEntries(entries));

  test('on plain records (random names, cases and values)', () => {
    fc.assert(fc.property(record, (headers) => expect(contractHeaders(headers)).toEqual(perName(headers))), { numRuns: 2000 });
  });

  test('the first key in another case wins, as in headerValue; inherited keys do not count', () => {
    const headers = { 'WWW-Authenticate': 'Basic realm="a"', 'www-Authenticate': 'Bearer', 'Dpop-Nonce': 'n1', 'DPOP-NONCE': 'n2' };
    expect(contractHeaders(headers)).toEqual({ ...perName(headers), wwwAuthenticate: 'Basic realm="a"', dpopNonce: 'n1' });
    const inherited = Object.create({ 'Cache-Control': 'no-store' }) as Record<string, string>;
    inherited.pragma = 'no-cache';
    expect(contractHeaders(inherited)).toEqual(perName(inherited));
    expect(contractHeaders(inherited).cacheControl).toBeUndefined();
  });

  test('on Headers, Map, header-like objects and no headers', () => {
    const sources = [new Headers({ 'Content-Type': 'application/json', 'DPoP-Nonce': 'n' }), new Map<string, unknown>([['Cache-Control', 'no-store'], ['pragma', ['no-cache', 'x']]]), undefined];
    for (const headers of sources) expect(contractHeaders(headers)).toEqual(perName(headers));
  });
});

describe('isJsonMediaType keeps its last answer only for the same text', () => {
  test('alternating values are each judged', () => {
    for (let i = 0; i < 3; i++) {
      expect(isJsonMediaType('application/json')).toBe(true);
      expect(isJsonMediaType('text/html')).toBe(false);
      expect(isJsonMediaType('text/html')).toBe(false);
      expect(isJsonMediaType('Application/JSON; charset=utf-8')).toBe(true);
      expect(isJsonMediaType(undefined)).toBe(false);
    }
  });
});
