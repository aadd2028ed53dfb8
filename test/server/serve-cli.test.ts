/**
 * `token-contract serve`: prints the endpoint and the clients, never a
 * private key unless asked, writes it to a file on request, and shuts down
 * cleanly when the abort signal (SIGINT/SIGTERM in the binary) fires.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainHttpWarning } from '../../src/cli/commands/serve';
import { runCli } from '../../src/cli/run';
import { tokenEndpoint } from '../../src/harness';
import { expectContract, expectError } from './support';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'token-contract-serve-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  stdout: () => string;
  stderr: () => string;
  tokenEndpoint: string;
  stop(): Promise<number>;
}

/** Starts `serve` in-process and waits for its token endpoint line. */
async function serve(args: string[]): Promise<Running> {
  let stdout = '';
  let stderr = '';
  const controller = new AbortController();
  // Ready when the endpoint line is written (or serve ended): no deadline of our own, Jest's timeout bounds it.
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const exit = runCli(['serve', ...args], {
    stdout: {
      write: (s: string) => {
        stdout += s;
        if (/token endpoint: (\S+)/.test(stdout)) ready();
      },
    },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: dir,
    signal: controller.signal,
  });
  void exit.then(ready, ready);
  await started;
  const match = /token endpoint: (\S+)/.exec(stdout);
  if (!match) {
    controller.abort();
    throw new Error(`serve did not start (exit ${await exit}): ${stderr}`);
  }
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    tokenEndpoint: match[1]!,
    stop: async () => {
      controller.abort();
      return exit;
    },
  };
}

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const controller = new AbortController();
  controller.abort();
  const code = await runCli(['serve', ...args], { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: {}, cwd: dir, signal: controller.signal });
  return { code, stderr };
}

describe('token-contract serve', () => {
  it('prints the endpoint and the demo clients, serves tokens, never prints a private key, and stops on the signal', async () => {
    const running = await serve([]);
    try {
      const out = running.stdout();
      expect(out).toMatch(/^token endpoint: http:\/\/127\.0\.0\.1:\d+\/oauth\/token$/m);
      for (const id of ['basic-client', 'post-client', 'jwt-client', 'no-grant-client', 'dpop-client']) expect(out).toContain(id);
      expect(out).toContain('basic-secret');
      expect(out).toContain('DPoP:           enabled, nonces not required');
      expect(out).toMatch(/dpop-client .*DPoP required/);
      // A public client (authorization_code with PKCE) says so, not "public keys from --config".
      expect(out).toMatch(/^ {2}public-client +none +no credential \(public client: PKCE, and DPoP-bound refresh tokens\) .*grants authorization_code refresh_token/m);
      expect(out + running.stderr()).not.toMatch(/"d"|"kty"/);
      const client = tokenEndpoint(running.tokenEndpoint, { client: { id: 'basic-client', secret: 'basic-secret', auth: 'client_secret_basic' } });
      await expectContract(await client.clientCredentials(), { status: 200 });
    } finally {
      expect(await running.stop()).toBe(0);
    }
    // Closed: the port no longer answers.
    const after = tokenEndpoint(running.tokenEndpoint, { client: { id: 'basic-client', secret: 'basic-secret', auth: 'client_secret_basic' }, timeoutMs: 2000 });
    await expect(after.clientCredentials()).rejects.toThrow(/ECONNREFUSED|refused/);
  });

  it('--write-client-key writes the jwt-client private JWK (mode 0600) that authenticates private_key_jwt', async () => {
    const running = await serve(['--write-client-key', 'client-key.json', '--require-nonce']);
    try {
      const file = join(dir, 'client-key.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const { client_id: id, ...privateJwk } = JSON.parse(readFileSync(file, 'utf8'));
      expect(id).toBe('jwt-client');
      expect(privateJwk.d).toEqual(expect.any(String));
      expect(running.stdout()).toContain('private key in client-key.json');
      expect(running.stdout()).toContain('DPoP:           enabled, nonces required');
      expect(running.stdout()).not.toContain(privateJwk.d);
      const client = tokenEndpoint(running.tokenEndpoint, { client: { id, auth: 'private_key_jwt', privateKey: privateJwk }, dpop: true });
      const res = await client.clientCredentials();
      expect(res.dpopNonceRetried).toBe(true);
      await expectContract(res, { status: 200, tokenType: 'DPoP' });
    } finally {
      await running.stop();
    }
  });

  it('--config FILE (YAML) replaces the clients; configured secrets are not printed', async () => {
    writeFileSync(
      join(dir, 'server.yaml'),
      ['tokenLifetimeSeconds: 60', 'scopes: [read, write, admin]', 'clients:', '  - id: team-client', '    secret: team-secret-value', '    authMethods: [client_secret_post]', '    scopes: [read]', ''].join('\n'),
    );
    const running = await serve(['--config', 'server.yaml', '--port', '0', '--host', '127.0.0.1']);
    try {
      expect(running.stdout()).toContain('team-client');
      expect(running.stdout()).not.toContain('team-secret-value');
      expect(running.stdout()).not.toContain('basic-client');
      const client = tokenEndpoint(running.tokenEndpoint, { client: { id: 'team-client', secret: 'team-secret-value', auth: 'client_secret_post' } });
      const res = await client.clientCredentials();
      await expectContract(res, { status: 200, scope: 'read' });
      expect(res.body.expires_in).toBe(60);
      await expectError(await client.clientCredentials({ scope: 'write' }), 'invalid_scope');
    } finally {
      await running.stop();
    }
  });

  it('--config with mtls: the mutual-TLS endpoint is printed, the demo certificates and keys are not', async () => {
    writeFileSync(join(dir, 'mtls.yaml'), ['mtls: {}', ''].join('\n'));
    const running = await serve(['--config', 'mtls.yaml', '--port', '0', '--host', '127.0.0.1']);
    try {
      expect(running.stdout()).toMatch(/mutual TLS: +https:\/\/127\.0\.0\.1:\d+\/oauth\/token \(RFC 8705/);
      expect(running.stdout()).toMatch(/mtls-client +tls_client_auth +client certificate and key generated at start \(not shown\)/);
      expect(running.stdout()).not.toContain('BEGIN');
    } finally {
      await running.stop();
    }
  });

  it.each([
    [['--port', 'abc'], /--port must be a whole number/],
    [['--port', '70000'], /--port must be a whole number/],
    [['--host', ''], /--host must not be empty/],
    [['--config', 'missing.json'], /cannot read/],
    [['--config', 'bad.json'], /unknown member "clientz"/],
    [['--config', 'no-jwt.json', '--write-client-key', 'k.json'], /no client has a generated private key/],
    [['--config', 'weak.json'], /invalid server configuration: clients\[0\]\.secret is required/],
    [['--bogus'], /unknown option --bogus/],
  ])('%j → exit 2 with one clear line', async (args, message) => {
    writeFileSync(join(dir, 'bad.json'), '{"clientz": []}');
    writeFileSync(join(dir, 'no-jwt.json'), JSON.stringify({ clients: [{ id: 'a', secret: 's', authMethods: ['client_secret_basic'] }] }));
    writeFileSync(join(dir, 'weak.json'), JSON.stringify({ clients: [{ id: 'a', authMethods: ['client_secret_basic'] }] }));
    const { code, stderr } = await run(args as string[]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a port already in use → exit 1 naming the cause', async () => {
    const running = await serve([]);
    try {
      const port = new URL(running.tokenEndpoint).port;
      const { code, stderr } = await run(['--port', port]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/EADDRINUSE/);
    } finally {
      await running.stop();
    }
  });

  it('plain http beyond loopback is warned about (RFC 6749 §3.2), loopback is not', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) expect(plainHttpWarning(host)).toBeUndefined();
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.test']) expect(plainHttpWarning(host)).toMatch(/^warning: serving plain http on .*RFC 6749 §3\.2 requires TLS/);
  });

  it('--help documents every flag', async () => {
    let out = '';
    await runCli(['serve', '--help'], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, env: {}, cwd: dir });
    for (const flag of ['--port', '--host', '--config', '--require-nonce', '--write-client-key']) expect(out).toContain(flag);
  });

  // The binary wires SIGINT/SIGTERM to the abort signal; run it from source (transpile-only) to prove it.
  it('the binary stops on SIGINT and on SIGTERM with exit 0, even with connections open', async () => {
    const results = await Promise.all((['SIGINT', 'SIGTERM'] as const).map(stopBinaryWith));
    expect(results).toEqual([
      { status: 200, exit: { code: 0, signal: null } },
      { status: 200, exit: { code: 0, signal: null } },
    ]);
  });
});

async function stopBinaryWith(signal: NodeJS.Signals): Promise<{ status: number; exit: { code: number | null; signal: NodeJS.Signals | null } }> {
  const root = join(__dirname, '..', '..');
  const child = spawn(process.execPath, ['-r', join(root, 'bench', 'register.js'), join(root, 'src', 'cli', 'main.ts'), 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
  const agent = new http.Agent({ keepAlive: true });
  let stalled: net.Socket | undefined;
  try {
    let stdout = '';
    // Ready when the endpoint line arrives (or the child ends): waited for, not polled against a deadline.
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (data: Buffer) => {
        stdout += data.toString();
        if (/token endpoint: \S+/.test(stdout)) resolve();
      });
      void exited.then(() => resolve());
    });
    const endpoint = /token endpoint: (\S+)/.exec(stdout)?.[1];
    if (endpoint === undefined) throw new Error(`serve did not start: ${stdout}`);
    // A keep-alive connection stays open while the signal arrives.
    const status = await new Promise<number>((resolve, reject) => {
      const headers = { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from('basic-client:basic-secret').toString('base64')}` };
      const req = http.request(endpoint, { method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end('grant_type=client_credentials');
    });
    // And a request stalled half-way through its body: closing must not wait for it.
    const { port } = new URL(endpoint);
    stalled = net.connect(Number(port), '127.0.0.1');
    stalled.on('error', () => undefined);
    await new Promise<void>((resolve) => stalled!.write('POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=', () => resolve()));
    await new Promise((r) => setTimeout(r, 50));
    child.kill(signal);
    // Generous: a loaded machine may take seconds to schedule the child; a server that hangs on close never exits at all.
    const hung = new Promise<{ code: null; signal: null }>((resolve) => setTimeout(() => resolve({ code: null, signal: null }), 20_000).unref());
    return { status, exit: await Promise.race([exited, hung]) };
  } finally {
    agent.destroy();
    stalled?.destroy();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
