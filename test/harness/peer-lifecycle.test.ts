/**
 * The oidc-provider peer never outlives its test: stop() ends it, and a
 * parent that dies without cleaning up (stdin pipe closed) takes it along.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { OIDC_PROVIDER_PEER_SCRIPT, startOidcProvider } from '../peers/oidc-provider';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('oidc-provider peer lifecycle', () => {
  test('stop() ends the child process, and a second stop() is harmless', async () => {
    const peer = await startOidcProvider();
    expect(isAlive(peer.pid)).toBe(true);
    expect(peer.tokenEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/token$/);
    await peer.stop();
    expect(isAlive(peer.pid)).toBe(false);
    await peer.stop();
  });

  test('the child exits on its own when its parent goes away (stdin closes)', async () => {
    const child = spawn(process.execPath, ['--no-warnings', OIDC_PROVIDER_PEER_SCRIPT], {
      env: { ...process.env, PEER_CONFIG: JSON.stringify({ requireNonce: false, clients: [] }) },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => (/READY \d+/.test(chunk.toString()) ? resolve() : undefined));
        child.once('exit', () => reject(new Error('peer exited before READY')));
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.stdin!.end(); // what the OS does when the parent dies
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('a peer that is not ready in time is a clear error, not a hang', async () => {
    await expect(startOidcProvider({ timeoutMs: 1 })).rejects.toThrow(/no READY line within 1 ms/);
  });
});
