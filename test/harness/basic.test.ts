import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { basicAuthorization, HarnessError } from '../../src/harness';
import { formUrlEncode } from '../../src/oauth/client-auth';

/** What a server does (RFC 6749 §2.3.1): base64-decode, split at the first ':', form-url-decode each half. */
function decodeBasic(header: string): [string, string] {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (!match) throw new Error(`not a Basic header: ${header}`);
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const formDecode = (value: string): string => decodeURIComponent(value.replace(/\+/g, '%20'));
  return [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
}

describe('basicAuthorization (RFC 6749 §2.3.1)', () => {
  test('form-url-encodes id and secret before base64', () => {
    // "a:b" / "p@ss wörd+" -> "a%3Ab:p%40ss+w%C3%B6rd%2B"
    expect(basicAuthorization('a:b', 'p@ss wörd+')).toBe(`Basic ${Buffer.from('a%3Ab:p%40ss+w%C3%B6rd%2B').toString('base64')}`);
    expect(formUrlEncode('é ✓:%')).toBe('%C3%A9+%E2%9C%93%3A%25');
  });

  test('ids and secrets with ":" and non-ASCII characters round-trip through a server-side decode', () => {
    expect(decodeBasic(basicAuthorization('client:with:colons', 'sécret:✓ 😀'))).toEqual(['client:with:colons', 'sécret:✓ 😀']);
  });

  test('without the encoding step the split would be ambiguous (why the rule exists)', () => {
    const naive = `Basic ${Buffer.from('client:with:colons:secret').toString('base64')}`;
    expect(basicAuthorization('client:with:colons', 'secret')).not.toBe(naive);
    expect(decodeBasic(naive)).not.toEqual(['client:with:colons', 'secret']);
  });

  test('round-trips any id and secret (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), fc.string({ unit: 'grapheme' }), (id, secret) => {
        expect(decodeBasic(basicAuthorization(id, secret))).toEqual([id, secret]);
      }),
      { numRuns: 200 },
    );
  });

  test('bad input is a HarnessError', () => {
    expect(() => basicAuthorization('', 's')).toThrow(HarnessError);
    expect(() => basicAuthorization(undefined as never, 's')).toThrow(HarnessError);
    expect(() => basicAuthorization('id', 42 as never)).toThrow(/secret must be a string/);
  });
});
