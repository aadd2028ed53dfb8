/**
 * Issue 17 items 4 and 5 for `serve --config`: a problem in the reference
 * server's config file names the line and column (or the member) and what
 * is wrong, never a client secret or a line of the file; yaml's warnings
 * are collected, never handed to process.emitWarning.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ServerConfigError } from '../../src/errors';
import { parseServerConfig } from '../../src/server/config-file';
import { resolveServerConfig } from '../../src/server/config';
import { runCli } from '../../src/cli/run';
import { expectNoLeak, recordPrinted } from '../support/leaks';

const SECRET = 'R8S3cretZq7xWv2Lp9Kd';

function expectNoSecret(text: string): void {
  expectNoLeak(text, SECRET);
}

recordPrinted(SECRET);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'server-config-leaks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fileProblem(text: string, source: string): string {
  try {
    parseServerConfig(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ServerConfigError);
    expect((error as Error).cause).toBeUndefined();
    expectNoSecret((error as Error).message);
    return (error as Error).message;
  }
  throw new Error(`parseServerConfig accepted ${text}`);
}

/** `serve` in-process, told to stop at once: a config it wrongly accepted ends the run instead of serving forever. */
async function serve(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['serve', ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: dir,
    signal: AbortSignal.abort(),
  });
  expectNoSecret(stdout);
  expectNoSecret(stderr);
  return { code, stdout, stderr };
}

const taggedYaml = `clients:\n  - id: a\n    authMethods: [client_secret_basic]\n    secret: !vault ${SECRET}\n`;

describe('serve --config: YAML', () => {
  test('an unknown tag is an error naming the line and the tag; no process warning', () => {
    expect(fileProblem(taggedYaml, 'server.yaml')).toBe('server.yaml is not valid YAML/JSON: line 4, column 13: unknown tag !vault (only plain YAML is read: write the value itself)');
    expect(process.emitWarning).not.toHaveBeenCalled();
  });

  test('the CLI: exit 2 with that line, and the server never starts', async () => {
    const path = join(dir, 'tagged.yaml');
    await writeFile(path, taggedYaml);
    const { code, stdout, stderr } = await serve(['--config', path]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(`token-contract serve: --config: ${path} is not valid YAML/JSON: line 4, column 13: unknown tag !vault (only plain YAML is read: write the value itself)\n`);
    expect(process.emitWarning).not.toHaveBeenCalled();
  });

  test.each([
    ['an unclosed quote', `clients:\n  - id: a\n    secret: "${SECRET}\n`, /^s\.yaml is not valid YAML\/JSON: line \d+, column \d+: a quoted value that is never closed$/],
    ['a line without ":"', `clients:\n  - id: a\n    authMethods: [client_secret_basic]\n  secret ${SECRET}\n`, /^s\.yaml is not valid YAML\/JSON: line 4, column \d+: /],
    ['JSON written in a .yaml file', `{"clients": [{"id": "a", "secret": "${SECRET}",, }]}`, /^s\.yaml is not valid YAML\/JSON: line 1, column \d+: /],
  ])('%s', (_, text, message) => {
    expect(fileProblem(text, 's.yaml')).toMatch(message);
  });
});

describe('serve --config: JSON', () => {
  const json = `{\n  "clients": [\n    { "id": "a", "authMethods": ["client_secret_basic"], "secret": ${SECRET}" }\n  ]\n}\n`;

  test('the position and what was expected, never the text near it', () => {
    expect(fileProblem(json, 'server.json')).toBe(
      'server.json is not valid JSON: line 3, column 68: unexpected character (expected a value: a string in double quotes, a number, true, false, null, an object or an array)',
    );
  });

  test('the CLI says the same', async () => {
    const path = join(dir, 'server.json');
    await writeFile(path, json);
    const { code, stderr } = await serve(['--config', path]);
    expect(code).toBe(2);
    expect(stderr).toContain('is not valid JSON: line 3, column 68: unexpected character');
  });
});

describe('a secret in the wrong member is never quoted', () => {
  const client = { id: 'a', authMethods: ['client_secret_basic'], secret: 's' };

  test.each([
    ['path', { path: SECRET }, 'config: path must start with "/" and hold no query, fragment or spaces'],
    ['host', { host: `${SECRET} x` }, 'config: host must be a host name or address without spaces'],
    ['issuer', { issuer: SECRET }, 'config: issuer must be an absolute URI'],
    ['a scope of the server', { scopes: ['read', `${SECRET} x`] }, 'config: scopes[1] must be an RFC 6749 §3.3 scope token'],
  ])('%s', async (_, config, message) => {
    const error = await resolveServerConfig(config as never).then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(ServerConfigError);
    expect(error!.message).toBe(message);
  });

  test("a client's scope the server does not know", async () => {
    const error = await resolveServerConfig({ clients: [{ ...client, scopes: [SECRET] }] } as never).then(() => undefined, (e: unknown) => e as Error);
    expect(error!.message).toBe("clients[0].scopes names a scope (not shown), which is not in the server's scopes");
    const typo = await resolveServerConfig({ clients: [{ ...client, scopes: ['raed'] }] } as never).then(() => undefined, (e: unknown) => e as Error);
    expect(typo!.message).toBe('clients[0].scopes names "raed", which is not in the server\'s scopes');
  });

  test('--host with the secret pasted in', async () => {
    const { code, stderr } = await serve(['--host', `${SECRET} x`]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^token-contract serve: --host must be a host name or address without spaces \(see/);
  });
});
