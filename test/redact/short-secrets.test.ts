/**
 * Secrets of 1–3 characters are not searched for in text (they would
 * redact ordinary words) but are known to the set, for redaction by
 * position; and no marker quotes the first characters of a short secret
 * (12 characters or fewer), whatever form of it was found.
 */
import { describe, expect, test } from '@jest/globals';
import { curlCommand } from '../../src/conformance/views';
import { scrubText } from '../../src/oauth/redact';
import { MIN_SCRUBBED_LENGTH, SecretSet } from '../../src/oauth/secrets';

describe('short secrets', () => {
  test('a 1–3 character secret is known (isSecret, shortSecrets, iteration) and never searched for', () => {
    const secrets = new SecretSet().add('ab').add('x').add('k3y').add('long-enough-secret');
    expect(MIN_SCRUBBED_LENGTH).toBe(4);
    for (const short of ['ab', 'x', 'k3y']) expect(secrets.isSecret(short)).toBe(true);
    expect([...secrets.shortSecrets]).toEqual(['ab', 'x', 'k3y']);
    expect([...secrets]).toEqual(['ab', 'x', 'k3y', 'long-enough-secret']);
    expect(secrets.isSecret('abc')).toBe(false);
    const prose = 'grab a taxi, x marks the k3y spot';
    expect(secrets.scrub(prose)).toBe(prose);
    expect(secrets.scrubValue({ ab: prose })).toEqual({ ab: prose });
  });

  test('isSecret knows the searched forms too, and a merged or copied set keeps its short secrets', () => {
    const secrets = new SecretSet().add('long-enough-secret').add('ab');
    expect(secrets.isSecret(Buffer.from('long-enough-secret').toString('base64'))).toBe(true);
    expect(secrets.isSecret('long-enough')).toBe(false);
    for (const copy of [new SecretSet().merge(secrets), new SecretSet(secrets)]) {
      expect(copy.isSecret('ab')).toBe(true);
      expect([...copy.shortSecrets]).toEqual(['ab']);
      expect(copy.scrub(`x ${Buffer.from('long-enough-secret').toString('hex')}`)).toBe('x [redacted "6c6f…", 36 chars]');
    }
  });
});

describe('markers never quote the first characters of a short secret', () => {
  test('an encoded form longer than 12 characters of a secret of 12 or fewer: no prefix', () => {
    const secret = 'abc/d/e/f'; // 9 characters; percent-encoded 15, hex 18, \u-escaped 54
    const secrets = new SecretSet().add(secret);
    const everyCharacterEscaped = secret.replace(/[\s\S]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    for (const form of [encodeURIComponent(secret), Buffer.from(secret).toString('hex'), everyCharacterEscaped]) {
      const out = secrets.scrub(`got ${form}`);
      expect(out).toBe(`got [redacted, ${form.length} chars]`);
      expect(scrubText(`got ${form}`, [secret])).toBe(`got [redacted, ${form.length} chars]`);
    }
  });

  test('a long secret that starts with a short one is replaced whole, without quoting the short one', () => {
    expect(new SecretSet().add('abcd').add('abcdefgh-long').scrub('abcdefgh-long')).toBe('[redacted, 13 chars]');
    // A secret too short to be searched for is still kept out of a marker's prefix.
    expect(new SecretSet().add('abc').add('abcXYZ-long-secret').scrub('abcXYZ-long-secret')).toBe('[redacted, 18 chars]');
    // Nor are the first characters of a short secret that a long one happens to start like.
    expect(new SecretSet().add('abcd-short').add('abcd-a-much-longer-secret').scrub('abcd-a-much-longer-secret')).toBe('[redacted, 25 chars]');
    // A long secret alone keeps its prefix: two values can still be told apart.
    expect(new SecretSet().add('abcd-a-much-longer-secret').scrub('abcd-a-much-longer-secret')).toBe('[redacted "abcd…", 25 chars]');
  });
});

describe('overlapping secrets', () => {
  test('two secrets sharing characters in a text leave no part of either behind', () => {
    const secrets = new SecretSet().add('abcdefg').add('efghijk');
    expect(secrets.scrub('xx abcdefghijk yy')).toBe('xx [redacted, 11 chars] yy');
    expect(scrubText('xx abcdefghijk yy', ['efghijk', 'abcdefg'])).toBe('xx [redacted, 11 chars] yy');
  });
});

describe('the list forms the views use', () => {
  test('a list that grows is extended, one that differs is not mixed up with it', () => {
    const first = 'first-secret-value';
    const second = 'second-secret-value';
    const echo = `x ${Buffer.from(second).toString('base64')} y`;
    expect(scrubText(echo, [first])).toBe(echo);
    expect(scrubText(echo, [first, second])).toMatch(/^x \[redacted "c2Vj…", 28 chars\] y$/);
    expect(scrubText(echo, [first])).toBe(echo);
    expect(scrubText(echo, [second])).toMatch(/^x \[redacted/);
    expect(scrubText(echo, [first])).toBe(echo);
  });
});

describe('redaction by position', () => {
  test("a curl line shows a placeholder for a shaped header whose value is a 1–3 character secret (views.ts asks the set's iteration)", () => {
    const secrets = new SecretSet().add('k3y');
    const request = { method: 'POST', url: 'https://as.example/oauth/token', headers: [['X-Api-Key', 'k3y'], ['Accept', 'application/json']] as Array<[string, string]>, body: 'grant_type=client_credentials' };
    const curl = curlCommand(request, secrets);
    expect(curl).toContain(`-H 'X-Api-Key: <HEADER_VALUE>'`);
    expect(curl).toContain(`-H 'Accept: application/json'`);
  });
});
