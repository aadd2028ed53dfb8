/**
 * Discovery through a proxy with credentials: the proxy's password is the
 * one secret on that path. An answer that echoes it (here the metadata's
 * `issuer`, as a hostile proxy answering for the target could) is scrubbed
 * before the wrong-issuer message quotes it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cli } from '../support/cli';
import { expectNoLeak } from '../support/leaks';
import { startConnectProxy, type ConnectProxy } from './support/connect-proxy';

const USER = 'ci-user';
const PASSWORD = 'Pr0xy-pass-SplxlOBeZQQYbYS6';

describe('discovery through a proxy with credentials', () => {
  let proxy: ConnectProxy;
  let server: http.Server;
  let issuer: string;
  beforeAll(async () => {
    proxy = await startConnectProxy({ credentials: { user: USER, password: PASSWORD } });
    server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ issuer: `https://${PASSWORD}.example`, token_endpoint: `${issuer}/oauth/token` })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await proxy?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  test('a wrong issuer is one line, the proxy password echoed in it redacted', async () => {
    const proxyUrl = proxy.url.replace('http://', `http://${USER}:${encodeURIComponent(PASSWORD)}@`);
    const { code, stdout, stderr } = await cli(['discover', '--issuer', issuer, '--proxy', proxyUrl]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/names the issuer ".*redacted.*", not/);
    expect(proxy.opened()).toBeGreaterThan(0);
    expectNoLeak(`${stdout}\n${stderr}`, PASSWORD);
  });
});
