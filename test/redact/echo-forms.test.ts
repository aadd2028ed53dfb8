/**
 * A hostile target echoes a secret encoded: base64 and base64url (alone
 * or inside a longer base64 text), hex, HTML- and JSON-escaped, as
 * mojibake. Every scrub (SecretSet.scrub and scrubValue, and the list
 * forms scrubText and scrubValue the views use) must catch each one. The
 * encoders here are written independently of src/oauth/echo-forms.ts.
 */
import { createServer, get, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from '@jest/globals';
import { scrubText, scrubValue } from '../../src/oauth/redact';
import { SecretSet } from '../../src/oauth/secrets';
import { alreadyCaught, collectStrings, ENCODINGS, expectBlobScrubbed, formEncoded, SECRETS, utf8 } from './encoders';

const CASES = Object.entries(ENCODINGS).flatMap(([encoding, encode]) =>
  Object.entries(SECRETS)
    .map(([kind, secret]) => ({ encoding, kind, secret, encoded: encode(secret) }))
    .filter(({ secret, encoded }) => !alreadyCaught(secret, encoded)),
);

// The table itself: every encoding must have a case the earlier forms (raw, form- and percent-encoded) did not catch.
const UNTESTED = Object.keys(ENCODINGS).filter((encoding) => !CASES.some((c) => c.encoding === encoding));
if (UNTESTED.length > 0) throw new Error(`encodings without a case: ${UNTESTED.join(', ')}`);

describe('an encoded echo of a secret is scrubbed', () => {
  test.each(CASES)('$encoding of the $kind secret, by scrub() and scrubValue() (values and member names)', ({ secret, encoded }) => {
    const secrets = new SecretSet().add(secret);
    const text = `the server said: ${encoded} (end)`;
    const out = secrets.scrub(text);
    expect(out).not.toContain(encoded);
    expect(out).toMatch(/^the server said: \[redacted[^\]]*\] \(end\)$/);
    const value = secrets.scrubValue({ [encoded]: encoded, nested: [{ [`k ${encoded}`]: `v ${encoded}` }] });
    const strings = collectStrings(value);
    expect(strings.filter((s) => s.includes(encoded))).toEqual([]);
    expect(strings.filter((s) => s.includes('[redacted'))).toHaveLength(4);
  });

  test.each(CASES.filter((c) => c.kind === 'specials' || c.kind === 'nonAscii'))('$encoding of the $kind secret, by the list forms scrubText() and scrubValue()', ({ secret, encoded }) => {
    expect(scrubText(`<p>${encoded}</p>`, [secret])).toMatch(/^<p>\[redacted[^\]]*\]<\/p>$/);
    expect(collectStrings(scrubValue({ [encoded]: [encoded] }, [secret])).filter((s) => s.includes(encoded))).toEqual([]);
  });
});

describe('base64 of a longer text holding the secret', () => {
  const lead = Buffer.from('{"debug":"request body was: grant_type=client_credentials&client_secret=');
  test.each(
    Object.entries(SECRETS).flatMap(([kind, secret]) =>
      [0, 1, 2].flatMap((alignment) => [0, 1, 2].flatMap((tail) => (['base64', 'base64url'] as const).map((alphabet) => ({ kind, secret, alignment, tail, alphabet })))),
    ),
  )('$kind secret at alignment $alignment, $tail bytes after it, $alphabet', ({ secret, alignment, tail, alphabet }) => {
    const head = lead.subarray(0, lead.length - (lead.length % 3) - 3 + alignment);
    const bytes = Buffer.concat([head, utf8(secret), Buffer.from('"}xy'.slice(0, tail))]);
    expect(head.length % 3).toBe(alignment);
    expectBlobScrubbed(new SecretSet().add(secret), bytes.toString(alphabet), head.length, utf8(secret).length);
  });

  test('the form-encoded secret inside base64 of a form body', () => {
    const secret = SECRETS.specials;
    const body = `grant_type=client_credentials&client_secret=${formEncoded(secret)}&scope=read`;
    const blob = Buffer.from(body).toString('base64');
    const offset = body.indexOf(formEncoded(secret));
    expectBlobScrubbed(new SecretSet().add(secret), blob, offset, formEncoded(secret).length);
  });
});

describe('latin1 mojibake of a non-ASCII secret', () => {
  test('a UTF-8 header value echoed by a server reaches Node as latin1, and is scrubbed', async () => {
    const secret = 'sécret-clé-ключ';
    // The server writes the secret's UTF-8 bytes; Node's client reads header bytes as latin1.
    const server = createServer((_req, res) => {
      res.setHeader('X-Echo', utf8(secret).toString('latin1'));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
        get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (res) => {
          res.resume();
          resolve(res.headers);
        }).on('error', reject);
      });
      const echoed = headers['x-echo'] as string;
      expect(echoed).toBe(utf8(secret).toString('latin1'));
      expect(echoed.startsWith('sÃ©cret-clÃ©-')).toBe(true);
      expect(new SecretSet().add(secret).scrub(`x-echo: ${echoed}`)).toMatch(/^x-echo: \[redacted[^\]]*\]$/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('the "sécret" of the issue', () => {
    expect(new SecretSet().add('sécret').scrub('got sÃ©cret')).toBe('got [redacted, 7 chars]');
  });
});

describe('a hostile token with a lone surrogate', () => {
  test('is registered without a URIError and scrubbed, raw and encoded', () => {
    const token = 'issued-by-a-hostile-server-\ud800-token';
    const secrets = new SecretSet();
    expect(() => secrets.addResponse({ access_token: token, token_type: 'Bearer' })).not.toThrow();
    expect(secrets.scrub(`x ${token} y`)).toMatch(/^x \[redacted "issu…", 34 chars\] y$/);
    expect(secrets.scrub(`x ${Buffer.from(token).toString('base64')} y`)).toMatch(/^x \[redacted/);
    expect(secrets.scrub(`x ${JSON.stringify(token).slice(1, -1)} y`)).toMatch(/^x \[redacted/);
  });
});
