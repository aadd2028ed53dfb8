import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface WriteOptions {
  /** File mode for a new file, set when it is created (never a wider mode first): 0o600 for a private key. Default 0o666 (less the umask). */
  mode?: number;
}

/**
 * Writes `content` to `path`.
 *
 * A regular file (or a path that does not exist yet) is written atomically:
 * a temporary file in the same folder, created with its final mode, then
 * renamed over the target (atomic on POSIX within one file system). On any
 * failure the temporary file is removed and `path` is left as it was.
 *
 * Anything else is written in place, never replaced: a character device
 * (`--output /dev/null`, `/dev/stdout`) or a FIFO is opened and written, as a
 * shell redirect would; renaming over it would turn `/dev/null` into a
 * regular file for every program on the machine (when run as root). A folder,
 * socket or block device is refused (EISDIR / EINVAL).
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  const target = resolve(path);
  const existing = await fs.stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined && !existing.isFile()) {
    if (existing.isCharacterDevice() || existing.isFIFO()) return fs.writeFile(target, content, { flag: 'w' });
    throw Object.assign(new Error(`not a regular file: ${target}`), { code: existing.isDirectory() ? 'EISDIR' : 'EINVAL' });
  }
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, content, { flag: 'wx', mode: options.mode ?? 0o666 });
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
