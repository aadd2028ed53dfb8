import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  basicAuthorization,
  CLIENT_ASSERTION_TYPE,
  generateDpopKey,
  HarnessError,
  tokenEndpoint,
  type DpopKey,
} from '../../src/harness';
import { redactValue } from '../../src/oauth/redact';

/** What the fake token endpoint saw. */
interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  distinct: NodeJS.Dict<string[]>;
  rawHeaderNames: string[];
  body: string;
}
type Reply = (seen: Seen, index: number) => { status: number; headers?: Record<string, string>; body: unknown };

let seen: Seen[] = [];
let reply: Reply;
const okReply: Reply = () => ({ status: 200, headers: { 'cache-control': 'no-store' }, body: { access_token: 'at-123', token_type: 'Bearer', expires_in: 60 } });

const listener: http.RequestListener = (req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const entry: Seen = {
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      distinct: req.headersDistinct,
      rawHeaderNames: req.rawHeaders.filter((_, i) => i % 2 === 0),
      body,
    };
    seen.push(entry);
    const { status, headers = {}, body: out } = reply(entry, seen.length - 1);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(out));
  });
};

let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen = [];
  reply = okReply;
});

const form = (body: string): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(body)) (out[k] ??= []).push(v);
  return out;
};

describe('client authentication', () => {
  test('client_secret_basic: form body with grant_type and scope, Basic header encoded per RFC 6749 §2.3.1', async () => {
    const client = tokenEndpoint(url, { client: { id: 'id:1', secret: 'sé cret', auth: 'client_secret_basic' } });
    const res = await client.clientCredentials({ scope: 'read write' }).expect(200);
    expect(res.body.token_type).toBe('Bearer');
    expect(res.dpopNonceRetried).toBe(false);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('/oauth/token');
    expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen[0]!.headers.authorization).toBe(basicAuthorization('id:1', 'sé cret'));
    expect(form(seen[0]!.body)).toEqual({ grant_type: ['client_credentials'], scope: ['read write'] });
  });

  test('client_secret_post: credentials in the body, no Authorization header', async () => {
    const client = tokenEndpoint(url, { client: { id: 'post-client', secret: 'p', auth: 'client_secret_post' } });
    await client.clientCredentials();
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(form(seen[0]!.body)).toEqual({ grant_type: ['client_credentials'], client_id: ['post-client'], client_secret: ['p'] });
  });

  test('private_key_jwt: assertion with aud = token endpoint URL by default, or the configured audience', async () => {
    const key = await generateDpopKey('ES256');
    const client = tokenEndpoint(url, { client: { id: 'jwt-client', privateKey: key, auth: 'private_key_jwt' } });
    await client.clientCredentials();
    const params = form(seen[0]!.body);
    expect(params.client_assertion_type).toEqual([CLIENT_ASSERTION_TYPE]);
    expect(params.client_id).toBeUndefined();
    expect(decodeJwt(params.client_assertion![0]!)).toMatchObject({ iss: 'jwt-client', sub: 'jwt-client', aud: url });

    const issuerAud = tokenEndpoint(url, { client: { id: 'jwt-client', privateKey: key, auth: 'private_key_jwt', audience: 'https://issuer.example' } });
    await issuerAud.clientCredentials({ assertion: { clientAssertionType: 'urn:wrong' } });
    expect(form(seen[1]!.body).client_assertion_type).toEqual(['urn:wrong']);
    expect(decodeJwt(form(seen[1]!.body).client_assertion![0]!).aud).toBe('https://issuer.example');
  });

  test('clientAssertion with another method adds a second authentication method to the body', async () => {
    await tokenEndpoint(url, { client: { id: 'c', secret: 's', auth: 'client_secret_basic' } }).clientCredentials({ clientAssertion: 'a.b.c' });
    expect(seen[0]!.headers.authorization).toBe(basicAuthorization('c', 's'));
    expect(form(seen[0]!.body)).toEqual({ grant_type: ['client_credentials'], client_assertion_type: [CLIENT_ASSERTION_TYPE], client_assertion: ['a.b.c'] });
  });

  test('none: client_id only; no client: no credentials at all', async () => {
    await tokenEndpoint(url, { client: { id: 'public', auth: 'none' } }).clientCredentials();
    await tokenEndpoint(url).clientCredentials();
    expect(form(seen[0]!.body)).toEqual({ grant_type: ['client_credentials'], client_id: ['public'] });
    expect(form(seen[1]!.body)).toEqual({ grant_type: ['client_credentials'] });
    expect(seen[1]!.headers.authorization).toBeUndefined();
  });
});

describe('request shaping for negative tests', () => {
  const basic = { id: 'c', secret: 's', auth: 'client_secret_basic' as const };

  test('params add, replace, remove and repeat; scope "" is sent empty', async () => {
    const client = tokenEndpoint(url, { client: basic });
    await client.clientCredentials({ scope: '', params: { grant_type: null, foo: 'bar', dup: ['a', 'b'] } });
    expect(form(seen[0]!.body)).toEqual({ scope: [''], foo: ['bar'], dup: ['a', 'b'] });
  });

  test('JSON bodies carry the same parameters', async () => {
    await tokenEndpoint(url, { client: { id: 'c', secret: 's', auth: 'client_secret_post' } }).clientCredentials({ scope: 'read', contentType: 'json' });
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ grant_type: 'client_credentials', scope: 'read', client_id: 'c', client_secret: 's' });
  });

  test('headers replace generated ones case-insensitively, and null removes them', async () => {
    const client = tokenEndpoint(url, { client: basic, headers: { 'X-Default': '1' } });
    await client.clientCredentials({ headers: { authorization: 'Bearer abc' } });
    await client.clientCredentials({ headers: { Authorization: null, 'Content-Type': null } });
    expect(seen[0]!.headers.authorization).toBe('Bearer abc');
    expect(seen[0]!.distinct.authorization).toHaveLength(1);
    expect(seen[0]!.headers['x-default']).toBe('1');
    expect(seen[1]!.headers.authorization).toBeUndefined();
    expect(seen[1]!.headers['content-type']).toBeUndefined();
  });

  test('dpopProof sends exact values: two header lines for an array, one joined line for "p1, p2"', async () => {
    const client = tokenEndpoint(url, { client: basic });
    await client.clientCredentials({ dpopProof: ['p1', 'p2'] });
    await client.clientCredentials({ dpopProof: 'p1, p2' });
    expect(seen[0]!.distinct.dpop).toEqual(['p1', 'p2']);
    expect(seen[0]!.rawHeaderNames.filter((n) => n.toLowerCase() === 'dpop')).toHaveLength(2);
    expect(seen[1]!.distinct.dpop).toEqual(['p1, p2']);
  });

  test('dpopHeaderName changes the header name on the wire', async () => {
    await tokenEndpoint(url, { client: basic, dpop: true }).clientCredentials({ dpopHeaderName: 'DPOP' });
    expect(seen[0]!.rawHeaderNames).toContain('DPOP');
    expect(seen[0]!.rawHeaderNames).not.toContain('DPoP');
  });

  test('raw() sends hand-made requests (GET, query-string credentials, wrong Content-Type) with the timeout and clear errors', async () => {
    const client = tokenEndpoint(url, { client: basic });
    await client.raw().get(client.path).expect(200);
    await client.raw().post(`${client.path}?client_secret=x`).type('text/plain').send('grant_type=client_credentials');
    expect(seen.map((s) => [s.method, s.url, s.headers['content-type']])).toEqual([
      ['GET', '/oauth/token', undefined],
      ['POST', '/oauth/token?client_secret=x', 'text/plain'],
    ]);
  });
});

describe('DPoP and the nonce retry (RFC 9449 §8)', () => {
  let key: DpopKey;
  beforeAll(async () => {
    key = await generateDpopKey('ES256');
  });
  const basic = { id: 'c', secret: 's', auth: 'client_secret_basic' as const };
  const proofOf = (s: Seen) => ({ header: decodeProtectedHeader(String(s.headers.dpop)), payload: decodeJwt(String(s.headers.dpop)) });
  const useNonce = (nonce: string) => ({ status: 400, headers: { 'DPoP-Nonce': nonce }, body: { error: 'use_dpop_nonce' } });
  const dpopOk = { status: 200, body: { access_token: 'at', token_type: 'DPoP' } };

  test('a proof for POST and the exact endpoint URL, signed by the client key', async () => {
    const client = tokenEndpoint(`${url}?x=1`, { client: basic, dpop: key });
    await client.clientCredentials();
    const { header, payload } = proofOf(seen[0]!);
    expect(header).toEqual({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk });
    expect(payload).toMatchObject({ htm: 'POST', htu: url });
    expect(payload).not.toHaveProperty('nonce');
    expect(client.dpopKey).toBe(key);
  });

  test('use_dpop_nonce: one retry with a fresh proof carrying the nonce; the nonce is remembered', async () => {
    reply = (_s, i) => (i === 0 ? useNonce('n-1') : dpopOk);
    const client = tokenEndpoint(url, { client: basic, dpop: true });
    const res = await client.clientCredentials().expect(200);
    expect(res.dpopNonceRetried).toBe(true);
    expect(res.exchange).toMatchObject({ attempts: 2, dpopNonceRetried: true, dpopNonce: 'n-1', firstResponse: { status: 400, body: { error: 'use_dpop_nonce' } } });
    expect(client.lastExchange).toBe(res.exchange);
    const [first, second] = seen.map(proofOf);
    expect(first!.payload).not.toHaveProperty('nonce');
    expect(second!.payload.nonce).toBe('n-1');
    expect(second!.payload.jti).not.toBe(first!.payload.jti);
    expect(client.dpopNonce).toBe('n-1');

    // Later requests start with the remembered nonce: no retry needed.
    const next = await client.clientCredentials();
    expect(next.dpopNonceRetried).toBe(false);
    expect(proofOf(seen[2]!).payload.nonce).toBe('n-1');
  });

  test('the retry rebuilds the client assertion too (a fresh jti), and .expect() applies to the final response only', async () => {
    reply = (_s, i) => (i === 0 ? useNonce('n-2') : dpopOk);
    const jwtKey = await generateDpopKey('ES256');
    const client = tokenEndpoint(url, { client: { id: 'j', privateKey: jwtKey, auth: 'private_key_jwt' }, dpop: true });
    await client.clientCredentials().expect(200).expect((r) => expect(r.body.token_type).toBe('DPoP'));
    const [a, b] = seen.map((s) => decodeJwt(form(s.body).client_assertion![0]!));
    expect(a!.jti).not.toBe(b!.jti);
  });

  test('no retry when disabled, without a DPoP-Nonce header, for the nonce just refused, for raw proofs, or for other errors', async () => {
    reply = () => useNonce('n-3');
    const client = tokenEndpoint(url, { client: basic, dpop: true });
    const disabled = await client.clientCredentials({ nonceRetry: false });
    expect(disabled.status).toBe(400);
    expect(disabled.dpopNonceRetried).toBe(false);
    expect(seen).toHaveLength(1);
    expect(client.dpopNonce).toBe('n-3');

    // The proof already carried n-3: a challenge handing back n-3 again is no fresh nonce, so no retry (src/oauth/dpop-nonce.ts).
    seen = [];
    const same = await client.clientCredentials();
    expect(same.status).toBe(400);
    expect(same.exchange.attempts).toBe(1);
    expect(seen).toHaveLength(1);

    seen = [];
    await client.clientCredentials({ dpopProof: 'x' });
    expect(seen).toHaveLength(1);

    seen = [];
    reply = () => ({ status: 400, body: { error: 'use_dpop_nonce' } });
    await client.clientCredentials();
    reply = () => ({ status: 400, headers: { 'DPoP-Nonce': 'n' }, body: { error: 'invalid_dpop_proof' } });
    await client.clientCredentials();
    expect(seen).toHaveLength(2);
  });

  test('proof overrides apply; nonce: null sends none even when one is remembered; dpop: false sends no proof', async () => {
    const client = tokenEndpoint(url, { client: basic, dpop: key });
    client.setDpopNonce('remembered');
    await client.clientCredentials({ proof: { htm: 'GET', htu: `${url}?keep=1`, typ: 'jwt' } });
    await client.clientCredentials({ proof: { nonce: null } });
    await client.clientCredentials({ dpop: false });
    const first = proofOf(seen[0]!);
    expect(first.payload).toMatchObject({ htm: 'GET', htu: `${url}?keep=1`, nonce: 'remembered' });
    expect(first.header.typ).toBe('jwt');
    expect(proofOf(seen[1]!).payload).not.toHaveProperty('nonce');
    expect(seen[2]!.headers.dpop).toBeUndefined();
  });
});

describe('targets', () => {
  test('a request listener or Express-style app is served on 127.0.0.1 at /oauth/token', async () => {
    const client = tokenEndpoint(listener, { client: { id: 'c', secret: 's', auth: 'client_secret_basic' }, dpop: true });
    // raw() works before the app listens: the URL is completed when the request starts.
    await client.raw().get('/oauth/token').expect(200);
    await client.clientCredentials().expect(200);
    expect(client.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/token$/);
    expect(decodeJwt(String(seen[1]!.headers.dpop)).htu).toBe(client.url);
    await client.close();
  });

  test('an http.Server not yet listening is started, and a listening one is used as is', async () => {
    const idle = http.createServer(listener);
    const client = tokenEndpoint(idle, { path: '/token' });
    await client.ready();
    expect(client.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/token$/);
    await client.clientCredentials().expect(200);
    await client.close();
    expect(idle.listening).toBe(false);

    const shared = tokenEndpoint(server);
    expect(shared.url).toBe(url);
    await shared.close();
    expect(server.listening).toBe(true);
  });

  test('client.url before an app listens is a clear error', () => {
    const client = tokenEndpoint(listener);
    expect(() => client.url).toThrow(/await client.ready\(\)/);
    return client.ready().then(() => client.close());
  });
});

describe('errors', () => {
  const secret = 'super-secret-value';

  test('invalid options are HarnessErrors thrown at once', () => {
    const bad: Array<[unknown, unknown]> = [
      [undefined, {}],
      [42, {}],
      ['not a url', {}],
      ['ftp://host/token', {}],
      ['http://user:pw@127.0.0.1/token', {}],
      [url, { client: { id: 'c', auth: 'client_secret_basic' } }],
      [url, { client: { id: 'c', auth: 'magic' } }],
      [url, { client: { id: 'c', auth: 'private_key_jwt' } }],
      [url, { timeoutMs: -1 }],
      [url, { dpop: 'yes' }],
      [url, { path: 'no-slash' }],
      [url, { headers: { a: 1 } }],
    ];
    for (const [target, options] of bad) {
      expect(() => tokenEndpoint(target as never, options as never)).toThrow(HarnessError);
    }
    const client = tokenEndpoint(url);
    expect(() => client.clientCredentials({ contentType: 'xml' as never })).toThrow(/raw\(\)/);
    // Overrides that could not apply would turn a negative test into a positive one.
    expect(() => client.clientCredentials({ proof: { htm: 'GET' } })).toThrow(/proof overrides need DPoP/);
    expect(() => client.clientCredentials({ assertion: { expired: true } })).toThrow(/private_key_jwt/);
    expect(() => tokenEndpoint(url, { dpop: true }).clientCredentials({ proof: { typ: 'jwt' }, dpopProof: 'x' })).toThrow(/not both/);
    expect(() => client.clientCredentials({ scope: 1 as never })).toThrow(HarnessError);
  });

  test('a refused connection names the target and ECONNREFUSED, without secrets', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = tokenEndpoint(`http://127.0.0.1:${port}/oauth/token?client_secret=${secret}`, {
      client: { id: 'c', secret, auth: 'client_secret_basic' },
      dpop: true,
    });
    const error = (await client.clientCredentials().then(
      () => undefined,
      (e: unknown) => e,
    )) as HarnessError;
    expect(error).toBeInstanceOf(HarnessError);
    expect(error.code).toBe('ERR_HARNESS_CONNECTION_REFUSED');
    expect(error.message).toContain(`http://127.0.0.1:${port}/oauth/token`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain(secret);
    const raw = await client.raw().get('/x').then(() => undefined, (e: unknown) => e);
    expect((raw as HarnessError).code).toBe('ERR_HARNESS_CONNECTION_REFUSED');
  });

  test('a reset connection and a hung server give ECONNRESET and "timeout after N ms", not a hang', async () => {
    const rude = http.createServer((req) => req.socket.destroy());
    const hung = http.createServer(() => undefined);
    await Promise.all([rude, hung].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
    try {
      const reset = await tokenEndpoint(rude, { client: { id: 'c', secret, auth: 'client_secret_post' } })
        .clientCredentials()
        .then(() => undefined, (e: unknown) => e as HarnessError);
      expect(reset?.code).toBe('ERR_HARNESS_CONNECTION_RESET');
      expect(reset?.message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/oauth\/token: connection reset/);

      const timeout = await tokenEndpoint(hung, { client: { id: 'c', secret, auth: 'client_secret_post' }, timeoutMs: 200 })
        .clientCredentials()
        .then(() => undefined, (e: unknown) => e as HarnessError);
      expect(timeout?.code).toBe('ERR_HARNESS_TIMEOUT');
      expect(timeout?.message).toContain('timeout after 200 ms');
      expect(String(timeout?.message)).not.toContain(secret);
    } finally {
      for (const s of [rude, hung]) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
    }
  });

  test('a malformed JSON body resolves as a response (text kept) rather than a thrown parse error', async () => {
    const broken = http.createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":');
    });
    const client = tokenEndpoint(broken);
    try {
      const res = await client.clientCredentials();
      expect(res.status).toBe(400);
      expect(res.text).toBe('{"error":');
      expect(res.body).toEqual({});
      const raw = await client.raw().get(client.path);
      expect(raw.text).toBe('{"error":');
    } finally {
      await client.close();
    }
  });

  test('the exchange record is redacted: no secret, assertion or proof in it', async () => {
    const jwtKey = await generateDpopKey('ES256');
    reply = (_s, i) => (i === 0 ? { status: 400, headers: { 'DPoP-Nonce': 'n' }, body: { error: 'use_dpop_nonce' } } : okReply(_s, i));
    const basicClient = tokenEndpoint(url, { client: { id: 'c', secret, auth: 'client_secret_basic' }, dpop: true });
    const res = await basicClient.clientCredentials({ params: { client_secret: secret } });
    const postClient = tokenEndpoint(url, { client: { id: 'j', privateKey: jwtKey, auth: 'private_key_jwt' } });
    const jwtRes = await postClient.clientCredentials();
    const sent = [...seen.map((s) => [s.headers.authorization, s.headers.dpop, form(s.body).client_assertion?.[0]]).flat(), secret];
    const record = JSON.stringify([res.exchange, jwtRes.exchange, basicClient.lastExchange, postClient.lastExchange]);
    expect(record).toContain('[redacted');
    for (const value of sent) if (typeof value === 'string') expect(record).not.toContain(value.replace(/^Basic /, ''));
    // The form body as sent, its secret parameters as readable markers (not percent-encoded).
    const assertion = form(seen[seen.length - 1]!.body).client_assertion![0]!;
    expect(jwtRes.exchange.request!.body).toContain(`&client_assertion=${redactValue(assertion)}`);
    expect(res.exchange.request!.body).toContain(`client_secret=${redactValue(secret)}`);
  });

  test('a server that hangs on the nonce retry times out within the same deadline', async () => {
    let calls = 0;
    const slow = http.createServer((_req, res) => {
      calls += 1;
      if (calls > 1) return; // the retry never gets an answer
      res.writeHead(400, { 'content-type': 'application/json', 'DPoP-Nonce': 'n' });
      res.end('{"error":"use_dpop_nonce"}');
    });
    const client = tokenEndpoint(slow, { dpop: true, timeoutMs: 300 });
    try {
      const error = await client.clientCredentials().then(() => undefined, (e: unknown) => e as HarnessError);
      expect(calls).toBe(2);
      expect(error?.code).toBe('ERR_HARNESS_TIMEOUT');
      expect(error?.message).toContain('timeout after 300 ms');
    } finally {
      slow.closeAllConnections();
      await client.close();
    }
  });

  test('a key that cannot sign rejects the request promise with a HarnessError', async () => {
    const client = tokenEndpoint(url, { client: { id: 'j', auth: 'private_key_jwt', privateKey: { kty: 'EC', crv: 'P-256', x: 'bad', y: 'bad', d: 'bad' } } });
    await expect(client.clientCredentials()).rejects.toThrow(HarnessError);
    expect(seen).toHaveLength(0);
  });
});
