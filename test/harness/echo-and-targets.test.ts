/**
 * The harness against servers that misbehave in ways real ones do: echoing
 * the request (secret, Authorization header, proof) in error pages and
 * headers, speaking something other than HTTP. Failures and exchange records
 * must never quote a secret or a token. Also: how each kind of target is
 * addressed (bare origin, path, query string, Express app), and that DPoP
 * nonces stay with the client that learned them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import express from 'express';
import { decodeJwt } from 'jose';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { HarnessError, tokenEndpoint, type HarnessResponse } from '../../src/harness';
import { MAX_RESPONSE_BYTES } from '../../src/oauth/limits';
import { redactValue } from '../../src/oauth/redact';
import { createTestCertificate } from '../support/certificates';

const SECRET = 'hunter2-very-secret';
const ACCESS_TOKEN = 'opaque-access-token-value';

interface Seen {
  url: string;
  dpop: string | undefined;
  body: string;
}
let seen: Seen[] = [];
/** How the echoing server answers request number `index` (0-based). */
let answer: (index: number) => 'echo' | 'nonce' | 'token' = () => 'echo';

/** Puts everything it received, decoded, into its error page and a header: the worst case for secrets. */
const echoing: http.RequestListener = (req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const index = seen.push({ url: req.url!, dpop: req.headers.dpop as string | undefined, body }) - 1;
    const authorization = String(req.headers.authorization ?? '');
    const decoded = authorization.startsWith('Basic ') ? Buffer.from(authorization.slice(6), 'base64').toString('utf8') : '';
    const echo = `${authorization} ${decoded} ${decodeURIComponent(body)} ${req.headers.dpop ?? ''}`;
    const kind = answer(index);
    if (kind === 'token') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ access_token: ACCESS_TOKEN, token_type: 'Bearer' }));
      return;
    }
    res.writeHead(400, { 'content-type': 'application/json', 'x-echo': echo.replace(/[^\x20-\x7e]/g, '?'), ...(kind === 'nonce' ? { 'dpop-nonce': 'n-1' } : {}) });
    res.end(JSON.stringify({ error: kind === 'nonce' ? 'use_dpop_nonce' : 'invalid_client', error_description: `rejected ${echo}` }));
  });
};

let server: http.Server;
let origin: string;
beforeAll(async () => {
  server = http.createServer(echoing);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen = [];
  answer = () => 'echo';
});

/** The rejection of a request, or a failure if it resolved. */
async function failureOf(request: PromiseLike<unknown>): Promise<Error & { expected?: unknown; actual?: unknown }> {
  const outcome = await Promise.resolve(request).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  if (outcome === undefined) throw new Error('expected the request to fail');
  return outcome;
}

function everythingShown(error: Error & { expected?: unknown; actual?: unknown }): string {
  return `${error.message}\n${error.stack}\n${JSON.stringify(error.expected)}\n${JSON.stringify(error.actual)}`;
}

describe('assertion failures never quote a secret the server echoed', () => {
  const clients = {
    client_secret_basic: () => tokenEndpoint(`${origin}/oauth/token`, { client: { id: 'c', secret: SECRET, auth: 'client_secret_basic' }, dpop: true }),
    client_secret_post: () => tokenEndpoint(`${origin}/oauth/token`, { client: { id: 'c', secret: SECRET, auth: 'client_secret_post' }, dpop: true }),
  };
  const expectations = {
    status: (test: ReturnType<ReturnType<typeof clients.client_secret_basic>['clientCredentials']>) => test.expect(200),
    body: (test: ReturnType<ReturnType<typeof clients.client_secret_basic>['clientCredentials']>) => test.expect({ error: 'something else' }),
    header: (test: ReturnType<ReturnType<typeof clients.client_secret_basic>['clientCredentials']>) => test.expect('x-echo', 'something else'),
    'a function quoting res.text': (test: ReturnType<ReturnType<typeof clients.client_secret_basic>['clientCredentials']>) =>
      test.expect((res) => {
        if (res.status !== 200) throw new Error(`got ${res.status}: ${res.text} ${JSON.stringify(res.headers)}`);
      }),
  };

  for (const [auth, makeClient] of Object.entries(clients)) {
    for (const [kind, expectation] of Object.entries(expectations)) {
      test(`${auth}, .expect(${kind})`, async () => {
        const client = makeClient();
        // The control: unasserted, the response does quote the secret and the proof.
        const echoed = await client.clientCredentials();
        expect(echoed.text).toContain(SECRET);
        expect(echoed.text).toContain(seen[0]!.dpop);
        seen = [];
        const error = await failureOf(expectation(client.clientCredentials()));
        const shown = everythingShown(error);
        expect(shown).not.toContain(SECRET);
        expect(shown).not.toContain(seen[0]!.dpop);
        expect(shown).not.toContain(Buffer.from(`c:${SECRET}`).toString('base64'));
        if (kind !== 'status') expect(shown).toContain('[redacted');
      });
    }
  }

  test('raw(): a hand-made request with the secret in the body and a Basic header', async () => {
    const client = tokenEndpoint(origin);
    const basic = `Basic ${Buffer.from(`c:${SECRET}`).toString('base64')}`;
    const bodyEcho = await failureOf(client.raw().post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_secret: SECRET }).expect({ error: 'x' }));
    const headerEcho = await failureOf(client.raw().post('/oauth/token').set('Authorization', basic).expect('x-echo', 'x'));
    const jsonEcho = await failureOf(client.raw().post('/oauth/token').send({ client_secret: SECRET }).expect({ error: 'x' }));
    for (const error of [bodyEcho, headerEcho, jsonEcho]) {
      expect(everythingShown(error)).not.toContain(SECRET);
      expect(everythingShown(error)).toContain('[redacted');
    }
  });

  test('an access token in a response is not quoted by a failing .expect() either', async () => {
    answer = () => 'token';
    const client = tokenEndpoint(origin, { client: { id: 'c', secret: SECRET, auth: 'client_secret_basic' } });
    const error = await failureOf(client.clientCredentials().expect({ token_type: 'DPoP' }));
    expect(everythingShown(error)).not.toContain(ACCESS_TOKEN);
    const raw = await failureOf(client.raw().post('/oauth/token').expect({ token_type: 'DPoP' }));
    expect(everythingShown(raw)).not.toContain(ACCESS_TOKEN);
  });

  test('control: a passing .expect() leaves the response itself untouched', async () => {
    answer = () => 'token';
    const res = await tokenEndpoint(origin, { client: { id: 'c', secret: SECRET, auth: 'client_secret_basic' } }).clientCredentials().expect(200);
    expect(res.body.access_token).toBe(ACCESS_TOKEN);
  });

  test('the exchange record scrubs the use_dpop_nonce answer that echoed the request (headers and body)', async () => {
    answer = (index) => (index === 0 ? 'nonce' : 'echo');
    const client = tokenEndpoint(origin, { client: { id: 'c', secret: SECRET, auth: 'client_secret_post' }, dpop: true });
    const res = (await client.clientCredentials()) as HarnessResponse;
    expect(res.exchange.dpopNonceRetried).toBe(true);
    const record = JSON.stringify(res.exchange);
    expect(JSON.stringify(res.exchange.firstResponse)).toContain('[redacted');
    expect(record).not.toContain(SECRET);
    for (const { dpop } of seen) expect(record).not.toContain(dpop);
  });

  test('the exchange record redacts secret pairs in the server’s own free text too (not only what the request carried)', async () => {
    const own = 'RT-own-secret-4c8e1a';
    let calls = 0;
    const nonceFirst = http.createServer((_req, res) => {
      const first = calls++ === 0;
      res.writeHead(first ? 400 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(first ? { 'dpop-nonce': 'n-1' } : {}) });
      res.end(JSON.stringify(first ? { error: 'use_dpop_nonce', error_description: `stale: refresh_token=${own}` } : { access_token: ACCESS_TOKEN, token_type: 'DPoP' }));
    });
    await new Promise<void>((resolve) => nonceFirst.listen(0, '127.0.0.1', resolve));
    try {
      const res = (await tokenEndpoint(nonceFirst, { client: { id: 'c', secret: SECRET, auth: 'client_secret_post' }, dpop: true }).clientCredentials()) as HarnessResponse;
      expect(res.exchange.dpopNonceRetried).toBe(true);
      expect(res.exchange.firstResponse!.body).toEqual({ error: 'use_dpop_nonce', error_description: `stale: refresh_token=${redactValue(own)}` });
    } finally {
      await new Promise((resolve) => nonceFirst.close(resolve));
    }
  });
});

describe('targets', () => {
  test('a bare origin means the server: requests go to /oauth/token; `path` can still name the root', async () => {
    answer = () => 'token';
    const bare = tokenEndpoint(origin, { dpop: true });
    await bare.clientCredentials().expect(200);
    await tokenEndpoint(`${origin}/`).clientCredentials().expect(200);
    await tokenEndpoint(origin, { path: '/' }).clientCredentials().expect(200);
    expect(bare.url).toBe(`${origin}/oauth/token`);
    expect(seen.map((s) => s.url)).toEqual(['/oauth/token', '/oauth/token', '/']);
    expect(decodeJwt(seen[0]!.dpop!).htu).toBe(`${origin}/oauth/token`);
  });

  test('a URL with a path and a query: the request keeps both, the DPoP htu has neither query nor fragment (RFC 9449 §4.2)', async () => {
    answer = () => 'token';
    const client = tokenEndpoint(`${origin}/tenants/a/token?tenant=a#fragment`, { dpop: true });
    await client.clientCredentials().expect(200);
    expect(seen[0]!.url).toBe('/tenants/a/token?tenant=a');
    expect(decodeJwt(seen[0]!.dpop!).htu).toBe(`${origin}/tenants/a/token`);
  });

  test('an Express app is served on 127.0.0.1 and closed by close()', async () => {
    answer = () => 'token';
    const app = express();
    app.post('/oauth/token', echoing);
    const client = tokenEndpoint(app, { dpop: true });
    await client.clientCredentials().expect(200);
    expect(client.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/token$/);
    expect(decodeJwt(seen[0]!.dpop!).htu).toBe(client.url);
    await client.close();
    await expect(tokenEndpoint(client.url, { timeoutMs: 2000 }).clientCredentials()).rejects.toMatchObject({ code: 'ERR_HARNESS_CONNECTION_REFUSED' });
  });

  test('DPoP nonces stay with the client (and so the target) that learned them', async () => {
    answer = (index) => (index === 0 ? 'nonce' : 'token');
    const first = tokenEndpoint(origin, { dpop: true });
    const second = tokenEndpoint(origin, { dpop: true });
    await first.clientCredentials({ nonceRetry: false });
    expect(first.dpopNonce).toBe('n-1');
    await second.clientCredentials();
    expect(second.dpopNonce).toBeUndefined();
    expect(decodeJwt(seen[1]!.dpop!)).not.toHaveProperty('nonce');
  });
});

describe('transport errors name what was sent', () => {
  let refusedOrigin: string;
  let notHttp: net.Server;
  beforeAll(async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    refusedOrigin = `http://127.0.0.1:${(probe.address() as net.AddressInfo).port}`;
    await new Promise((resolve) => probe.close(resolve));
    notHttp = net.createServer((socket) => socket.once('data', () => socket.end(`SSH-2.0-${SECRET}\r\n\r\n`)));
    await new Promise<void>((resolve) => notHttp.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => notHttp.close(resolve));
  });

  test('raw() errors give the raw method and path, not the token request', async () => {
    const client = tokenEndpoint(`${refusedOrigin}/oauth/token`);
    const get = await failureOf(client.raw().get('/.well-known/oauth-authorization-server'));
    expect(get).toBeInstanceOf(HarnessError);
    expect(get.message).toBe(`GET ${refusedOrigin}/.well-known/oauth-authorization-server: connection refused (ECONNREFUSED)`);
    const del = await failureOf(client.raw().delete('/oauth/token?client_secret=x'));
    expect(del.message).toBe(`DELETE ${refusedOrigin}/oauth/token?client_secret=[redacted, 1 char]: connection refused (ECONNREFUSED)`);
  });

  test('a redacted query value is shown readably, not percent-encoded; the other parameters as written', async () => {
    const target = `${refusedOrigin}/oauth/token?tenant=a%20b&client_secret=${encodeURIComponent(SECRET)}&x`;
    const error = (await failureOf(tokenEndpoint(target).clientCredentials())) as HarnessError;
    const shown = `POST ${refusedOrigin}/oauth/token?tenant=a%20b&client_secret=${redactValue(SECRET)}&x`;
    expect(error.message).toBe(`${shown}: connection refused (ECONNREFUSED)`);
    expect(error.target).toBe(shown);
    expect(everythingShown(error)).not.toContain(SECRET);
  });

  test('a peer that does not speak HTTP → a malformed-response error naming the target, without what it sent', async () => {
    const { port } = notHttp.address() as net.AddressInfo;
    const error = (await failureOf(tokenEndpoint(`http://127.0.0.1:${port}/oauth/token`, { client: { id: 'c', secret: SECRET, auth: 'client_secret_basic' } }).clientCredentials())) as HarnessError;
    expect(error.code).toBe('ERR_HARNESS_TRANSPORT');
    expect(error.message).toMatch(new RegExp(`^POST http://127\\.0\\.0\\.1:${port}/oauth/token: malformed HTTP response \\(HPE_`));
    expect(everythingShown(error)).not.toContain(SECRET);
  });
});

test('a response body without end is cut at MAX_RESPONSE_BYTES with a clear error, not read into memory', async () => {
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  const endless = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  const client = tokenEndpoint(endless, { timeoutMs: 5000 });
  try {
    const error = (await failureOf(client.clientCredentials())) as HarnessError;
    expect(error.code).toBe('ERR_HARNESS_TRANSPORT');
    expect(error.message).toMatch(new RegExp(`: response body larger than ${MAX_RESPONSE_BYTES} bytes$`));
    const raw = (await failureOf(client.raw().get('/anything'))) as HarnessError;
    expect(raw.message).toMatch(/^GET .*\/anything: response body larger than/);
  } finally {
    endless.closeAllConnections();
    await client.close();
  }
});

describe('an https server object (self-signed, made for the test with @peculiar/x509)', () => {
  let options: { key: string; cert: string };
  beforeAll(async () => {
    options = await createTestCertificate();
  });

  test('is trusted on loopback (as a local test server), for token requests and raw()', async () => {
    answer = () => 'token';
    const client = tokenEndpoint(https.createServer(options, echoing), { dpop: true });
    try {
      await client.clientCredentials().expect(200);
      expect(client.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/oauth\/token$/);
      expect(decodeJwt(seen[0]!.dpop!).htu).toBe(client.url);
      await client.raw().post('/oauth/token').expect(200);

      // The same server by URL is a remote target: its certificate is checked, and the error says so.
      const error = (await failureOf(tokenEndpoint(client.url).clientCredentials())) as HarnessError;
      expect(error.message).toMatch(/: TLS certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    } finally {
      await client.close();
    }
  });
});
