/**
 * The GitHub Action (action.yml), run here as a runner would: its composite
 * step's `run` in bash, with the step's `env` filled from the inputs (each
 * `${{ inputs.x }}` the given value or the input's default), GITHUB_ACTION_PATH
 * at this repository and GITHUB_STEP_SUMMARY at a file earlier steps wrote to.
 * The CLI comes from the package (a tarball of this checkout, as
 * `package`), against the reference server; the secret travels by the
 * environment variable the inputs name, never as an input.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { createReferenceServer, type ReferenceServer } from '../../src/server';

const ROOT = resolve(__dirname, '../..');
const SECRET = 'action-test-client-secret-0123456789';

interface ActionFile {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  runs: { using: string; steps: Array<{ shell: string; run: string; env: Record<string, string> }> };
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionFile;
let dir: string;
let tarball: string;
let server: ReferenceServer;

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { ...options, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs the action's step with these inputs (the rest at their defaults), as the runner would. */
async function runAction(inputs: Record<string, string>, extraEnv: NodeJS.ProcessEnv = {}) {
  for (const name of Object.keys(inputs)) expect(action.inputs).toHaveProperty(name);
  const value = (name: string) => inputs[name] ?? action.inputs[name]?.default ?? '';
  const [step] = action.runs.steps;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_cache: process.env.npm_config_cache, GITHUB_ACTION_PATH: ROOT, GITHUB_STEP_SUMMARY: join(dir, 'summary.md'), ...extraEnv };
  for (const [name, template] of Object.entries(step!.env)) {
    env[name] = template.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_all, input: string) => value(input));
  }
  return run('bash', ['-c', step!.run], { cwd: dir, env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'action-'));
  const build = await run(process.execPath, [join(ROOT, 'scripts', 'build.js'), '--quiet'], { cwd: ROOT, env: process.env });
  expect(build.code).toBe(0);
  const pack = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, env: process.env });
  expect(pack.code).toBe(0);
  tarball = join(dir, readdirSync(dir).find((name) => name.endsWith('.tgz'))!);
  server = await createReferenceServer({ clients: [{ id: 'ci-client', secret: SECRET, authMethods: ['client_secret_basic'], grantTypes: ['client_credentials'], scopes: ['read'] }] });
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('action.yml', () => {
  test('a composite action whose one step gets every input through the environment, none pasted into the script', () => {
    expect(action.runs.using).toBe('composite');
    const [step] = action.runs.steps;
    expect(step!.shell).toBe('bash');
    expect(step!.run).not.toMatch(/\$\{\{/);
    const mapped = Object.values(step!.env).map((template) => /\$\{\{\s*inputs\.([\w-]+)\s*\}\}/.exec(template)?.[1]);
    expect(mapped.sort()).toEqual(Object.keys(action.inputs).sort());
    // The script reads exactly the variables the step sets (and INPUT_COLOR, a knob of its own).
    const script = readFileSync(join(ROOT, 'action', 'run.sh'), 'utf8');
    const read = new Set([...script.matchAll(/\$\{(INPUT_[A-Z_]+)/g)].map((m) => m[1]!));
    read.delete('INPUT_COLOR');
    expect([...read].sort()).toEqual(Object.keys(step!.env).sort());
    // The secret is never an input.
    expect(Object.keys(action.inputs).filter((name) => /secret/.test(name))).toEqual(['client-secret-env']);
  });

  test('run with the inputs a workflow gives: the checks pass, the job summary is appended, JUnit and HTML written, the secret shown nowhere', async () => {
    writeFileSync(join(dir, 'summary.md'), '## Earlier step\n');
    const result = await runAction(
      {
        url: server.tokenEndpoint,
        'client-id': 'ci-client',
        'client-secret-env': 'TOKEN_CLIENT_SECRET',
        scope: 'read',
        junit: 'reports/junit.xml',
        html: 'reports/conformance.html',
        // A YAML block: flags on two lines; the second takes one check out again.
        args: '--only ok-basic,resp-no-store,grant-missing,ok-post\n--skip ok-post',
        package: tarball,
      },
      { TOKEN_CLIENT_SECRET: SECRET },
    );
    expect({ code: result.code, stderr: result.stderr.slice(-2000) }).toEqual({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(/\[3\/3\]/);
    // Coloured: a CI log is no terminal.
    expect(result.stdout).toMatch(/\u001b\[32m/);
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
    expect(summary.startsWith('## Earlier step\n')).toBe(true);
    expect(summary).toMatch(/## Token endpoint conformance: ✅ conformant/);
    expect(existsSync(join(dir, 'reports', 'junit.xml'))).toBe(true);
    expect(readFileSync(join(dir, 'reports', 'conformance.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    for (const text of [result.stdout, result.stderr, summary, readFileSync(join(dir, 'reports', 'junit.xml'), 'utf8'), readFileSync(join(dir, 'reports', 'conformance.html'), 'utf8')]) expect(text).not.toContain(SECRET);
  });

  test('the job fails as the CLI does (a stale expected failure under strict-expected); a bad input is exit 2 before any run', async () => {
    writeFileSync(join(dir, 'expected.txt'), 'ok-basic # thought broken\n');
    const base = { url: server.tokenEndpoint, 'client-id': 'ci-client', 'client-secret-env': 'TOKEN_CLIENT_SECRET', scope: 'read', args: '--only ok-basic', package: tarball };
    const env = { TOKEN_CLIENT_SECRET: SECRET };
    // The same run is exit 0 without strict-expected: the XPASS is only reported (ci-conventions.test.ts).
    const strict = await runAction({ ...base, 'expected-failures': 'expected.txt', 'strict-expected': 'true' }, env);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/XPASS\s+ok-basic/);
    const badStrict = await runAction({ ...base, 'strict-expected': 'yes' }, env);
    expect([badStrict.code, badStrict.stderr]).toEqual([2, expect.stringMatching(/strict-expected must be true or false/)]);
  });
});
