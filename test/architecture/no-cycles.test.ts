/**
 * No import circles in src/: a circle makes module load order decide which
 * binding is still undefined at require time, and it ties modules together so
 * a light entry (the root, ./matchers) cannot be loaded without the rest.
 * Type-only imports count too (no `-T`): a type circle is the same coupling,
 * one refactor away from a runtime one.
 *
 * The check is dpdm (a devDependency), run as a CLI in a child process; the
 * second test proves the same command reports a circle when there is one.
 */
import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const DPDM = join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'dpdm.cmd' : 'dpdm');

interface DpdmRun {
  code: number;
  output: string;
  /** One entry per circle, as dpdm prints it: `a.ts -> b.ts -> c.ts`. */
  circles: string[];
}

function dpdm(cwd: string, glob: string): Promise<DpdmRun> {
  const args = ['--no-warning', '--no-tree', '--exit-code', 'circular:1', glob];
  return new Promise((resolvePromise) => {
    execFile(DPDM, args, { cwd, timeout: 60_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      const output = String(stdout) + String(stderr);
      // Circles are the numbered lines of the "Circular Dependencies" section.
      const circles = output
        .split('\n')
        .map((line) => /^\s*\d+\)\s+(.*\S)\s*$/.exec(line)?.[1])
        .filter((circle): circle is string => circle !== undefined);
      resolvePromise({ code, output, circles });
    });
  });
}

describe('import circles', () => {
  test('src/ has none (type imports included)', async () => {
    const result = await dpdm(ROOT, 'src/**/*.ts');
    // The circles sit next to the exit code, so a failure prints them, not just "1".
    expect({ code: result.code, circles: result.circles }).toEqual({ code: 0, circles: [] });
  });

  test('the check reports a circle, also a type-only one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attesto-cycles-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b';\nexport const a = (): number => b() + 1;\n");
      writeFileSync(join(dir, 'b.ts'), "import { a } from './a';\nexport const b = (): number => (a.length > 0 ? 0 : 1);\n");
      writeFileSync(join(dir, 'types-a.ts'), "import type { B } from './types-b';\nexport interface A { b?: B }\n");
      writeFileSync(join(dir, 'types-b.ts'), "import type { A } from './types-a';\nexport interface B { a?: A }\n");
      const result = await dpdm(dir, '*.ts');
      expect(result.code).toBe(1);
      expect(result.circles).toHaveLength(2);
      expect(result.circles).toEqual(expect.arrayContaining([expect.stringMatching(/^(a\.ts -> b\.ts|b\.ts -> a\.ts)$/), expect.stringMatching(/^(types-a\.ts -> types-b\.ts|types-b\.ts -> types-a\.ts)$/)]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
