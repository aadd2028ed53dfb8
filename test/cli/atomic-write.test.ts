/**
 * Issue 17 item 8: `--output`, `export --out` and `serve --write-client-key`
 * write through writeFileAtomic. A regular file is replaced atomically; a
 * device or FIFO is written in place, never renamed over (as root,
 * `--output /dev/null` used to replace the device with a regular file); a key
 * file is private from its first byte.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, promises as fs, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { writeFileAtomic } from '../../src/cli/atomic-write';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atomic-write-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mkfifo = spawnSync('mkfifo', ['--version'], { stdio: 'ignore' }).status === 0;

describe('writeFileAtomic', () => {
  test('a regular file is replaced, with no temporary file left', async () => {
    const path = join(dir, 'report.json');
    await fs.writeFile(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(await fs.readFile(path, 'utf8')).toBe('new');
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  // A FIFO stands in for /dev/null: a regression here must not replace a real device on the test machine.
  (mkfifo ? test : test.skip)('a FIFO is written in place and stays a FIFO (as a device would)', async () => {
    const path = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    const chunks: Buffer[] = [];
    const stream = createReadStream(path);
    const reading = new Promise<void>((resolve, reject) => {
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    await writeFileAtomic(path, 'through the pipe');
    const stillFifo = statSync(path).isFIFO();
    // Renamed over: nobody will ever write to the reader's pipe; end it so the test fails instead of hanging.
    if (!stillFifo) stream.destroy();
    expect(stillFifo).toBe(true);
    await reading;
    expect(Buffer.concat(chunks).toString()).toBe('through the pipe');
  });

  test('a folder is refused, and left alone', async () => {
    const folder = join(dir, 'folder');
    await fs.mkdir(folder);
    await expect(writeFileAtomic(folder, 'x')).rejects.toMatchObject({ code: 'EISDIR' });
    expect(statSync(folder).isDirectory()).toBe(true);
  });

  test('a private file is created 0600: the file is never wider, not even before a chmod', async () => {
    const writeFile = jest.spyOn(fs, 'writeFile');
    const chmod = jest.spyOn(fs, 'chmod');
    try {
      const path = join(dir, 'key.json');
      await writeFileAtomic(path, '{}', { mode: 0o600 });
      expect(writeFile).toHaveBeenCalledWith(expect.stringMatching(/\.tmp$/), '{}', expect.objectContaining({ flag: 'wx', mode: 0o600 }));
      expect(chmod).not.toHaveBeenCalled();
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      writeFile.mockRestore();
      chmod.mockRestore();
    }
  });
});
