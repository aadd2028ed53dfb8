/**
 * The reference server's configuration schema: one validation, one wording,
 * for a config file (JSON or YAML), a programmatic config and `serve` flags.
 */
import { describe, expect, test } from '@jest/globals';
import { stringify as toYaml } from 'yaml';
import { ServerConfigError } from '../../src/errors';
import { parseServerConfig } from '../../src/server/config-file';
import { referenceServerConfigSchema, resolveServerConfig } from '../../src/server/config';
import { cli } from '../support/cli';

const client = { id: 'a', authMethods: ['client_secret_basic'], secret: 's' };

async function programmaticProblem(config: unknown): Promise<string> {
  const error = await resolveServerConfig(config as never).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServerConfigError);
  expect((error as ServerConfigError).code).toBe('ERR_SERVER_CONFIG');
  return (error as Error).message;
}

function fileProblem(text: string, source: string): string {
  try {
    parseServerConfig(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ServerConfigError);
    return (error as Error).message;
  }
  throw new Error(`parseServerConfig accepted ${text}`);
}

describe('reference server config schema', () => {
  test.each([
    [{ tokenLifetime: 60 }, ': unknown member "tokenLifetime"'],
    [{ dpop: { requireNonces: true } }, ': dpop: unknown member "requireNonces"'],
    [{ clients: [{ ...client, secrets: 'x' }] }, ': clients[0]: unknown member "secrets"'],
    [{ port: 70000 }, ': port must be a whole number from 0 to 65535 (got 70000)'],
    [{ dpop: { iatWindowSeconds: 0 } }, ': dpop.iatWindowSeconds must be a whole number from 1 to 3600 (got 0)'],
    [{ scopes: ['read', 'a b'] }, ': scopes[1] must be an RFC 6749 §3.3 scope token (got "a b")'],
    [{ path: 'token' }, ': path must start with "/" and hold no query, fragment or spaces (got "token")'],
    [{ path: '/token?x=1' }, ': path must start with "/" and hold no query, fragment or spaces (got "/token?x=1")'],
    [{ clients: [{ id: 'a', authMethods: ['client_secret_jwt'], secret: 's' }] }, ': clients[0].authMethods[0] must be one of client_secret_basic, client_secret_post, private_key_jwt, none, tls_client_auth, self_signed_tls_client_auth'],
    [{ clients: [{ id: 'a', authMethods: [], secret: 's' }] }, ': clients[0].authMethods must list at least one entry'],
    [{ clients: [{ authMethods: ['client_secret_basic'], secret: 's' }] }, ': clients[0].id is required'],
    [{ issuer: 'not a url' }, ': issuer must be an absolute URI (got "not a url")'],
    [{ replayCacheSize: 0 }, ': replayCacheSize must be a whole number from 1 to 10000000 (got 0)'],
  ])('%j: the same message from a JSON file, a YAML file and a programmatic config', async (config, rest) => {
    expect(fileProblem(JSON.stringify(config), 'c.json')).toBe(`c.json${rest}`);
    expect(fileProblem(toYaml(config), 'c.yaml')).toBe(`c.yaml${rest}`);
    expect(await programmaticProblem(config)).toBe(`config${rest}`);
  });

  test('never "unknown key", and never a client secret', async () => {
    const secret = 'server-secret-do-not-print';
    for (const config of [{ clients: [{ ...client, secret: [secret] }] }, { clients: [{ ...client, privateJwk: { kty: 7, d: secret } }] }, { clients: [{ ...client, id: 7, secret }] }]) {
      const message = await programmaticProblem(config);
      expect(message).not.toContain(secret);
      expect(message).not.toMatch(/unknown key/);
    }
  });

  test('clock is a programmatic member only: a function is accepted, a file\'s "clock" is unknown', async () => {
    await expect(resolveServerConfig({ clients: [client as never], clock: () => 0 })).resolves.toMatchObject({ port: 0 });
    expect(fileProblem('{"clock": 5}', 'c.json')).toBe('c.json: unknown member "clock"');
    expect(await programmaticProblem({ clock: 5 })).toBe('clock must be a function');
  });

  test('$schema is accepted in a file and dropped', () => {
    expect(parseServerConfig('{"$schema": "./server.schema.json", "port": 0}', 'c.json')).toEqual({ port: 0 });
  });

  test('every member carries a description', () => {
    const missing = Object.entries(referenceServerConfigSchema.properties)
      .filter(([, member]) => typeof (member as { description?: unknown }).description !== 'string')
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  test.each([
    [['--port', '70000'], '--port must be a whole number from 0 to 65535 (got "70000")'],
    [['--port', '1.5'], '--port must be a whole number from 0 to 65535 (got "1.5")'],
    [['--port', 'abc'], '--port must be a whole number from 0 to 65535 (got "abc")'],
    [['--host', ''], '--host must not be empty (got "")'],
    [['--host', ' '], '--host must be a host name or address without spaces (got " ")'],
  ])('serve %j: the flag is checked by the schema and named', async (args, message) => {
    const { code, stderr } = await cli(['serve', ...args]);
    expect({ code, stderr }).toEqual({ code: 2, stderr: `token-contract serve: ${message} (see 'token-contract serve --help')\n` });
  });
});
