/**
 * `npm run build` (scripts/build.js) skips when nothing it reads changed:
 * `npm run conformance` after a build goes straight to the run. Shown on a
 * small project of the same layout (its own src, tsconfigs and the two
 * post-tsc steps, which log each run) whose TypeScript is a stand-in
 * that copies src to dist and logs too (the real compiler's part is every
 * `npm test`'s own build): the second build does nothing; a changed
 * source, a new file, a removed output or --force builds again; a failing
 * step leaves no fingerprint, so the next build runs.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
let project: string;

function build(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(project, 'scripts', 'build.js'), ...args], { cwd: project, timeout: 120_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const steps = () => (existsSync(join(project, 'steps.log')) ? readFileSync(join(project, 'steps.log'), 'utf8').trim().split('\n') : []);

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'build-skip-'));
  mkdirSync(join(project, 'scripts'));
  mkdirSync(join(project, 'src', 'cli'), { recursive: true });
  mkdirSync(join(project, 'node_modules'));
  copyFileSync(join(ROOT, 'scripts', 'build.js'), join(project, 'scripts', 'build.js'));
  // A stand-in compiler: `tsc -p tsconfig.build.json` copies each src/**/*.ts to dist/src/**/*.js, and logs the run.
  mkdirSync(join(project, 'node_modules', 'typescript', 'bin'), { recursive: true });
  writeFileSync(join(project, 'node_modules', 'typescript', 'package.json'), JSON.stringify({ name: 'typescript', version: '0.0.0-stand-in' }));
  writeFileSync(
    join(project, 'node_modules', 'typescript', 'bin', 'tsc'),
    `const fs = require('node:fs'), path = require('node:path');
fs.appendFileSync(${JSON.stringify(join(project, 'steps.log'))}, 'tsc\\n');
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
for (const file of walk(path.join(process.cwd(), 'src'))) {
  const out = path.join(process.cwd(), 'dist', file.slice(process.cwd().length + 1)).replace(/\\.ts$/, '.js');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.copyFileSync(file, out);
}
`,
  );
  const step = (name: string, output: string) => `require('node:fs').appendFileSync(${JSON.stringify(join(project, 'steps.log'))}, '${name}\\n'); if (process.env.FAIL_STEP === '${name}') process.exit(3); const p = require('node:path').join(${JSON.stringify(project)}, ${JSON.stringify(output)}); require('node:fs').mkdirSync(require('node:path').dirname(p), { recursive: true }); require('node:fs').writeFileSync(p, '{}');\n`;
  writeFileSync(join(project, 'scripts', 'write-schema.js'), step('schema', 'dist/conformance.schema.json'));
  writeFileSync(join(project, 'scripts', 'write-validators.js'), step('validators', 'dist/src/validate/precompiled/validators.js'));
  writeFileSync(join(project, 'src', 'cli', 'main.ts'), 'export const answer = 42;\n');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'build-skip-fixture', private: true }));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, types: [] } }));
  writeFileSync(join(project, 'tsconfig.build.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { rootDir: '.', outDir: 'dist' }, include: ['src'] }));
});
afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('scripts/build.js', () => {
  test('builds once, then skips until an input changes, an output goes or --force is given', async () => {
    expect((await build()).code).toBe(0);
    expect(steps()).toEqual(['tsc', 'schema', 'validators']);
    expect(existsSync(join(project, 'dist', 'src', 'cli', 'main.js'))).toBe(true);

    const again = await build();
    expect([again.code, again.stdout.trim()]).toEqual([0, 'build: up to date (nothing in src, scripts, the tsconfigs, package.json or package-lock.json changed since the last build)']);
    expect((await build('--quiet')).stdout).toBe('');
    expect(steps()).toHaveLength(3);

    writeFileSync(join(project, 'src', 'cli', 'main.ts'), 'export const answer = 43;\n');
    await build();
    expect(steps()).toHaveLength(6);
    expect(readFileSync(join(project, 'dist', 'src', 'cli', 'main.js'), 'utf8')).toContain('43');

    writeFileSync(join(project, 'src', 'extra.ts'), 'export const more = 1;\n');
    await build();
    expect(steps()).toHaveLength(9);

    rmSync(join(project, 'dist', 'conformance.schema.json'));
    await build();
    expect(steps()).toHaveLength(12);

    // A new lockfile (another ajv or TypeScript installed): the validators and the compile may differ.
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: {} }));
    await build();
    expect(steps()).toHaveLength(15);

    await build('--force');
    expect(steps()).toHaveLength(18);
  });

  test('a failing step fails the build and leaves no fingerprint: the next build runs every step', async () => {
    writeFileSync(join(project, 'src', 'cli', 'main.ts'), 'export const answer = 44;\n');
    const before = steps().length;
    const failed = await new Promise<number>((done) => {
      execFile(process.execPath, [join(project, 'scripts', 'build.js')], { cwd: project, env: { ...process.env, FAIL_STEP: 'validators' } }, (error) => done(error && typeof error.code === 'number' ? error.code : 0));
    });
    expect(failed).toBe(3);
    expect((await build()).code).toBe(0);
    expect(steps().slice(before)).toEqual(['tsc', 'schema', 'validators', 'tsc', 'schema', 'validators']);
  });
});
