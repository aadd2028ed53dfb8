/**
 * The README's lifecycle example, run as written, in a project laid out as
 * an install leaves it (node_modules/attesto-token-contract and its bin in
 * node_modules/.bin): its two YAML files taken from the README (only the
 * port differs: the test's server listens on an ephemeral one), the
 * reference server started from `lifecycle-server.yaml`, and `token-contract
 * conformance --config lifecycle.yaml`, whose code command is the README's
 * `node_modules/.bin/token-contract authorize …`, run by the suite in the
 * config file's folder.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createReferenceServer, loadServerConfigFile, type ReferenceServer } from '../../src/server';
import type { ConformanceReport } from '../../src/conformance';
import { cli } from '../support/cli';

const ROOT = join(__dirname, '..', '..');
const README_ORIGIN = 'http://127.0.0.1:8080';

/** The README's YAML block whose first line is `# <name>`. */
async function readmeFile(name: string): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((text) => text.startsWith(`# ${name}\n`));
  if (block === undefined) throw new Error(`README has no yaml block starting "# ${name}"`);
  return block;
}

describe('README: the authorization_code and refresh_token example', () => {
  let dir: string;
  let server: ReferenceServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'readme-lifecycle-'));
    const bin = join(ROOT, 'dist', 'src', 'cli', 'main.js');
    await mkdir(join(dir, 'node_modules', '.bin'), { recursive: true });
    await symlink(ROOT, join(dir, 'node_modules', 'attesto-token-contract'), 'dir');
    // npm links a package's bin into node_modules/.bin and makes it executable.
    await chmod(bin, 0o755);
    await symlink(bin, join(dir, 'node_modules', '.bin', 'token-contract'));
    await writeFile(join(dir, 'lifecycle-server.yaml'), await readmeFile('lifecycle-server.yaml'));
    server = await createReferenceServer(await loadServerConfigFile(join(dir, 'lifecycle-server.yaml')));
    await writeFile(join(dir, 'lifecycle.yaml'), (await readmeFile('lifecycle.yaml')).replaceAll(README_ORIGIN, server.url));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the example config passes its 18 checks against the reference server', async () => {
    const { code, stdout, stderr } = await cli(['conformance', '--config', join(dir, 'lifecycle.yaml'), '--reporter', 'json'], { cwd: dir });
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as ConformanceReport;
    expect(report.checks.map((c) => [c.id, c.status, c.message]).filter(([, status]) => status !== 'passed')).toEqual([]);
    expect(code).toBe(0);
    expect(report.checks).toHaveLength(18);
    expect(report.checks.every((c) => c.group === 'authorization-code' || c.group === 'refresh-token')).toBe(true);
  }, 120_000);
});
