/**
 * Connection reuse that survives servers closing sockets: a server that
 * closes a keep-alive connection right after its answer, without
 * `Connection: close`, makes a client that reuses the connection lose its
 * next request before any response byte. The suite's client resends such a
 * request once on a fresh connection; without that (the option off) the
 * same server yields resets.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { defaultRunClients, runConformance } from '../../src/conformance';
import { HttpClient, TargetUnreachableError } from '../../src/conformance/http';
import { startMutatingProxy, type MutatingProxy } from './support/mutating-proxy';
import { startClosingServer, type ClosingServer } from './support/closing-server';


const request = (url: string) => ({ method: 'POST', url, headers: [['Content-Type', 'application/x-www-form-urlencoded']] as Array<[string, string]>, body: 'grant_type=client_credentials' });

/** 4 workers sending `count` requests in all, each as soon as the last answered: connections are reused at once. */
async function burst(client: HttpClient, url: string, count: number): Promise<{ ok: number; errors: string[] }> {
  let next = 0;
  let ok = 0;
  const errors: string[] = [];
  const worker = async () => {
    while (next < count) {
      next += 1;
      try {
        const res = await client.send(request(url));
        if (res.status === 400) ok += 1;
      } catch (error) {
        errors.push(error instanceof TargetUnreachableError ? error.reason : String(error));
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { ok, errors };
}

describe('a server that closes keep-alive connections right after its answer', () => {
  let server: ClosingServer;
  beforeAll(async () => {
    server = await startClosingServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  test('without the resend (the option off), the same server yields resets', async () => {
    const client = new HttpClient({ timeoutMs: 5000, maxSockets: 4, retryReusedSocket: false });
    try {
      const { ok, errors } = await burst(client, server.url, 200);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => /ECONNRESET|EPIPE/.test(e))).toBe(true);
      expect(ok + errors.length).toBe(200);
    } finally {
      client.close();
    }
  });

  test('with it, every request is answered: a request lost on a reused connection is resent once on a fresh one', async () => {
    const client = new HttpClient({ timeoutMs: 5000, maxSockets: 4 });
    const before = server.requests();
    try {
      const { ok, errors } = await burst(client, server.url, 200);
      expect(errors).toEqual([]);
      expect(ok).toBe(200);
      // Lost requests never reached the handler: each answer is one handled request.
      expect(server.requests() - before).toBe(200);
    } finally {
      client.close();
    }
  });

  test('a request queued behind a busy connection and handed it as it comes free is resent too (Node leaves reusedSocket false there)', async () => {
    // One socket, many requests at once: every request after the first waits in the agent's queue for the socket.
    const client = new HttpClient({ timeoutMs: 5000, maxSockets: 1 });
    try {
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => client.send(request(server.url))));
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    } finally {
      client.close();
    }
  });

  test('a reset on a fresh connection is reported as today, not resent', async () => {
    let connections = 0;
    const resetting = http.createServer();
    resetting.on('connection', (socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    const client = new HttpClient({ timeoutMs: 5000, maxSockets: 4 });
    try {
      const url = `http://127.0.0.1:${(resetting.address() as AddressInfo).port}/oauth/token`;
      await expect(client.send(request(url))).rejects.toThrow(/ECONNRESET|EPIPE/);
      expect(connections).toBe(1);
    } finally {
      client.close();
      await new Promise<void>((resolve) => resetting.close(() => resolve()));
    }
  });
});

describe('the suite against a reference server whose connections close after every answer', () => {
  let proxy: MutatingProxy;
  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
    proxy.mutation = { closeAfter: () => true };
  });
  afterAll(async () => {
    await proxy?.close();
  });

  test('no reset over 20 consecutive runs: every check passes', async () => {
    const only = ['ok-basic', 'ok-post', 'ok-pkjwt', 'ct-missing', 'ct-wrong', 'dup-param', 'query-creds', 'basic-bad-secret', 'scope-invalid', 'errdesc-chars'];
    const failures: string[] = [];
    for (let run = 0; run < 20; run += 1) {
      const report = await runConformance({ ...proxy.config, only });
      for (const check of report.checks) if (check.status !== 'passed') failures.push(`run ${run} ${check.id}: ${check.status} ${check.message}`);
      expect(report.checks).toHaveLength(only.length);
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
