/** The header predicates: case-insensitive where HTTP says so, and strict on the rest. */
import { describe, expect, test } from '@jest/globals';
import { hasNoCache, hasNoStore, headerValue, isDpopNonce, isJsonMediaType } from '../../src/validate';

describe('Content-Type is application/json (RFC 9110 §8.3.1)', () => {
  test.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8', ' application/json ; charset="utf-8"'])('accepts %j', (value) => {
    expect(isJsonMediaType(value)).toBe(true);
  });
  test.each([undefined, '', 'text/html', 'application/jsonp', 'application/json-seq', 'application/problem+json', 'text/json', 'application/x-www-form-urlencoded', 'xapplication/json'])('refuses %j', (value) => {
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

describe('Pragma: no-cache (RFC 9111 §5.4)', () => {
  test.each(['no-cache', 'No-Cache', 'x-foo, no-cache'])('accepts %j', (value) => expect(hasNoCache(value)).toBe(true));
  test.each([undefined, '', 'no-store', 'no-cache-please', 'public'])('refuses %j', (value) => expect(hasNoCache(value)).toBe(false));
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
