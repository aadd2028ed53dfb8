/**
 * Every protocol fact is defined once (src/oauth): a second literal copy of
 * a media type, URN, grammar, secret list, limit or error pattern anywhere
 * under src/ fails here, naming the files. Comments do not count; a copy in
 * code does, wherever it stands.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../..');
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Code without its comments (block and line comments; URLs in strings keep their `//`). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const FILES = sources(SRC).map((path) => ({ path: relative(ROOT, path), text: stripComments(readFileSync(path, 'utf8')) }));

function filesMatching(pattern: RegExp, files: ReadonlyArray<{ path: string; text: string }> = FILES): string[] {
  return files.filter((file) => pattern.test(file.text)).map((file) => file.path);
}

/** [fact, pattern of its definition, the one file that may hold it] */
const FACTS: ReadonlyArray<[string, RegExp, string]> = [
  ['the form media type', /['"`]application\/x-www-form-urlencoded['"`]/, 'src/oauth/protocol.ts'],
  ['the JSON media type', /['"`]application\/json['"`]/, 'src/oauth/protocol.ts'],
  ['the client-assertion type URN', /urn:ietf:params:oauth:client-assertion-type:jwt-bearer/, 'src/oauth/protocol.ts'],
  ['the DPoP proof typ', /['"`]dpop\+jwt['"`]/, 'src/oauth/protocol.ts'],
  ['the confidential auth-method list', /['"]client_secret_basic['"],\s*['"]client_secret_post['"],\s*['"]private_key_jwt['"]/, 'src/oauth/protocol.ts'],
  ['the private JWK members', /['"]dp['"],\s*['"]dq['"]/, 'src/oauth/protocol.ts'],
  ['the secret parameter names', /client_assertion['"]?\s*:\s*['"]<|['"]client_assertion['"],\s*['"]assertion['"]/, 'src/oauth/protocol.ts'],
  ['the token-response secrets', /['"]access_token['"],\s*['"]refresh_token['"],\s*['"]id_token['"]/, 'src/oauth/protocol.ts'],
  ['NQCHAR (RFC 9449 §8.1, RFC 6749 §3.3)', /\\x21\\x23-\\x5[bB]\\x5[dD]-\\x7[eE]/, 'src/oauth/grammar.ts'],
  ['the error_description charset (RFC 6749 §5.2)', /\\x20-?\\x21\\x23-\\x5[bB]/, 'src/oauth/grammar.ts'],
  ['the default timeout', /DEFAULT_TIMEOUT_MS\s*=\s*\d/, 'src/oauth/limits.ts'],
  ['the response size cap', /MAX_RESPONSE_BYTES\s*=\s*\d/, 'src/oauth/limits.ts'],
  ['the certificate-error pattern', /CERT\|SELF_SIGNED/, 'src/oauth/transport-error.ts'],
  ['the transport-error words', /['"]connection refused['"]/, 'src/oauth/transport-error.ts'],
  ['the RFC 7638 thumbprint computation', /calculateJwkThumbprint\(/, 'src/oauth/thumbprint.ts'],
  ['the nonce-challenge error code', /['"]use_dpop_nonce['"]\s*(?![,\]])/, 'src/oauth/protocol.ts'],
];

describe('each protocol fact is defined in one place', () => {
  test.each(FACTS.map(([fact, pattern, home]) => ({ fact, pattern, home })))('$fact: only in $home', ({ pattern, home }) => {
    expect(filesMatching(pattern)).toEqual([home]);
  });

  test('a copy planted in another file is reported, and a copy in a comment is not', () => {
    const home = FILES.find((file) => file.path === 'src/oauth/protocol.ts')!;
    const copy = { path: 'src/elsewhere.ts', text: stripComments("export const FORM = 'application/x-www-form-urlencoded';\n") };
    const commented = { path: 'src/commented.ts', text: stripComments("/** 'application/x-www-form-urlencoded' */\n// 'application/x-www-form-urlencoded'\nexport const x = 1;\n") };
    const pattern = FACTS[0]![1];
    expect(filesMatching(pattern, [home, copy, commented])).toEqual(['src/oauth/protocol.ts', 'src/elsewhere.ts']);
  });
});
