/**
 * The CLI's CI conventions, each against a server that provokes it:
 *  - --fail-on: the lowest level that fails the run (exit 1), the rfc
 *    profile never failing on CONTRACT, `inconclusive` failing on no verdict;
 *  - --strict-expected: a listed failure that passes now fails the run;
 *  - --output $GITHUB_STEP_SUMMARY appends (earlier steps' summary stays),
 *    any other file is replaced; the Markdown lists skipped checks and why;
 *  - JUnit's testsuite name is the same run after run (no ephemeral port);
 *  - --color always|never|auto with FORCE_COLOR and NO_COLOR;
 *  - the curl line carries --cacert when the run trusts a CA file.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRunClients } from '../../src/conformance';
import { cli } from '../support/cli';
import { NO_EXPIRES_IN, RATE_LIMITED, startMutatingProxy, type Mutation, type MutatingProxy } from './support/mutating-proxy';
import { startMtlsServer } from './support/mtls-server';

/** JSON bodies refused: ok-json-body fails on a CONTRACT finding (JSON is the contract's addition). */
const noJson: Mutation = {
  request: (req) => (/json/i.test(req.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '') ? { status: 400, headers: [['Content-Type', 'application/json'], ['Cache-Control', 'no-store'], ['Pragma', 'no-cache']], body: '{"error":"invalid_request"}' } : undefined),
};
const ANSI = /\u001b\[\d+m/;

let proxy: MutatingProxy;
let dir: string;
beforeAll(async () => {
  proxy = await startMutatingProxy({ clients: await defaultRunClients() });
  dir = mkdtempSync(join(tmpdir(), 'ci-conventions-'));
});
afterAll(async () => {
  await proxy?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const basic = () => ['--url', proxy.tokenEndpoint, '--client-id', 'basic-client', '--client-secret', proxy.server.clients['basic-client']!.secret!, '--scope', 'read'];

describe('--fail-on and --strict-expected', () => {
  test('a SHOULD warning fails the run only from --fail-on SHOULD down; the summary line says what fails', async () => {
    proxy.mutation = NO_EXPIRES_IN;
    try {
      const run = (...extra: string[]) => cli(['conformance', ...basic(), '--only', 'ok-basic,resp-expires', ...extra]);
      const byDefault = await run();
      expect(byDefault.code).toBe(0);
      expect(byDefault.stdout).toMatch(/no failing check \(profile attesto: MUST and CONTRACT fail the run; SHOULD\/MAY warn\)/);
      const should = await run('--fail-on', 'SHOULD');
      expect(should.code).toBe(1);
      expect(should.stdout).toMatch(/1 failing check \(profile attesto: MUST, CONTRACT and SHOULD fail the run; MAY warns\)/);
      expect((await run('--fail-on', 'MAY')).code).toBe(1);
      expect((await run('--fail-on', 'MUST')).code).toBe(0);
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('a CONTRACT failure: fails under attesto, not with --fail-on MUST, and never under rfc, whatever the fail level', async () => {
    proxy.mutation = noJson;
    try {
      const run = (...extra: string[]) => cli(['conformance', ...basic(), '--only', 'ok-json-body', ...extra]);
      expect((await run()).code).toBe(1);
      expect((await run('--fail-on', 'MUST')).code).toBe(0);
      const rfc = await run('--profile', 'rfc', '--fail-on', 'MAY');
      expect(rfc.code).toBe(0);
      expect(rfc.stdout).toMatch(/profile rfc: MUST, SHOULD and MAY fail the run; CONTRACT warns/);
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('--fail-on inconclusive fails a run with a check the target never answered (429 after the one resend)', async () => {
    proxy.mutation = RATE_LIMITED;
    try {
      const run = (...extra: string[]) => cli(['conformance', ...basic(), '--only', 'ok-basic', ...extra]);
      // The preflight probe is rate limited too, and the run goes on: the check has no verdict.
      const byDefault = await run('--reporter', 'json');
      expect(JSON.parse(byDefault.stdout).checks[0].status).toBe('inconclusive');
      expect(byDefault.code).toBe(0);
      const strict = await run('--fail-on', 'inconclusive', '--reporter', 'junit');
      expect(strict.code).toBe(1);
      expect(strict.stdout).toMatch(/<failure message="inconclusive \(--fail-on inconclusive\): rate limited/);
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('--strict-expected: a listed failure that passes now fails the run, and JUnit shows it as a failure', async () => {
    const list = join(dir, 'expected.txt');
    writeFileSync(list, 'ok-basic # thought broken\n');
    const run = (...extra: string[]) => cli(['conformance', ...basic(), '--only', 'ok-basic', '--expect-failures', list, ...extra]);
    const lenient = await run();
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/XPASS/);
    const strict = await run('--strict-expected', '--reporter', 'junit');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/failures="1"/);
    expect(strict.stdout).toMatch(/<failure message="unexpected pass \(--strict-expected\): remove it from the expected failures/);
  });

  test('--strict-expected: a listed check that no longer fails but still warns is stale too (XPASS, exit 1)', async () => {
    proxy.mutation = NO_EXPIRES_IN;
    try {
      const list = join(dir, 'expected-warn.txt');
      writeFileSync(list, 'resp-expires # was failing\n');
      const run = (...extra: string[]) => cli(['conformance', ...basic(), '--only', 'resp-expires', '--expect-failures', list, ...extra]);
      expect((await run()).code).toBe(0);
      const strict = await run('--strict-expected');
      expect(strict.code).toBe(1);
      expect(strict.stdout).toMatch(/XPASS\s+resp-expires .*no longer fails \(only warns: \[SHOULD\] expires_in is absent/);
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('bad values are one usage line (exit 2)', async () => {
    const failOn = await cli(['conformance', ...basic(), '--fail-on', 'WARN']);
    expect([failOn.code, failOn.stderr]).toEqual([2, expect.stringMatching(/--fail-on must be one of MUST, CONTRACT, SHOULD, MAY, inconclusive/)]);
    const color = await cli(['conformance', ...basic(), '--color', 'sometimes']);
    expect([color.code, color.stderr]).toEqual([2, expect.stringMatching(/--color must be one of always, never, auto/)]);
  });
});

describe('reports in CI', () => {
  test('--output $GITHUB_STEP_SUMMARY appends to what earlier steps wrote; another file is replaced; skipped checks are listed with why', async () => {
    const summary = join(dir, 'step-summary.md');
    writeFileSync(summary, '## Build\n\nearlier step\n');
    const env = { GITHUB_STEP_SUMMARY: summary };
    const args = ['conformance', ...basic(), '--only', 'ok-basic,tls,dpop-ok', '--reporter', 'markdown'];
    expect((await cli([...args, '--output', summary], { env, cwd: dir })).code).toBe(0);
    // Relative to the working directory, the same file: appended again.
    expect((await cli([...args, '--output', 'step-summary.md'], { env, cwd: dir })).code).toBe(0);
    const text = readFileSync(summary, 'utf8');
    expect(text.startsWith('## Build\n\nearlier step\n')).toBe(true);
    expect(text.match(/## Token endpoint conformance: /g)).toHaveLength(2);
    expect(text).toMatch(/<details><summary>2 skipped checks<\/summary>[\s\S]*\| `tls` \| MUST \| needs an https:\/\/ target[\s\S]*\| `dpop-ok` \| MUST \| needs DPoP support/);
    // Any other file is written whole (atomic rename): a second run replaces the first.
    const other = join(dir, 'report.md');
    writeFileSync(other, 'old content\n');
    await cli([...args, '--output', other], { env });
    await cli([...args, '--output', other], { env });
    const replaced = readFileSync(other, 'utf8');
    expect(replaced).not.toContain('old content');
    expect(replaced.match(/## Token endpoint conformance: /g)).toHaveLength(1);
    // The same file reached through a symlink is the job summary too: appended, the link left a link.
    const link = join(dir, 'summary-link.md');
    symlinkSync(summary, link);
    expect((await cli([...args, '--output', link], { env })).code).toBe(0);
    expect(readFileSync(summary, 'utf8').match(/## Token endpoint conformance: /g)).toHaveLength(3);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    // The job summary takes Markdown: another reporter aimed at it is refused, and the summary is left as it was.
    const before = readFileSync(summary, 'utf8');
    const json = await cli(['conformance', ...basic(), '--only', 'ok-basic', '--reporter', 'json', '--output', summary], { env });
    expect([json.code, json.stderr]).toEqual([2, expect.stringMatching(/is the job summary \(\$GITHUB_STEP_SUMMARY\), which takes Markdown: give it the markdown reporter, not json/)]);
    expect(readFileSync(summary, 'utf8')).toBe(before);
  });

  test('every reporter\'s headline says "inconclusive" for a run without verdicts, never "conformant"', async () => {
    proxy.mutation = RATE_LIMITED;
    try {
      const html = join(dir, 'inconclusive.html');
      // The n-th --output goes with the n-th file reporter: html to the file, markdown to stdout.
      const run = await cli(['conformance', ...basic(), '--only', 'ok-basic', '--reporter', 'html', '--output', html, '--reporter', 'markdown']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^## Token endpoint conformance: ⚠️ no failing check, 1 inconclusive \(rate limited\)/);
      const page = readFileSync(html, 'utf8');
      expect(page).toMatch(/<body class="verdict-inconclusive">/);
      expect(page).toMatch(/<h1>Token endpoint conformance: <span class="verdict">no failing check, 1 inconclusive \(rate limited\)<\/span><\/h1>/);
      expect(page).not.toMatch(/conformant</);
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('JUnit\'s testsuite name is the same over two runs against reference servers on different ports', async () => {
    const names: string[] = [];
    const targets: string[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await cli(['conformance', '--only', 'ok-basic', '--reporter', 'junit']);
      expect(run.code).toBe(0);
      names.push(/<testsuite name="([^"]*)"/.exec(run.stdout)![1]!);
      targets.push(/<property name="target" value="([^"]*)"/.exec(run.stdout)![1]!);
    }
    expect(targets[0]).not.toBe(targets[1]);
    expect(names[0]).toBe(names[1]);
    expect(names[0]).toBe('token endpoint conformance (attesto) http://127.0.0.1/oauth/token');
  });

  test('--color always paints a log that is no TTY, never paints nothing, and auto follows FORCE_COLOR and NO_COLOR', async () => {
    const run = (env: NodeJS.ProcessEnv, ...extra: string[]) => cli(['conformance', ...basic(), '--only', 'ok-basic', ...extra], { env });
    expect((await run({}, '--color', 'always')).stdout).toMatch(ANSI);
    expect((await run({ FORCE_COLOR: '1' }, '--color', 'never')).stdout).not.toMatch(ANSI);
    expect((await run({})).stdout).not.toMatch(ANSI);
    expect((await run({ FORCE_COLOR: '1' })).stdout).toMatch(ANSI);
    expect((await run({ FORCE_COLOR: '0' })).stdout).not.toMatch(ANSI);
    expect((await run({ FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toMatch(ANSI);
  });

  test('the curl line of an https failure carries --cacert with the CA file the run trusted', async () => {
    const server = await startMtlsServer('no-cert');
    try {
      const config = join(dir, 'mtls.json');
      writeFileSync(config, JSON.stringify(server.config()));
      const run = await cli(['conformance', '--config', config, '--only', 'mtls-no-cert', '--reporter', 'json']);
      const report = JSON.parse(run.stdout) as { checks: Array<{ findings: Array<{ exchange?: { curl: string } }> }> };
      const curl = report.checks[0]!.findings[0]!.exchange!.curl;
      expect(curl).toMatch(/^curl -i --cacert '[^']+ca\.pem' -X POST 'https:/);
    } finally {
      await server.close();
    }
  });
});
