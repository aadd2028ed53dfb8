/**
 * Properties over random secrets (any code points, lone surrogates aside)
 * and the encoders of ./encoders: an encoded echo never survives a scrub,
 * in text, values or member names; base64 of a longer text is scrubbed at
 * any offset, and only where the secret's bits are; a 1–3 character secret
 * changes no text; a marker never quotes a short secret's first characters;
 * ordinary text is left as it was.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { scrubText } from '../../src/oauth/redact';
import { SecretSet } from '../../src/oauth/secrets';
import { collectStrings, ENCODINGS, expectBlobScrubbed, utf8 } from './encoders';

const anySecret = (minLength: number, maxLength = 48) =>
  fc.oneof(
    fc.string({ unit: 'binary', minLength, maxLength }),
    fc.string({ unit: 'binary-ascii', minLength, maxLength }),
    // Tokens: base64url of random bytes, as servers issue them.
    fc.uint8Array({ minLength: minLength, maxLength }).map((bytes) => Buffer.from(bytes).toString('base64url').slice(0, Math.max(minLength, bytes.length))),
  );
const encoding = fc.constantFrom(...Object.keys(ENCODINGS));
const words = fc.lorem({ maxCount: 8 });

describe('echo forms, over random secrets', () => {
  test('an encoded secret in ordinary text is gone after scrub(), and after scrubValue() in values and member names', () => {
    fc.assert(
      fc.property(anySecret(4), encoding, words, words, (secret, name, before, after) => {
        const encoded = ENCODINGS[name]!(secret);
        const secrets = new SecretSet().add(secret);
        expect(secrets.scrub(`${before} ${encoded} ${after}`)).not.toContain(encoded);
        expect(scrubText(`${before}${encoded}${after}`, [secret])).not.toContain(encoded);
        const value = secrets.scrubValue({ [encoded]: [`${before}${encoded}`], [before]: { [`${encoded}${after}`]: encoded } });
        expect(collectStrings(value).filter((s) => s.includes(encoded))).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  test('base64 and base64url of a longer text: the secret is redacted at any offset, the rest is kept', () => {
    fc.assert(
      fc.property(anySecret(8), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 10 }), fc.constantFrom('base64', 'base64url' as const), (secret, head, tail, alphabet) => {
        const bytes = Buffer.concat([head, utf8(secret), tail]);
        expectBlobScrubbed(new SecretSet().add(secret), bytes.toString(alphabet as BufferEncoding), head.length, utf8(secret).length);
      }),
      { numRuns: 400 },
    );
  });

  test('a secret of 1–3 characters changes no text; it is only known to the set', () => {
    fc.assert(
      fc.property(fc.array(anySecret(1, 3).filter((secret) => secret.length < 4), { minLength: 1, maxLength: 5 }), fc.string({ unit: 'binary' }), (shorts, text) => {
        const secrets = new SecretSet();
        for (const short of shorts) secrets.add(short);
        const echoed = `${text}${shorts.join(' ')}${text}`;
        expect(secrets.scrub(echoed)).toBe(echoed);
        for (const short of shorts) expect(secrets.isSecret(short)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('a marker never quotes characters of a secret of 12 characters or fewer, in any form', () => {
    fc.assert(
      // Length in UTF-16 units, as markers count it.
      fc.property(anySecret(4, 12).filter((secret) => secret.length <= 12), encoding, words, (secret, name, around) => {
        const out = new SecretSet().add(secret).scrub(`${around} ${ENCODINGS[name]!(secret)} ${around}`);
        expect(out).toMatch(/\[redacted, \d+ chars\]/);
        expect(out).not.toMatch(/\[redacted "/);
      }),
      { numRuns: 400 },
    );
  });

  test('ordinary text keeps every character but the echoes of typical secrets', () => {
    fc.assert(
      fc.property(fc.array(anySecret(12), { minLength: 1, maxLength: 8 }), fc.array(words, { minLength: 2, maxLength: 20 }), encoding, (list, sentences, name) => {
        const secrets = new SecretSet();
        for (const secret of list) secrets.add(secret);
        const text = sentences.join('. ');
        expect(secrets.scrub(text)).toBe(text);
        // And the same text with an echo inserted changes there only.
        const echo = ENCODINGS[name]!(list[0]!);
        const out = secrets.scrub(`${text} <${echo}> ${text}`);
        expect(out.startsWith(`${text} <[redacted`)).toBe(true);
        expect(out.endsWith(`]> ${text}`)).toBe(true);
        expect(out).not.toContain(echo);
      }),
      { numRuns: 200 },
    );
  });
});
