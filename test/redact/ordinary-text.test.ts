/**
 * The registered forms of typical secrets (a client secret, an opaque
 * token, a JWT, a client secret with specials, a non-ASCII one) redact
 * their echoes and nothing else: the README, every response fixture and a
 * generic error page come out of a scrub unchanged, and with echoes
 * inserted they change exactly there. And the cost stays bounded: 200
 * secrets (one a 40 KB token) over a 100 KB text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadResponseFixtures } from '../../fixtures/responses';
import { SecretSet } from '../../src/oauth/secrets';
import { ENCODINGS } from './encoders';

const TYPICAL = [
  'cs-7f3a9b2e41d8',
  'Xq2L9vRk0pZt7WmB4nYc8sJd',
  'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJjbGllbnQtNDIiLCJzY29wZSI6InJlYWQifQ.MEUCIQDx3Qm9r0Kp',
  `p@ss w/rd+&<"x">'9`,
  'mot-de-passe-été-çà',
];

const CORPUS = [
  readFileSync(join(__dirname, '../../README.md'), 'utf8'),
  ...loadResponseFixtures().map((fixture) => JSON.stringify(fixture.response, null, 2)),
  '<!doctype html><html><head><title>400 Bad Request</title></head><body><h1>Bad Request</h1><p>The request could not be understood: &quot;grant_type&quot; &amp; &lt;scope&gt; &#39;read&#39;.</p><pre>{"error":"invalid_request","error_description":"caf\\u00e9 \\u003cno\\u003e"}</pre></body></html>',
].join('\n');

describe('no false positive on ordinary text', () => {
  test('the corpus comes out unchanged; echoes in it, of every typical secret in every encoding, are redacted exactly', () => {
    const secrets = new SecretSet(TYPICAL);
    for (const secret of TYPICAL) expect(CORPUS).not.toContain(secret);
    expect(secrets.scrub(CORPUS)).toBe(CORPUS);
    for (const secret of TYPICAL) {
      for (const [name, encode] of Object.entries(ENCODINGS)) {
        const echo = encode(secret);
        const out = secrets.scrub(`${CORPUS}\n${name}: ${echo}\n${CORPUS}`);
        expect(out).toMatch(/\n[^\n]+: \[redacted(?: "[^"]{4}…")?, \d+ chars\]\n/);
        expect(out.replace(/: \[redacted[^\]]*\]\n/, `: ${echo}\n`)).toBe(`${CORPUS}\n${name}: ${echo}\n${CORPUS}`);
      }
    }
  });
});

describe('scrub cost', () => {
  test('200 secrets, one a 40 KB token, over a 100 KB text holding base64 and \\u-escaped echoes: bounded, and every echo is gone', () => {
    let seed = 7;
    const random = (length: number) => {
      let out = '';
      while (out.length < length) out += ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31).toString(36).slice(2);
      return out.slice(0, length);
    };
    const list = [...Array.from({ length: 150 }, () => random(32)), ...Array.from({ length: 49 }, () => `eyJhbGciOiJFUzI1NiJ9.${random(600)}.${random(86)}`), `tok${random(40_000)}`];
    const started = performance.now();
    const secrets = new SecretSet(list);
    const registered = performance.now() - started;
    const filler = 'the token endpoint refused the request: invalid_client, caf\\u00e9 \\u0041\\u0042 eyJhbGciOiJFUzI1NiJ9.notasecret ';
    let text = '';
    for (let i = 0; text.length < 100_000; i++) text += i % 20 === 0 ? ` ${Buffer.from(list[i % list.length]!).toString('base64')} ${ENCODINGS['JSON every character \\uxxxx']!(list[(i + 1) % list.length]!)} ` : filler;
    text += ` ${Buffer.from(`x${list[199]}`).toString('base64')}`;
    const times: number[] = [];
    let out = '';
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      out = secrets.scrub(text);
      times.push(performance.now() - start);
    }
    const inner = Buffer.from(`x${list[199]}`).toString('base64').slice(2, 100);
    expect(out).not.toContain(inner);
    for (const secret of list.slice(0, 20)) expect(out).not.toContain(Buffer.from(secret).toString('base64').slice(0, 40));
    // Generous bounds for a loaded CI machine; measured: about 70 ms to register, a few ms per scrub.
    expect(registered).toBeLessThan(3_000);
    expect(Math.min(...times)).toBeLessThan(250);
  });
});
