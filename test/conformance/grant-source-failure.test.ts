/**
 * A code command that fails is the configuration's problem, not the
 * server's: the CLI ends the run with one line and exit 2 (as for an
 * unreachable target), never a page of MUST failures, and never shows what
 * the command wrote.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { referenceTargetConfig } from '../../src/conformance';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { cli } from '../support/cli';
import { expectNoLeak } from '../support/leaks';

const PRINTED = 'Cd-stderr-said-SplxlOBeZQQYbYS6WxSbIA';

describe('a failing code command', () => {
  let server: ReferenceServer;
  let dir: string;
  beforeAll(async () => {
    server = await createReferenceServer();
    dir = await mkdtemp(join(tmpdir(), 'grant-source-failure-'));
    // It says something that looks like a credential, on both streams, then fails.
    await writeFile(join(dir, 'get-code.js'), `process.stdout.write(${JSON.stringify(PRINTED)}); process.stderr.write(${JSON.stringify(PRINTED)}); process.exit(3);\n`);
    const config = { ...referenceTargetConfig(server), only: ['authorization-code', 'refresh-token'], grants: { authorizationCode: { command: ['node', 'get-code.js'] } } };
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('ends the run with one line and exit 2, naming the command and how it ended, never what it wrote', async () => {
    const { code, stdout, stderr } = await cli(['conformance', '--config', join(dir, 'config.json')], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/grants\.authorizationCode\.command exited with status 3; it wrote \d+ bytes to stderr \(not shown: they may carry credentials/);
    expectNoLeak(`${stdout}\n${stderr}`, PRINTED);
  });

  test('a blank command is a configuration error before anything runs', async () => {
    await writeFile(join(dir, 'blank.json'), JSON.stringify({ ...referenceTargetConfig(server), grants: { authorizationCode: { command: '   ' } } }));
    const { code, stderr } = await cli(['conformance', '--config', join(dir, 'blank.json')], { cwd: dir });
    expect({ code, stderr: stderr.trim() }).toEqual({ code: 2, stderr: expect.stringMatching(/grants\.authorizationCode\.command is blank/) });
  });
});
