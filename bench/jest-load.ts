/**
 * The per-test-file cost of the Jest setup entry, measured as whole Jest
 * runs: N one-assertion test files with plain `expect`, next to the same N
 * files with `setupFilesAfterEnv: ['attesto-token-contract/jest']` (the
 * built dist entry) asserting with a matcher. Jest loads setup files once per
 * test file, in a fresh module registry, so the difference divided by N is
 * what the entry costs each test file: its module graph plus the first
 * assertion.
 *
 * Every variant runs in the same Jest, `--runInBand` (one process, so worker
 * start-up does not blur the difference), with no transform (babel would cost
 * the same on both sides and only add noise), after one warm-up run that
 * fills Jest's cache. Variants are interleaved round by round, so drift
 * (thermal, other load) hits all of them alike; the median and the fastest
 * run are reported.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

export interface JestVariant {
  /** A label for the table. */
  name: string;
  /** Files for `setupFilesAfterEnv` (absolute paths); none for plain `expect`. */
  setupFiles: readonly string[];
  /** The body of the one test in each file; `response` is in scope. */
  assertion: string;
}

export interface JestLoadOptions {
  files: number;
  rounds: number;
  variants: readonly JestVariant[];
  /** Extra files written into the temporary directory (e.g. a setup file of the bench's own). */
  extraFiles?: Readonly<Record<string, string>>;
}

export interface JestLoadResult {
  name: string;
  medianMs: number;
  /** The fastest run: other load on the machine only ever adds time, so this is the least disturbed figure. */
  fastestMs: number;
  samplesMs: number[];
}

/** The passing Bearer token response every test file asserts on. */
const RESPONSE = {
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' },
  body: { access_token: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl', token_type: 'Bearer', expires_in: 900, scope: 'read write' },
};

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Where the bench writes its scratch files; the caller passes it to `extraFiles` paths. */
export function makeScratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'attesto-bench-jest-'));
}

/** Runs every variant `rounds` times (after a warm-up each) in `dir`, which the caller removes. */
export function measureJestLoad(dir: string, options: JestLoadOptions): JestLoadResult[] {
  if (!existsSync(JEST)) throw new Error(`jest is not installed at ${JEST}`);
  for (const [path, content] of Object.entries(options.extraFiles ?? {})) writeFileSync(join(dir, path), content);
  const variantDirs = options.variants.map((variant, index) => writeVariant(dir, `v${index}`, variant, options.files));
  const run = (variantDir: string): number => {
    const started = performance.now();
    try {
      // --ci: no snapshot writes; --silent: no console noise.
      // Jest finds jest.config.json in the working directory (`--config` from elsewhere is unreliable in Jest 30).
      execFileSync(process.execPath, [JEST, '--runInBand', '--ci', '--silent'], { cwd: variantDir, stdio: 'pipe', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    } catch (error) {
      // A variant whose tests do not pass is never timed.
      const stderr = String((error as { stderr?: unknown }).stderr ?? '');
      throw new Error(`jest in ${variantDir} failed:\n${stderr.slice(-3000)}`);
    }
    return performance.now() - started;
  };
  for (const variantDir of variantDirs) run(variantDir); // warm-up: Jest's haste map and cache
  const samples = variantDirs.map(() => [] as number[]);
  for (let round = 0; round < options.rounds; round++) {
    variantDirs.forEach((variantDir, index) => samples[index]!.push(run(variantDir)));
  }
  return options.variants.map((variant, index) => ({ name: variant.name, medianMs: median(samples[index]!), fastestMs: Math.min(...samples[index]!), samplesMs: samples[index]! }));
}

function writeVariant(dir: string, id: string, variant: JestVariant, files: number): string {
  const tests = join(dir, id, 'tests');
  mkdirSync(tests, { recursive: true });
  for (let i = 0; i < files; i++) {
    writeFileSync(
      join(tests, `file${String(i).padStart(2, '0')}.test.js`),
      `const response = ${JSON.stringify(RESPONSE)};\ntest('one assertion', () => {\n  ${variant.assertion}\n});\n`,
    );
  }
  writeFileSync(
    join(dir, id, 'jest.config.json'),
    JSON.stringify({
      rootDir: tests,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/*.test.js'],
      transform: {},
      cacheDirectory: join(dir, 'jest-cache'),
      setupFilesAfterEnv: variant.setupFiles,
    }),
  );
  return join(dir, id);
}

/** Removes the scratch directory. */
export function removeScratchDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
