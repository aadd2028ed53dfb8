/**
 * The package as users get it: `npm pack`, installed from the tarball into a
 * fresh consumer project outside this repository, then
 *  - require() and import of every entry (`.`, `./matchers`, `./jest`,
 *    `./vitest`, `./harness`, `./server`, `./conformance`, `./errors`,
 *    `./package.json`) expose the expected names;
 *  - the light entries (`.`, `./matchers`, `./jest`) load no supertest and
 *    none of our harness, server or conformance modules;
 *  - Jest with its default CommonJS config and
 *    `setupFilesAfterEnv: ['attesto-token-contract/jest']`;
 *  - Jest with `@jest/globals` imports and with the global `jest`
 *    namespace (@types/jest), type-checked with tsc (classic node10 and
 *    node16 resolution);
 *  - Vitest with `expect.extend(matchers)`.
 * Packed and installed once per run; the install is cached under
 * os.tmpdir() by the tarball's hash (the npm cache holds every dependency).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXPECTED_NAMES, IMPORT_CHECK, LOAD_CHECK, JEST_CJS_TEST, JEST_CONFORMANCE_TEST, JEST_GLOBAL_TYPES_TEST, JEST_GLOBALS_TEST, REQUIRE_CHECK, STRICT_OPTIONS_TEST, TSCONFIG_NODE10, TSCONFIG_NODE16, TSCONFIG_STRICT, TSCONFIG_VITEST, VITEST_MATCHERS_ENTRY_TEST, VITEST_TEST } from './consumer-sources';

const ROOT = resolve(__dirname, '../..');
// The consumer's own tools only: @types/supertest comes with the package (a dependency, since the
// harness's public declarations use supertest's types), and the type-check proves it.
const TOOLS = ['jest', '@jest/globals', '@types/jest', '@types/node', 'typescript', 'vitest'];

let consumer: string; // the cached install
let work: string; // this run's test sources, inside the consumer so resolution finds its node_modules
let packDir: string;
let packedFiles: string[];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', CI: '1' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function toolVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The consumer installs without a lockfile, so every transitive range would
 * resolve afresh against the registry, which may list a version whose own
 * dependencies it cannot serve (seen: a @babel release asking for an
 * unpublished @babel/traverse). The consumer's tree is a subset of this
 * repository's (its tools are our devDependencies at the same versions, the
 * tarball's dependencies are ours), so every package our lockfile holds in
 * one version is pinned to it: the install is the tree CI already proved.
 */
function lockedOverrides(): Record<string, string> {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; name?: string }> };
  const versions = new Map<string, Set<string>>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.version === undefined) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    // An alias (`"@jest/react-is-18": "npm:react-is@18"`) is no package of that name to pin.
    if (entry.name !== undefined && entry.name !== name) continue;
    versions.set(name, (versions.get(name) ?? new Set()).add(entry.version));
  }
  const tools = new Set(TOOLS);
  return Object.fromEntries([...versions].filter(([name, set]) => set.size === 1 && !tools.has(name)).map(([name, set]) => [name, [...set][0]!]));
}

async function installConsumer(tarball: string, hash: string): Promise<string> {
  const target = join(tmpdir(), `attesto-token-contract-consumer-${hash.slice(0, 16)}`);
  if (existsSync(join(target, '.ready'))) return target;
  const staging = mkdtempSync(`${target}.staging-`);
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'attesto-consumer', version: '1.0.0', private: true, overrides: lockedOverrides() }, null, 2));
  const specs = [tarball, ...TOOLS.map((name) => `${name}@${toolVersion(name)}`)];
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs], staging);
  if (install.code !== 0) throw new Error(`npm install in the consumer failed:\n${install.stderr.slice(-2000)}`);
  writeFileSync(join(staging, '.ready'), hash);
  try {
    renameSync(staging, target);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another run finished first: use its install
  }
  pruneStaleInstalls(target);
  return target;
}

/** Installs for older tarballs, untouched for an hour, are removed (each is a full node_modules). */
function pruneStaleInstalls(keep: string): void {
  const prefix = 'attesto-token-contract-consumer-';
  for (const name of readdirSync(tmpdir())) {
    const path = join(tmpdir(), name);
    if (!name.startsWith(prefix) || path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
    } catch {
      // another run may be removing it too
    }
  }
}

beforeAll(async () => {
  packDir = mkdtempSync(join(tmpdir(), 'attesto-pack-'));
  // The dist of this checkout, built if it is not up to date (scripts/build.js: nothing to do after `npm test`'s build).
  // Packed without `prepack`, whose clean would delete dist under the other test files that spawn the CLI from it.
  const build = await run(process.execPath, [join(ROOT, 'scripts', 'build.js'), '--quiet'], ROOT);
  if (build.code !== 0) throw new Error(`build failed:\n${build.stderr.slice(-3000)}${build.stdout.slice(-2000)}`);
  const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir, '--loglevel=error'], ROOT);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr.slice(-3000)}${pack.stdout.slice(-2000)}`);
  const packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[])[0]!;
  const filename = packed.filename;
  packedFiles = packed.files.map((file) => file.path);
  const tarball = join(packDir, filename);
  const hash = createHash('sha256').update(readFileSync(tarball)).update(TOOLS.map(toolVersion).join()).digest('hex');
  consumer = await installConsumer(tarball, hash);
  work = mkdtempSync(join(consumer, 'run-'));
  const files: Record<string, string> = {
    'require-check.cjs': REQUIRE_CHECK,
    'import-check.mjs': IMPORT_CHECK,
    'load-check.cjs': LOAD_CHECK,
    'jest-cjs/package.json': JSON.stringify({ name: 'jest-cjs', private: true, jest: { setupFilesAfterEnv: ['attesto-token-contract/jest'] } }),
    'jest-cjs/matchers.test.js': JEST_CJS_TEST,
    'jest-cjs/conformance.test.js': JEST_CONFORMANCE_TEST,
    'jest-globals/src/globals.test.ts': JEST_GLOBALS_TEST,
    'jest-globals/src/global-types.test.ts': JEST_GLOBAL_TYPES_TEST,
    'jest-globals/tsconfig.json': JSON.stringify(TSCONFIG_NODE10),
    'jest-globals/tsconfig.node16.json': JSON.stringify(TSCONFIG_NODE16),
    'jest-globals/out/package.json': JSON.stringify({ name: 'jest-globals', private: true, jest: { setupFilesAfterEnv: ['attesto-token-contract/jest'] } }),
    'vitest/vitest.test.mts': VITEST_TEST,
    'vitest/vitest-matchers-entry.test.mts': VITEST_MATCHERS_ENTRY_TEST,
    'vitest/tsconfig.json': JSON.stringify(TSCONFIG_VITEST),
    'strict/tsconfig.json': JSON.stringify(TSCONFIG_STRICT),
    'strict/src/options.test.ts': STRICT_OPTIONS_TEST,
    ...readmeExamples(),
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), content);
  }
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (packDir) rmSync(packDir, { recursive: true, force: true });
});

/**
 * Every TypeScript example of the README that imports the package, as a
 * file of the strict consumer: an ES module (.mts) when it awaits at the
 * top level, as it would be in a project.
 */
function readmeExamples(): Record<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const examples: Record<string, string> = {};
  let index = 0;
  for (const [, code] of readme.matchAll(/```ts\n([\s\S]*?)```/g)) {
    index++;
    if (!/^import .* from 'attesto-token-contract/m.test(code!)) continue;
    const extension = /^(const [^=]+= )?await /m.test(code!) ? 'mts' : 'ts';
    examples[`strict/src/readme-${index}.test.${extension}`] = code!;
  }
  return examples;
}

function bin(relative: string): string {
  return join(consumer, 'node_modules', relative);
}

function parseJson(result: Run, what: string): Record<string, unknown> {
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`${what} printed no JSON (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
  }
}

const MATCHER_NAMES = EXPECTED_NAMES['attesto-token-contract/matchers']!.filter((name) => name !== 'matchers' && name !== 'configureMatchers');

describe('entry points from the installed tarball', () => {
  test('the tarball ships code and declarations for every entry, and no tests or sources', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
    for (const target of Object.values(pkg.exports)) {
      for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) expect(packedFiles).toContain(file.replace(/^\.\//, ''));
    }
    expect(packedFiles.filter((file) => /^(test|fixtures|bench)\/|\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
    // The precompiled validators are generated JavaScript, put into dist by the build (tsc compiles TypeScript only).
    expect(packedFiles).toEqual(expect.arrayContaining(['dist/src/validate/precompiled/validators.js', 'dist/src/validate/precompiled/validators.d.ts']));
  });

  test('a LICENSE that matches "license", and jest and vitest as optional peers (a consumer uses one, or neither)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; peerDependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional?: boolean }> };
    expect(packedFiles).toContain('LICENSE');
    const license = readFileSync(join(consumer, 'node_modules', 'attesto-token-contract', 'LICENSE'), 'utf8');
    expect([pkg.license, license.split('\n')[0]]).toEqual(['MIT', 'MIT License']);
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['jest', 'vitest']);
    for (const name of ['jest', 'vitest']) expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
  });

  test('the token-contract bin runs from the install', async () => {
    const result = await run(process.execPath, [bin('.bin/token-contract'), '--version'], work);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  test('require() of every entry exposes the expected names', async () => {
    const out = parseJson(await run(process.execPath, ['require-check.cjs'], work), 'require-check');
    for (const entry of Object.keys(EXPECTED_NAMES)) expect({ entry, missing: out[entry] }).toEqual({ entry, missing: [] });
    expect(out.rootPresentAbsent).toEqual([]);
    expect(out.jestWithoutExpect).toMatch(/must be loaded by Jest/);
    expect(out.registered).toEqual(MATCHER_NAMES);
    expect(out.packageVersion).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  test('import of every entry exposes the expected names, also as static named imports', async () => {
    const out = parseJson(await run(process.execPath, ['import-check.mjs'], work), 'import-check');
    expect(out.staticImports).toEqual(['function', 'function', 'string', 'object', 'function', 'object', 'function', 'function', 'function', 'function']);
    for (const entry of Object.keys(EXPECTED_NAMES)) expect({ entry, missing: out[entry] }).toEqual({ entry, missing: [] });
    expect(out.registered).toEqual(MATCHER_NAMES);
  });
});

interface LoadCheck {
  entry: string;
  modules: number;
  heavy: string[];
  dependencies: string[];
}

async function loadCheck(entry: string): Promise<LoadCheck> {
  return parseJson(await run(process.execPath, ['load-check.cjs', entry], work), `load-check ${entry}`) as unknown as LoadCheck;
}

describe('light entries load no HTTP stack, harness, server or conformance code', () => {
  // Each in its own node process: require.cache then holds exactly what that entry pulled in.
  test.each(['attesto-token-contract', 'attesto-token-contract/matchers', 'attesto-token-contract/jest'])('%s', async (entry) => {
    const out = await loadCheck(entry);
    expect(out.modules).toBeGreaterThan(1); // the entry itself was loaded and seen
    expect({ entry, heavy: out.heavy }).toEqual({ entry, heavy: [] });
  });

  // Jest loads the setup entry once per test file: the validators are precompiled, jose and yaml load only when used.
  test.each(['attesto-token-contract/matchers', 'attesto-token-contract/jest'])('%s loads no ajv, ajv-formats, jose or yaml', async (entry) => {
    const out = await loadCheck(entry);
    expect({ entry, dependencies: out.dependencies }).toEqual({ entry, dependencies: [] });
  });

  test('the dependency check finds them where they are: the root entry loads yaml (schema export)', async () => {
    const out = await loadCheck('attesto-token-contract');
    expect(out.dependencies).toContainEqual(expect.stringMatching(/\/node_modules\/yaml\//));
  });

  test('the check finds them where they are: ./harness loads supertest and superagent, ./server our server code', async () => {
    const harness = await loadCheck('attesto-token-contract/harness');
    expect(harness.heavy).toEqual(expect.arrayContaining([expect.stringMatching(/\/node_modules\/supertest\//), expect.stringMatching(/\/node_modules\/superagent\//), expect.stringMatching(/\/attesto-token-contract\/dist\/src\/harness\/index\.js$/)]));
    const server = await loadCheck('attesto-token-contract/server');
    expect(server.heavy).toEqual(expect.arrayContaining([expect.stringMatching(/\/attesto-token-contract\/dist\/src\/server\/server\.js$/)]));
  });
});

async function runJest(dir: string): Promise<Record<string, unknown>> {
  const outputFile = join(dir, 'jest-result.json');
  const result = await run(process.execPath, [bin('jest/bin/jest.js'), '--ci', '--json', `--outputFile=${outputFile}`, '--rootDir', dir], dir);
  if (!existsSync(outputFile)) throw new Error(`jest did not run (exit ${result.code}):\n${result.stderr.slice(-3000)}`);
  const report = JSON.parse(readFileSync(outputFile, 'utf8')) as Record<string, unknown>;
  if (report.numFailedTests !== 0 || report.numFailedTestSuites !== 0) throw new Error(`consumer jest failed:\n${result.stderr.slice(-4000)}`);
  return report;
}

describe('Jest consumers', () => {
  test('default CommonJS config with setupFilesAfterEnv', async () => {
    const report = await runJest(join(work, 'jest-cjs'));
    // 6 matcher tests, and 3 conformance checks registered by describeTokenEndpointConformance.
    expect(report).toMatchObject({ numPassedTests: 9, numFailedTests: 0, numPendingTests: 0, numTotalTestSuites: 2 });
  });

  test('@jest/globals imports and the global jest namespace type-check with tsc (node10 resolution) and run', async () => {
    const tsc = await run(process.execPath, [bin('typescript/bin/tsc'), '-p', 'tsconfig.json'], join(work, 'jest-globals'));
    expect({ code: tsc.code, output: tsc.stdout + tsc.stderr }).toEqual({ code: 0, output: '' });
    const report = await runJest(join(work, 'jest-globals', 'out'));
    expect(report).toMatchObject({ numPassedTests: 5, numFailedTests: 0, numTotalTestSuites: 2 });
  });

  test('the typings also hold under node16 resolution (package "exports")', async () => {
    const tsc = await run(process.execPath, [bin('typescript/bin/tsc'), '-p', 'tsconfig.node16.json'], join(work, 'jest-globals'));
    expect({ code: tsc.code, output: tsc.stdout + tsc.stderr }).toEqual({ code: 0, output: '' });
  });
});

describe('a consumer with the strictest settings (TypeScript 6, exactOptionalPropertyTypes, noUncheckedIndexedAccess)', () => {
  test('every README example and options built from maybe-undefined values type-check, our declarations included', async () => {
    expect(toolVersion('typescript')).toMatch(/^6\./);
    const examples = readdirSync(join(work, 'strict', 'src')).filter((name) => name.startsWith('readme-'));
    expect(examples.length).toBeGreaterThanOrEqual(4);
    const tsc = await run(process.execPath, [bin('typescript/bin/tsc'), '-p', 'tsconfig.json'], join(work, 'strict'));
    expect({ code: tsc.code, output: tsc.stdout + tsc.stderr }).toEqual({ code: 0, output: '' });
  });
});

describe('Vitest consumer', () => {
  test('the vitest module typings type-check with tsc (expect(x).toMatch…, expect.toMatch…)', async () => {
    const tsc = await run(process.execPath, [bin('typescript/bin/tsc'), '-p', 'tsconfig.json'], join(work, 'vitest'));
    expect({ code: tsc.code, output: tsc.stdout + tsc.stderr }).toEqual({ code: 0, output: '' });
  });

  test('expect.extend(matchers) runs (esbuild works even if its postinstall did not run)', async () => {
    const outputFile = join(work, 'vitest-result.json');
    const result = await run(process.execPath, [bin('vitest/vitest.mjs'), 'run', '--root', join(work, 'vitest'), '--reporter=json', `--outputFile=${outputFile}`], work);
    if (!existsSync(outputFile)) throw new Error(`vitest did not run (exit ${result.code}):\n${result.stderr.slice(-3000)}${result.stdout.slice(-2000)}`);
    const report = JSON.parse(readFileSync(outputFile, 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({ numPassedTests: 4, numFailedTests: 0, numTotalTestSuites: expect.any(Number) });
    expect(result.code).toBe(0);
  });
});
