/**
 * What the Jest setup entry loads. Jest loads a setup file once per test
 * file, in a fresh module registry, so every module the entry pulls in is
 * paid for by every test file: the entry and one passing assertion must load
 * none of Ajv's compiler (the validators are precompiled), jose (thumbprints
 * only), yaml (schema export), supertest, the harness, the server, the
 * conformance suite, or the modules only a failure message needs.
 *
 * Each check runs in a fresh node process (the sources transpiled on the fly
 * by bench/register.js), which lists require.cache afterwards; the last tests
 * prove the check finds such modules where they are loaded.
 */
import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** Modules the setup entry must not load: pattern, and why not. */
const NOT_FOR_THE_MATCHERS: ReadonlyArray<[RegExp, string]> = [
  [/\/node_modules\/ajv\/dist\/(ajv|core|compile\/)/, "Ajv's compiler: the validators are precompiled"],
  [/\/node_modules\/ajv-formats\/dist\/index/, 'ajv-formats (a compile-time plug-in)'],
  [/\/node_modules\/jose\//, 'jose: only a DPoP key needs it, loaded then'],
  [/\/node_modules\/yaml\//, 'yaml: schema export only'],
  [/\/node_modules\/(supertest|superagent|formidable)\//, 'the HTTP stack of the harness'],
  [/\/src\/(conformance|harness|server|cli)\//, 'the suite, harness, server and CLI'],
  [/\/src\/openapi\/(document|export|index)\.ts$/, 'the document builder and the openapi barrel'],
  [/\/src\/validate\/(compile-validators|format|thumbprint|index)\.ts$/, 'build-time, failure-only and key-only modules, and the validate barrel'],
  [/\/src\/oauth\/(secrets|access-token|thumbprint)\.ts$/, 'failure-only and key-only modules'],
];

interface Loaded {
  modules: string[];
  passed?: boolean;
}

/** Runs `script` (it may await) in a fresh node process that can require the TypeScript sources; returns the modules it loaded. */
function loadedBy(script: string): Promise<Loaded> {
  const program = `(async () => {\n${script}\n})().then(() => process.stdout.write(JSON.stringify({ ...globalThis.__result, modules: Object.keys(require.cache).map((p) => p.split(require('node:path').sep).join('/')) })));`;
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, ['-r', join(ROOT, 'bench', 'register.js'), '-e', program], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`the load check failed: ${String(stderr).slice(-2000)}`));
      else resolvePromise(JSON.parse(String(stdout)) as Loaded);
    });
  });
}

function forbidden(modules: readonly string[]): string[] {
  return modules.flatMap((path) => NOT_FOR_THE_MATCHERS.filter(([pattern]) => pattern.test(path)).map(([, why]) => `${path.replace(ROOT.split('\\').join('/'), '')} (${why})`));
}

const PASSING_RESPONSE = JSON.stringify({
  status: 200,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
  body: { access_token: 'opaque-token', token_type: 'Bearer', expires_in: 60 },
});

// The setup entry with Jest's expect stood in for: extend() keeps the matchers, then one is called as Jest would.
const SETUP_AND_ONE_ASSERTION = `
let registered;
globalThis.expect = { extend(matchers) { registered = matchers; } };
require('./src/matchers/jest');
const result = registered.toMatchTokenResponse.call({ isNot: false, promise: '' }, ${PASSING_RESPONSE});
globalThis.__result = { passed: result.pass };
`;

describe('the Jest setup entry loads only what a passing assertion needs', () => {
  test('the entry and one passing assertion', async () => {
    const loaded = await loadedBy(SETUP_AND_ONE_ASSERTION);
    expect(loaded.passed).toBe(true);
    expect(loaded.modules).toContainEqual(expect.stringMatching(/\/src\/validate\/precompiled\/validators\.js$/));
    expect(forbidden(loaded.modules)).toEqual([]);
  });

  test('a failure loads the message modules then, and a DPoP key loads jose then', async () => {
    const loaded = await loadedBy(`${SETUP_AND_ONE_ASSERTION}
const failed = registered.toMatchTokenResponse.call({}, { status: 500, headers: {}, body: 'x' });
failed.message();
const key = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
await registered.toMatchDPoPTokenResponse.call({}, ${PASSING_RESPONSE}, { key });`);
    expect(loaded.modules).toContainEqual(expect.stringMatching(/\/src\/validate\/format\.ts$/));
    expect(loaded.modules).toContainEqual(expect.stringMatching(/\/src\/oauth\/secrets\.ts$/));
    expect(loaded.modules).toContainEqual(expect.stringMatching(/\/node_modules\/jose\//));
  });

  test('the check finds such modules where they are loaded: the compiler, the openapi barrel and yaml', async () => {
    const loaded = await loadedBy("require('./src/validate/compile-validators').compileContractValidators(); require('./src/openapi');");
    const found = forbidden(loaded.modules).join('\n');
    expect(found).toMatch(/\/node_modules\/ajv\/dist\/compile\//);
    expect(found).toMatch(/\/node_modules\/yaml\//);
    expect(found).toMatch(/\/src\/openapi\/index\.ts/);
    expect(found).toMatch(/\/src\/validate\/compile-validators\.ts/);
  });
});
