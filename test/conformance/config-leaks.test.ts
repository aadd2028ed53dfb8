/**
 * Issue 17 items 4 and 5: a configuration problem names the member (or the
 * line and column) and what is wrong, never the value of a secret-bearing
 * member nor a line of the file that holds it. Every case writes a secret
 * into the input, runs the loader, the CLI or the Jest entry's
 * registration, and looks for the secret in every byte that comes out
 * (messages, stdout, stderr, process warnings), raw and encoded.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ConfigError } from '../../src/errors';
import { checkTargetUrl, loadConfigFile, loadExpectedFailuresFile, parseConfig, parseExpectedFailures, resolveConfig } from '../../src/conformance/config';
import { describeTokenEndpointConformance } from '../../src/conformance/jest';
import { cli } from '../support/cli';
import { expectNoLeak, recordPrinted } from '../support/leaks';
import { recordingApi } from './support/recording-api';

const SECRET = 'R8S3cretZq7xWv2Lp9Kd';
const URL_OK = 'https://auth.example.com/oauth/token';

function expectNoSecret(text: string, secret = SECRET): void {
  expectNoLeak(text, secret);
}

recordPrinted(SECRET);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'config-leaks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The ConfigError a promise or function rejects with; its message checked for the secret, its cause too (Jest prints causes). */
async function configError(run: () => unknown): Promise<ConfigError> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  expectNoSecret(error.message);
  if (error.cause !== undefined) expectNoSecret(String((error.cause as Error).message ?? error.cause));
  return error;
}

async function cliWithoutSecret(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = await cli(args, { cwd: dir, env });
  expectNoSecret(result.stdout);
  expectNoSecret(result.stderr);
  return result;
}

describe('YAML: warnings are collected, never printed, and come back as a line number and a problem', () => {
  const yaml = `url: ${URL_OK}\nclients:\n  - id: a\n    auth: client_secret_basic\n    secret: !vault ${SECRET}\n`;

  test('loadConfigFile: an unknown tag is a ConfigError naming the line and the tag, and no warning is emitted', async () => {
    const path = await file('tagged.yaml', yaml);
    const error = await configError(() => loadConfigFile(path));
    expect(error.message).toBe(`config file ${JSON.stringify(path)} is not valid YAML: line 5, column 13: unknown tag !vault (only plain YAML is read: write the value itself)`);
    expect(process.emitWarning).not.toHaveBeenCalled();
  });

  test('conformance --config: exit 2, one line on stderr with the line number, nothing else printed', async () => {
    const path = await file('tagged-cli.yaml', yaml);
    const { code, stdout, stderr } = await cliWithoutSecret(['conformance', '--config', path, '--list']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/line 5, column 13: unknown tag !vault/);
    expect(process.emitWarning).not.toHaveBeenCalled();
  });

  test('a secret that starts with "!" reads as a tag: it is not quoted as one', async () => {
    const path = await file('bang.yaml', `url: ${URL_OK}\nclients:\n  - id: a\n    auth: client_secret_basic\n    secret: !${SECRET}\n`);
    const error = await configError(() => loadConfigFile(path));
    expect(error.message).toMatch(/line 5, column 13: an unknown tag \(not shown: .*quote such a value\)/);
  });

  test.each([
    ['a line without ":"', `url: ${URL_OK}\nclients:\n  - id: a\n    auth: client_secret_basic\n  secret ${SECRET}\n`, /line 5, column \d+: /],
    ['an unclosed quote', `url: ${URL_OK}\nclients:\n  - id: a\n    secret: "${SECRET}\n`, /line \d+, column \d+: a quoted value that is never closed/],
    ['a plain value starting with "@"', `url: ${URL_OK}\nclients:\n  - id: a\n    secret: @${SECRET}\n`, /line 4, column 13: a plain value cannot start with this character \(quote the value\)/],
    ['a tab as indentation', `url: ${URL_OK}\nclients:\n\t- secret: ${SECRET}\n`, /line 3, column 1: /],
    ['a key given twice', `secret: ${SECRET}\nsecret: ${SECRET}\n`, /line 2, column 1: a key given twice in one mapping/],
    ['an unknown alias', `url: ${URL_OK}\nclients:\n  - id: a\n    secret: *${SECRET}\n`, /aliases cannot be resolved|line 4/],
  ])('%s: the problem and where, never the line', async (_, text, message) => {
    const path = await file('broken.yaml', text);
    const error = await configError(() => loadConfigFile(path));
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/\n/);
  });
});

describe('JSON: the position, never the text near it', () => {
  const json = `{\n  "url": "${URL_OK}",\n  "clients": [\n    { "id": "a", "auth": "client_secret_basic", "secret": ${SECRET}" }\n  ]\n}\n`;

  test('a config file: line and column, what was expected', async () => {
    const path = await file('c.json', json);
    const error = await configError(() => loadConfigFile(path));
    expect(error.message).toBe(
      `config file ${JSON.stringify(path)} is not valid JSON: line 4, column 59: unexpected character (expected a value: a string in double quotes, a number, true, false, null, an object or an array)`,
    );
  });

  test('the CLI says the same and no more', async () => {
    const path = await file('c-cli.json', json);
    const { code, stderr } = await cliWithoutSecret(['conformance', '--config', path]);
    expect(code).toBe(2);
    expect(stderr).toContain('is not valid JSON: line 4, column 59: unexpected character');
  });

  test.each([
    ['a trailing comma', `{"clients":[{"secret":"${SECRET}",}]}`, 'line 1, column 46: a comma before "}" (JSON allows no trailing comma)'],
    ['single quotes', `{"clients":[{"secret":'${SECRET}'}]}`, 'line 1, column 23: unexpected character (expected a value: a string in double quotes, a number, true, false, null, an object or an array: JSON strings take double quotes)'],
    ['a line break in a string', `{"clients":[{"secret":"${SECRET}\n"}]}`, 'line 1, column 44: a line break or control character inside a string (write it escaped, as \\n or \\uXXXX)'],
    ['the end of the text', `{"clients":[{"secret":"${SECRET}"`, 'line 1, column 45: the text ends early (expected "," or "}")'],
  ])('%s', async (_, text, where) => {
    const path = await file('more.json', text);
    expect((await configError(() => loadConfigFile(path))).message).toBe(`config file ${JSON.stringify(path)} is not valid JSON: ${where}`);
  });

  test('an expected-failures file in JSON', async () => {
    const path = await file('xfail.json', `{\n  "ok-basic": ${SECRET}\n}\n`);
    const error = await configError(() => loadExpectedFailuresFile(path));
    expect(error.message).toBe(`${path} is not valid JSON: line 2, column 15: unexpected character (expected a value: a string in double quotes, a number, true, false, null, an object or an array)`);
  });

  test('a key file that is neither JSON nor PEM: the position, never the key', async () => {
    const key = await file('key.json', `{"kty":"EC","crv":"P-256","d":${SECRET}}`);
    const error = await configError(() => resolveConfig({ url: URL_OK, clients: [{ id: 'j', auth: 'private_key_jwt', privateKey: key }] }));
    expect(error.message).toBe(`clients[0]: private key ${JSON.stringify(key)} is neither a JWK (JSON: line 1, column 31: unexpected character (expected a value: a string in double quotes, a number, true, false, null, an object or an array)) nor a PEM file`);
  });
});

describe('a secret in the wrong member is never quoted', () => {
  test.each([
    ['profile', { profile: SECRET }, 'config: profile must be one of attesto, rfc'],
    ['timeoutMs', { timeoutMs: SECRET }, 'config: timeoutMs must be a whole number from 1 to 600000'],
    ['dpop', { dpop: SECRET }, 'config: dpop must be true or false, or an object'],
    ['a client auth', { clients: [{ id: 'a', auth: SECRET }] }, 'config: clients[0].auth must be one of client_secret_basic, client_secret_post, private_key_jwt, none, tls_client_auth, self_signed_tls_client_auth'],
    // Long text was quoted cut short before: a prefix of a secret is a leak too.
    ['a long string', { scope: 7, profile: `${SECRET}${SECRET}${SECRET}` }, 'config: profile must be one of attesto, rfc'],
    ['a short secret', { profile: 'hunter2' }, 'config: profile must be one of attesto, rfc'],
  ])('%s', async (_, data, message) => {
    const error = await configError(() => parseConfig(data));
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('hunter2');
  });

  test('plain values are still quoted: a typo is shown', async () => {
    expect((await configError(() => parseConfig({ profile: 'strict' }))).message).toBe('config: profile must be one of attesto, rfc (got "strict")');
    expect((await configError(() => parseConfig({ timeoutMs: '10s' }))).message).toBe('config: timeoutMs must be a whole number from 1 to 600000 (got "10s")');
  });

  test('--auth with the secret pasted in: exit 2 without it; a typo is still shown', async () => {
    const flags = ['conformance', '--url', URL_OK, '--client-id', 'a', '--client-secret-env', 'CLIENT_SECRET'];
    const pasted = await cliWithoutSecret([...flags, '--auth', SECRET], { CLIENT_SECRET: 'x' });
    expect(pasted).toEqual({
      code: 2,
      stdout: '',
      stderr: "token-contract conformance: --auth must be one of client_secret_basic, client_secret_post, private_key_jwt, none, tls_client_auth, self_signed_tls_client_auth (see 'token-contract conformance --help')\n",
    });
    expect((await cli([...flags, '--auth', 'magic'])).stderr).toContain('(got "magic")');
  });

  test.each([['--profile'], ['--timeout-ms'], ['--concurrency'], ['--reporter']])('%s with the secret pasted in', async (flag) => {
    const { code, stderr } = await cliWithoutSecret(['conformance', flag, SECRET]);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^token-contract conformance: ${flag} must `));
  });

  test('secretEnv holding the secret itself: the variable is not named', async () => {
    const error = await configError(() => resolveConfig({ url: URL_OK, clients: [{ id: 'a', auth: 'client_secret_basic', secretEnv: SECRET }] }, { env: {} }));
    expect(error.message).toBe('clients[0]: the environment variable named by secretEnv is not set (the name is not shown: it does not read as a variable name; is it the value itself?)');
    // A variable's name is still named.
    expect((await configError(() => resolveConfig({ url: URL_OK, clients: [{ id: 'a', auth: 'client_secret_basic', secretEnv: 'CLIENT_SECRET_2' }] }, { env: {} }))).message).toBe(
      'clients[0]: environment variable CLIENT_SECRET_2 is not set',
    );
  });

  test('a header env holding the value itself', async () => {
    const error = await configError(() => resolveConfig({ url: URL_OK, headers: { 'X-Api-Key': { env: SECRET } } }, { env: {} }));
    expect(error.message).toMatch(/^headers\["X-Api-Key"\]: the environment variable named by env is not set/);
  });

  test.each([
    ['a PEM', `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----\n`],
    ['a JWK as text', `{"kty":"EC","crv":"P-256","x":"x","y":"y","d":"${SECRET}"}`],
  ])('privateKey holding %s where its path belongs', async (_, key) => {
    const error = await configError(() => resolveConfig({ url: URL_OK, clients: [{ id: 'j', auth: 'private_key_jwt', privateKey: key }] }));
    expect(error.message).toBe('clients[0].privateKey holds key text, not a path (not shown): give the path of a JWK or PEM file, or the JWK as an object');
  });

  test('--private-key holding a JWK as text (resolved against the cwd like a path)', async () => {
    const key = `{"kty":"EC","crv":"P-256","x":"x","y":"y","d":"${SECRET}"}`;
    const { code, stderr } = await cliWithoutSecret(['conformance', '--url', URL_OK, '--client-id', 'j', '--private-key', key]);
    expect(code).toBe(2);
    expect(stderr).toContain('privateKey holds key text, not a path');
  });
});

describe('an expected-failures file that is no such file (a .env)', () => {
  const env = `# local settings\nCLIENT_ID=a\nCLIENT_SECRET=${SECRET}\n`;

  test('parseExpectedFailures names the line number and what it expected, never the line', async () => {
    const error = await configError(() => parseExpectedFailures(env, '.env'));
    expect(error.message).toBe('.env: cannot read line 2 (expected a check id: "id", "id # reason", "id: reason" or "- id"; is this an expected-failures file?)');
  });

  test('--expect-failures .env: exit 2, nothing of it printed', async () => {
    const path = await file('.env', `CLIENT_SECRET=${SECRET}\n`);
    const { code, stderr } = await cliWithoutSecret(['conformance', '--url', URL_OK, '--client-id', 'a', '--client-secret-env', 'X', '--expect-failures', path], { X: 'x' });
    expect(code).toBe(2);
    expect(stderr).toContain(`${path}: cannot read line 1 (expected a check id`);
  });
});

describe('a url with credentials that does not parse', () => {
  // A space and a "/" in the password: new URL() refuses it (the "/" ends the authority early, leaving "pa ss" as a port).
  const password = `pa ss/${SECRET}`;
  const url = `https://user:${password}@auth.example.com/oauth/token`;

  test('checkTargetUrl says why, never the url', async () => {
    const error = await configError(() => checkTargetUrl(url, false));
    expect(error.message).toBe('url must be an absolute http(s) URL (it does not parse as one; the value is not shown, it may carry credentials)');
    expectNoSecret(error.message, password);
    expect((await configError(() => checkTargetUrl('auth.example.com/token', false))).message).toMatch(/it has no scheme: start it with https:\/\//);
    expect((await configError(() => checkTargetUrl('', false))).message).toMatch(/\(it is empty;/);
  });

  test('a scheme is named only when it reads as one (user:password parses as a URL too)', async () => {
    expect((await configError(() => checkTargetUrl('ftp://x', false))).message).toBe('url must use https:// (got "ftp:")');
    expect((await configError(() => checkTargetUrl(`${SECRET}:${SECRET}`, false))).message).toBe('url must use https://');
  });

  test('--url: exit 2 without it', async () => {
    const { code, stderr } = await cliWithoutSecret(['conformance', '--url', url, '--client-id', 'a', '--client-secret-env', 'X'], { X: 'x' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/url must be an absolute http\(s\) URL/);
    expectNoSecret(stderr, password);
  });

  test.each([
    ['--proxy', (proxy: string) => ['--proxy', proxy], {}],
    ['HTTPS_PROXY', () => [], (proxy: string) => ({ HTTPS_PROXY: proxy })],
  ] as const)('the proxy url from %s', async (_, flags, env) => {
    const proxy = `http://user:${password}@proxy.example:3128`;
    const { code, stderr } = await cliWithoutSecret(['conformance', '--url', URL_OK, '--client-id', 'a', '--client-secret-env', 'X', ...flags(proxy)], {
      X: 'x',
      ...(typeof env === 'function' ? env(proxy) : env),
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/proxy/i);
    expectNoSecret(stderr, password);
  });

  test('the config proxy member', async () => {
    const error = await configError(() => resolveConfig({ url: URL_OK, proxy: `http://user:${password}@proxy.example:3128`, clients: [{ id: 'a', auth: 'client_secret_basic', secret: 'x' }] }));
    expectNoSecret(error.message, password);
  });

  test('the Jest entry: neither the describe title nor the configuration test carries it', () => {
    const { api, titles, tests } = recordingApi();
    describeTokenEndpointConformance({ url, clients: [{ id: 'a', auth: 'client_secret_basic', secret: 'x' }] }, { api });
    expect(titles).toEqual(['token endpoint conformance: https://auth.example.com (a url that does not parse) (profile attesto)']);
    expect(tests.map((t) => t.name)).toEqual(['configuration: url must be an absolute http(s) URL (it does not parse as one; the value is not shown, it may carry credentials)']);
    expectNoSecret([...titles, ...tests.map((t) => t.name)].join('\n'), password);
  });

  test('the Jest entry: an unparsable url with "@" in the password, or no host to show', () => {
    for (const [bad, title] of [
      // Parses, with "ss" as its host and the rest of the password in its path.
      [`https://user:p@ss/${SECRET}@auth.example.com:8443/token`, 'https://auth.example.com:8443'],
      // Parses, with "user:123" as host and port and the rest in the query.
      [`https://user:123?${SECRET}@auth.example.com/token`, 'https://auth.example.com'],
      [`https://user:p#${SECRET}@auth.example.com/token`, 'https://auth.example.com (a url that does not parse)'],
      [`https://user:${SECRET} x/token`, 'https://… (a url that does not parse)'],
      [`user:${SECRET} x`, 'a url without a host'],
      [`user:${SECRET}@auth.example.com`, 'a url without a host'],
      [`${SECRET} x`, 'a url that does not parse'],
    ] as const) {
      const { api, titles, tests } = recordingApi();
      describeTokenEndpointConformance({ url: bad, clients: [{ id: 'a', auth: 'client_secret_basic', secret: 'x' }] }, { api });
      expect(titles).toEqual([`token endpoint conformance: ${title} (profile attesto)`]);
      expectNoSecret([...titles, ...tests.map((t) => t.name)].join('\n'));
    }
  });

  test('the Jest entry: a parsable url keeps only origin and path in the title', () => {
    const { api, titles } = recordingApi();
    describeTokenEndpointConformance({ url: `https://auth.example.com/oauth/token#${SECRET}`, clients: [{ id: 'a', auth: 'client_secret_basic', secret: 'x' }] }, { api });
    expect(titles).toEqual(['token endpoint conformance: https://auth.example.com/oauth/token (profile attesto)']);
  });
});
