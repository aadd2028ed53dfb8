import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { document, exportFragment, operation, schemas } from '../../src/openapi';
import { VERSION } from '../../src/version';
import { cli } from '../support/cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'token-contract-export-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('token-contract export', () => {
  it('prints the 3.0 document as JSON by default, the same value as the API', async () => {
    const { code, stdout, stderr } = await cli(['export']);
    expect([code, stderr]).toEqual([0, '']);
    expect(JSON.parse(stdout)).toEqual(JSON.parse(JSON.stringify(document())));
    expect(stdout).toBe(exportFragment());
  });

  it.each([
    [['--openapi', '3.1'], document({ openapi: '3.1.0' })],
    [['--openapi', '3.0'], document({ openapi: '3.0.3' })],
    [['--path', '/token'], document({ path: '/token' })],
    [['--only', 'operation'], operation()],
    [['--only', 'components'], { schemas: schemas() }],
    [['--only', 'components', '--openapi', '3.1'], { schemas: schemas({ openapi: '3.1.0' }) }],
    [['--operation-id', 'createToken', '--tag', 'A', '--tag', 'B'], document({ operationId: 'createToken', tags: ['A', 'B'] })],
    [['--server', 'https://a.example', '--server', 'https://b.example'], document({ servers: [{ url: 'https://a.example' }, { url: 'https://b.example' }] })],
  ])('%j', async (args, expected) => {
    const { code, stdout } = await cli(['export', ...(args as string[])]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it.each([['3.0'], ['3.1']])('YAML (OpenAPI %s) round-trips to the same object as JSON', async (version) => {
    const json = await cli(['export', '--openapi', version]);
    const yaml = await cli(['export', '--openapi', version, '--format', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).not.toMatch(/^\s*\{/); // really YAML, not JSON
    expect(yaml.stdout).not.toMatch(/[&*]a\d/); // no anchors or aliases
    expect(parseYaml(yaml.stdout)).toEqual(JSON.parse(json.stdout));
  });

  it('--out writes the file atomically and says where', async () => {
    const out = join(dir, 'doc.yaml');
    const { code, stdout, stderr } = await cli(['export', '--format', 'yaml', '--out', out]);
    expect([code, stdout]).toEqual([0, '']);
    expect(stderr).toContain(out);
    expect(parseYaml(readFileSync(out, 'utf8'))).toEqual(JSON.parse(JSON.stringify(document())));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--out resolves relative paths against the working directory and replaces an existing file whole', async () => {
    writeFileSync(join(dir, 'rel.json'), 'old content');
    const { code } = await cli(['export', '--only', 'components', '--out', 'rel.json'], { cwd: dir });
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'rel.json'), 'utf8'))).toEqual({ schemas: schemas() });
  });

  it('a failed --out write leaves neither the target nor a temporary file', async () => {
    const missingDir = join(dir, 'missing', 'doc.json');
    const a = await cli(['export', '--out', missingDir]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/cannot write --out .*ENOENT/);
    expect(a.stderr).not.toContain('--help'); // the flag was fine: no point sending the user to the help
    expect(existsSync(join(dir, 'missing'))).toBe(false);

    const targetIsDir = join(dir, 'a-directory');
    mkdirSync(targetIsDir);
    const b = await cli(['export', '--out', targetIsDir]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/cannot write --out .*E(ISDIR|EXIST|NOTEMPTY)/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(targetIsDir)).toEqual([]);
  });

  it.each([
    [['--format', 'xml'], '--format must be one of json, yaml (got "xml")'],
    [['--openapi', '2.0'], '--openapi must be one of 3.0, 3.1 (got "2.0")'],
    [['--only', 'paths'], '--only must be one of document, operation, components (got "paths")'],
    [['--path', 'token'], '--path must start with "/"'],
    [['--server', 'not a url'], '--server must be an absolute URL'],
    [['--bogus'], 'unknown option --bogus'],
    [['--format'], 'option --format needs a value'],
    [['stray'], 'unexpected argument "stray"'],
    [['--only', 'operation', '--server', 'https://a.example'], '--server applies to --only document, not --only operation'],
    [['--only', 'components', '--path', '/token'], '--path applies to --only document, not --only components'],
    [['--format', '-x'], 'option --format needs a value; to pass one that starts with "-", write --format=<value>'],
  ])('bad flags %j exit 2 with one line', async (args, message) => {
    const { code, stdout, stderr } = await cli(['export', ...(args as string[])]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^token-contract export: /);
  });

  it('--help describes every flag', async () => {
    const { code, stdout } = await cli(['export', '--help']);
    expect(code).toBe(0);
    for (const flag of ['--format', '--openapi', '--path', '--only', '--out', '--operation-id', '--tag', '--server']) {
      expect(stdout).toContain(flag);
    }
  });
});

describe('token-contract (top level)', () => {
  it('--version prints the package version; --help lists the commands', async () => {
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: token-contract <command>/);
    expect(help.stdout).toContain('export');
  });

  it('no command, or an unknown one, is a usage error', async () => {
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^token-contract: missing command \(commands: export, serve, conformance, discover, authorize\)/);
    expect(bare.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(bare.stdout).toMatch(/^Usage: token-contract <command>/);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^token-contract: unknown command "frobnicate"/);
    const flag = await cli(['--nope']);
    expect([flag.code, flag.stderr.split('\n')[0]]).toEqual([2, expect.stringContaining('unknown option --nope')]);
  });

  it('the built binary runs, with exit codes as in-process', () => {
    const bin = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' })).toBe(`${VERSION}\n`);
    const bad = spawnSync(process.execPath, [bin, 'export', '--format', 'xml'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
