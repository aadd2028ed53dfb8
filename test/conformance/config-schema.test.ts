/**
 * The suite's configuration as a JSON Schema: one validation, and one
 * wording, for a programmatic config, a JSON or YAML file and the CLI flags;
 * the published dist/conformance.schema.json is that same schema.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import Ajv from 'ajv';
import { stringify as toYaml } from 'yaml';
import { ConfigError } from '../../src/errors';
import { ConformanceConfigError, conformanceConfigSchema, loadConfigFile, parseConfig, resolveConfig } from '../../src/conformance/config';
import { cli } from '../support/cli';

const ROOT = join(__dirname, '..', '..');

/** The ConfigError parseConfig throws for `data` (fails the test when it throws none). */
function problemOf(data: unknown, where?: string): ConfigError {
  try {
    parseConfig(data, where);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('ERR_CONFIG');
    return error as ConfigError;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(data)}`);
}

const basic = { id: 'a', auth: 'client_secret_basic', secret: 's' } as const;

/** Every member the schema knows, each with a valid value. */
const FULL_EXAMPLE = {
  $schema: './node_modules/attesto-token-contract/dist/conformance.schema.json',
  url: 'https://auth.example.com/oauth/token',
  profile: 'rfc',
  scope: 'read',
  invalidScope: 'admin',
  dpop: { enabled: true, nonce: true, disabled: false },
  clients: [
    { id: 'basic-client', auth: 'client_secret_basic', secretEnv: 'BASIC_SECRET', requireDpop: false, headers: { 'X-Client-Tenant': 'basic' } },
    { id: 'post-client', auth: 'client_secret_post', secret: 'post-secret', requiresDpop: true },
    { id: 'jwt-client', auth: 'private_key_jwt', privateKey: 'keys/jwt.json', audience: 'https://auth.example.com', alg: 'ES256' },
    { id: 'jwk-client', auth: 'private_key_jwt', privateKey: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd', kid: 'k1' } },
  ],
  unauthorizedClient: { id: 'no-grant', auth: 'client_secret_basic', secretEnv: 'NO_GRANT_SECRET' },
  only: ['success', 'ok-post'],
  skip: ['tls'],
  expectedFailures: { 'resp-no-store': 'Cache-Control not sent yet' },
  headers: { 'X-Api-Key': { env: 'GATEWAY_KEY' }, 'X-Tenant': 'qa' },
  extraParams: { audience: 'https://api.example.com/', resource: 'https://api.example.com/v1' },
  rate: 2.5,
  proxy: 'http://proxy.example:3128',
  timeoutMs: 5000,
  concurrency: 8,
  allowInsecureHttp: false,
  caFile: 'staging-ca.pem',
  referenceServer: { requireNonce: false },
};

describe('parseConfig: the schema, member by member', () => {
  test('a full config passes and comes back without $schema (it is for editors)', () => {
    const { $schema: _, ...rest } = FULL_EXAMPLE;
    expect(parseConfig(FULL_EXAMPLE)).toEqual({
      ...rest,
      // the canonical name, requireDpop, is carried as the internal requiresDpop (see withDpopAlias)
      clients: rest.clients.map(({ requireDpop, ...c }: Record<string, unknown>) => (requireDpop === undefined ? c : { ...c, requiresDpop: requireDpop })),
    });
    expect(parseConfig({ $schema: 'https://example.com/any.json' })).toEqual({});
    expect(problemOf({ $schema: 7 }).message).toBe('config: $schema must be a string (got 7)');
  });

  test.each([
    [{ ulr: 'x' }, 'config: unknown member "ulr"'],
    [{ clients: [basic, { ...basic, id: 'b', secert: 'x' }] }, 'config: clients[1]: unknown member "secert"'],
    [{ unauthorizedClient: { ...basic, colour: 'red' } }, 'config: unauthorizedClient: unknown member "colour"'],
    [{ dpop: { enabled: true, nonces: true } }, 'config: dpop: unknown member "nonces"'],
    [{ referenceServer: { requireNonces: false } }, 'config: referenceServer: unknown member "requireNonces"'],
    // an unknown member is the problem worth reporting, not the member it was meant to be
    [{ clients: [{ id: 'a', auht: 'client_secret_basic' }] }, 'config: clients[0]: unknown member "auht"'],
  ])('unknown members are refused with their path at any depth: %j', (data, message) => {
    expect(problemOf(data).message).toBe(message);
  });

  test.each([
    [{ clients: [basic, { id: 'b', auth: 'magic' }] }, 'config: clients[1].auth must be one of client_secret_basic, client_secret_post, private_key_jwt, none, tls_client_auth, self_signed_tls_client_auth'],
    [{ clients: [{ auth: 'client_secret_basic' }] }, 'config: clients[0].id is required'],
    [{ clients: [{ id: '', auth: 'client_secret_basic' }] }, 'config: clients[0].id must not be empty'],
    [{ clients: {} }, 'config: clients must be an array'], // no (got …): clients hold secrets
    [{ profile: 'strict' }, 'config: profile must be one of attesto, rfc (got "strict")'],
    [{ concurrency: 0 }, 'config: concurrency must be a whole number from 1 to 64 (got 0)'],
    [{ concurrency: 65 }, 'config: concurrency must be a whole number from 1 to 64 (got 65)'],
    [{ concurrency: 2.5 }, 'config: concurrency must be a whole number from 1 to 64 (got 2.5)'],
    [{ rate: 0 }, 'config: rate must be a number greater than 0 (got 0)'],
    [{ rate: 'fast' }, 'config: rate must be a number greater than 0 (got "fast")'],
    [{ timeoutMs: '10s' }, 'config: timeoutMs must be a whole number from 1 to 600000 (got "10s")'],
    [{ dpop: { enabled: 'yes' } }, 'config: dpop.enabled must be true or false (got "yes")'],
    [{ dpop: 'yes' }, 'config: dpop must be true or false, or an object (got "yes")'],
    [{ only: ['ok-basic', 3] }, 'config: only[1] must be a string (got 3)'],
    [{ expectedFailures: { 'ok basic': 1 } }, 'config: expectedFailures["ok basic"] must be a string (got 1)'],
    [{ expectedFailures: 5 }, 'config: expectedFailures must be an array of strings, an object, or a string (got 5)'],
    [{ referenceServer: { requireNonce: 'no' } }, 'config: referenceServer.requireNonce must be true or false (got "no")'],
    // No (got …) for a proxy: its URL may carry a password. A branch of one value is named by it.
    [{ proxy: 'proxy.example:3128' }, 'config: proxy must be an http:// or https:// proxy URL (http://host:port or http://user:password@host:port)'],
    [{ proxy: 3128 }, 'config: proxy must be a string or false'],
    [{ proxy: true }, 'config: proxy must be false'],
    [[], 'config must be an object (got an array)'],
  ])('wrong types, enums and ranges are reported from the instance path: %j', (data, message) => {
    expect(problemOf(data).message).toBe(message);
  });

  test('the where prefix names the source', () => {
    expect(problemOf({ concurrency: 0 }, 'config file "x.yaml"').message).toBe('config file "x.yaml": concurrency must be a whole number from 1 to 64 (got 0)');
  });

  test('ConformanceConfigError is still the same class', () => {
    expect(ConformanceConfigError).toBe(ConfigError);
    expect(problemOf({ ulr: 1 })).toBeInstanceOf(ConformanceConfigError);
  });
});

describe('requireDpop, and requiresDpop its deprecated alias', () => {
  const resolveWith = async (dpopMembers: Record<string, boolean>) =>
    (await resolveConfig({ url: 'https://auth.example.com/token', clients: [{ ...basic, ...dpopMembers }] })).clients[0]!.requiresDpop;

  test('either name marks the client; neither leaves it unmarked', async () => {
    expect(await resolveWith({ requireDpop: true })).toBe(true);
    expect(await resolveWith({ requiresDpop: true })).toBe(true);
    expect(await resolveWith({ requireDpop: false })).toBe(false);
    expect(await resolveWith({})).toBe(false);
  });

  test('both at once are refused, by parseConfig and by resolveConfig', async () => {
    const both = { clients: [{ ...basic, requireDpop: true, requiresDpop: true }] };
    expect(problemOf(both).message).toBe('config: clients[0]: give requireDpop or requiresDpop, not both');
    await expect(resolveConfig({ url: 'https://auth.example.com/token', ...both })).rejects.toThrow('clients[0]: give requireDpop or requiresDpop, not both');
  });

  test('the schema documents the alias as deprecated', () => {
    const client = conformanceConfigSchema.properties.clients.items.properties;
    expect(client.requiresDpop.description).toMatch(/^Deprecated alias of requireDpop/);
    expect(client.requireDpop.description).not.toMatch(/deprecated/i);
  });
});

describe('secrets never appear in a message', () => {
  const SECRET = 'hunter2-do-not-print';
  const NUMBER_SECRET = 4242424242;
  test.each([
    ['a secret of the wrong type', { clients: [{ ...basic, secret: NUMBER_SECRET }] }],
    ['a secret in an array', { clients: [{ ...basic, secret: [SECRET] }] }],
    ['a secret under a misspelt member', { clients: [{ ...basic, secrett: SECRET }] }],
    ['a secret in the wrong place at the top', { secret: SECRET }],
    ['a private key of the wrong type', { clients: [{ id: 'a', auth: 'private_key_jwt', privateKey: NUMBER_SECRET }] }],
    ['a private JWK with a wrong kty', { clients: [{ id: 'a', auth: 'private_key_jwt', privateKey: { kty: NUMBER_SECRET, d: SECRET } }] }],
    ['a wrong id next to a secret', { clients: [{ id: NUMBER_SECRET, auth: 'client_secret_basic', secret: SECRET }] }],
    ['an unauthorized client with a wrong secret', { unauthorizedClient: { ...basic, secret: NUMBER_SECRET } }],
    ['a secretEnv of the wrong type', { clients: [{ ...basic, secret: undefined, secretEnv: NUMBER_SECRET }] }],
  ])('%s', (_, data) => {
    const message = problemOf(JSON.parse(JSON.stringify(data))).message;
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain(String(NUMBER_SECRET));
    expect(message).toMatch(/^config: (clients\[0\]|unauthorizedClient)?/);
  });

  test('a value outside the clients is shown (the redaction is not blanket)', () => {
    expect(problemOf({ concurrency: NUMBER_SECRET }).message).toContain(String(NUMBER_SECRET));
  });
});

describe('one message for one problem, wherever it comes from', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'config-schema-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const fileProblem = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    const error = await loadConfigFile(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const prefix = `config file ${JSON.stringify(path)}`;
    const message = (error as Error).message;
    expect(message.startsWith(prefix)).toBe(true);
    return message.slice(prefix.length);
  };

  test.each([
    ['an unknown member', { clients: [{ ...basic, secert: 'x' }] }],
    ['a range', { concurrency: 0 }],
    ['an enum', { profile: 'strict' }],
    ['a union', { dpop: 'yes' }],
    ['a missing member', { clients: [{ id: 'a' }] }],
    ['two names for one member', { clients: [{ ...basic, requireDpop: true, requiresDpop: false }] }],
    ['not an object', ['url']],
  ])('%s: JSON file, YAML file and programmatic object', async (name, data) => {
    const programmatic = problemOf(data).message.slice('config'.length);
    const slug = name.replace(/\W+/g, '-');
    expect(await fileProblem(`${slug}.json`, JSON.stringify(data))).toBe(programmatic);
    expect(await fileProblem(`${slug}.yaml`, toYaml(data))).toBe(programmatic);
  });
});

describe('CLI flags are checked by the same schema and named as flags', () => {
  const url = ['--url', 'https://auth.example.com/token', '--client-id', 'a', '--client-secret', 'hunter2-flag-secret'];
  const hint = " (see 'token-contract conformance --help')";

  test.each([
    [['--concurrency', '0'], '--concurrency must be a whole number from 1 to 64 (got "0")'],
    [['--concurrency', '65'], '--concurrency must be a whole number from 1 to 64 (got "65")'],
    [['--timeout-ms', '1.5'], '--timeout-ms must be a whole number from 1 to 600000 (got "1.5")'],
    [['--timeout-ms', 'soon'], '--timeout-ms must be a whole number from 1 to 600000 (got "soon")'],
    [['--profile', 'strict'], '--profile must be one of attesto, rfc (got "strict")'],
    [[...url, '--auth', 'magic'], '--auth must be one of client_secret_basic, client_secret_post, private_key_jwt, none, tls_client_auth, self_signed_tls_client_auth (got "magic")'],
    [['--url', 'https://auth.example.com/token', '--client-id', '', '--client-secret', 'x'], '--client-id must not be empty (got "")'],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await cli(['conformance', ...args]);
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `token-contract conformance: ${message}${hint}\n` });
  });

  test('the flag message is the schema message with the flag for the member', async () => {
    for (const [flag, member, value] of [
      ['--concurrency', 'concurrency', 0],
      ['--timeout-ms', 'timeoutMs', 0],
    ] as const) {
      const fromSchema = problemOf({ [member]: value }).message.replace(`config: ${member} `, '').replace(/ \(got .*\)$/, '');
      const { stderr } = await cli(['conformance', flag, String(value)]);
      expect(stderr).toContain(`${flag} ${fromSchema} (got "${value}")`);
    }
  });

  test('a --client-secret never appears, even next to a bad flag', async () => {
    const { code, stderr } = await cli(['conformance', ...url, '--auth', 'magic', '--concurrency', '0']);
    expect(code).toBe(2);
    expect(stderr).not.toContain('hunter2-flag-secret');
  });

  test('a config file problem is exit 2, one line, without the --help hint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'config-schema-cli-'));
    try {
      const path = join(dir, 'c.json');
      await writeFile(path, JSON.stringify({ concurrency: 0 }));
      const { code, stderr } = await cli(['conformance', '--config', path]);
      expect({ code, stderr }).toEqual({ code: 2, stderr: `token-contract conformance: config file ${JSON.stringify(path)}: concurrency must be a whole number from 1 to 64 (got 0)\n` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the published dist/conformance.schema.json', () => {
  let published: Record<string, unknown>;
  beforeAll(async () => {
    // Written by `npm run build` (scripts/write-schema.js), which `npm test` runs first.
    published = JSON.parse(await readFile(join(ROOT, 'dist', 'conformance.schema.json'), 'utf8')) as Record<string, unknown>;
  });

  test('is the schema the suite validates with (not a stale copy)', () => {
    expect(published).toEqual(JSON.parse(JSON.stringify(conformanceConfigSchema)));
  });

  test('package.json exports it and ships it', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; files: string[]; scripts: Record<string, string> };
    expect(pkg.exports['./conformance.schema.json']).toBe('./dist/conformance.schema.json');
    expect(pkg.files).toContain('dist/conformance.schema.json');
    // scripts/build.js runs tsc, then writes the schema (and the validators) into dist.
    expect(pkg.scripts.build).toBe('node scripts/build.js');
    expect(readFileSync(join(ROOT, 'scripts', 'build.js'), 'utf8')).toMatch(/tsconfig\.build\.json[\s\S]*write-schema\.js/);
  });

  test('a fresh Ajv accepts a full example config and rejects a broken one', () => {
    const validate = new Ajv({ allErrors: true }).compile(published);
    expect(validate(FULL_EXAMPLE)).toBe(true);
    const broken = { ...FULL_EXAMPLE, concurrency: 0, clients: [{ ...FULL_EXAMPLE.clients[0], secert: 'x' }] };
    expect(validate(broken)).toBe(false);
    expect(validate.errors!.map((e) => `${e.instancePath} ${e.keyword}`).sort()).toEqual(['/clients/0 additionalProperties', '/concurrency minimum']);
  });

  test('every member carries a description (editors show them)', () => {
    const missing: string[] = [];
    const walk = (schema: unknown, at: string) => {
      if (schema === null || typeof schema !== 'object') return;
      const node = schema as Record<string, unknown>;
      if (node.properties) {
        for (const [name, member] of Object.entries(node.properties as Record<string, Record<string, unknown>>)) {
          if (typeof member.description !== 'string' || member.description === '') missing.push(`${at}.${name}`);
          walk(member, `${at}.${name}`);
        }
      }
      for (const key of ['items', 'additionalProperties']) walk(node[key], `${at}[${key}]`);
      for (const branch of (node.anyOf as unknown[] | undefined) ?? []) walk(branch, at);
    };
    walk(published, '');
    expect(missing).toEqual([]);
  });
});
