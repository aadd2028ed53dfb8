/**
 * Odd and hostile input: whatever arrives, the reference server answers with
 * the OAuth error envelope, `Cache-Control: no-store` and an
 * `error_description` in RFC 6749 §5.2 characters, never a 5xx, never a
 * crash, never an echoed secret. Each case is next to a control that shows
 * the same request, made well-formed, succeeds.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import net from 'node:net';
import { basicAuthorization } from '../../src/harness';
import { ERROR_DESCRIPTION_CHARS, clientFor, expectContract, expectError, useReferenceServer } from './support';

const ctx = useReferenceServer();
const FORM = 'application/x-www-form-urlencoded';
const basic = () => basicAuthorization('basic-client', 'basic-secret');
const raw = () => clientFor(ctx.server, 'basic-client').raw();
const basicOf = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Request body bytes written before the server answered. */
  bodyBytesSent: number;
  /** The server closed the connection. */
  closed: boolean;
}

/**
 * Writes `head` on a raw socket, then `chunk` every `intervalMs` until the
 * server answers; resolves once the connection closes (or after 2 s).
 */
function onTheWire(head: string, trickle?: { chunk: string; intervalMs: number }): Promise<WireResponse> {
  const { port } = new URL(ctx.server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    let bodyBytesSent = 0;
    let answeredAfter: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      const split = received.indexOf('\r\n\r\n');
      if (split === -1) return reject(new Error(`no complete response head: ${JSON.stringify(received.slice(0, 200))}`));
      const [statusLine, ...lines] = received.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: received.slice(split + 4), bodyBytesSent: answeredAfter ?? bodyBytesSent, closed });
    };
    const giveUp = setTimeout(() => done(false), 2000);
    socket.on('data', (data) => {
      answeredAfter ??= bodyBytesSent;
      received += data.toString('latin1');
    });
    socket.on('error', () => undefined); // a reset after the answer is the server refusing the rest
    socket.on('close', () => done(true));
    socket.write(head);
    if (trickle) {
      timer = setInterval(() => {
        if (socket.destroyed) return;
        socket.write(trickle.chunk);
        bodyBytesSent += trickle.chunk.length;
      }, trickle.intervalMs);
    }
  });
}

function expectEnvelope(res: WireResponse, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
  expect(res.headers['content-type']).toBe('application/json');
  const body = JSON.parse(res.body) as { error: string; error_description: string };
  expect(body.error).toBe('invalid_request');
  expect(body.error_description).toMatch(ERROR_DESCRIPTION_CHARS);
}

describe('bodies over the limit (64 KiB) → 413 without reading the rest', () => {
  it('a declared Content-Length over the limit is refused before any body byte arrives, and the connection is closed', async () => {
    const res = await onTheWire(
      `POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nContent-Length: 10000000\r\n\r\n`,
      { chunk: 'x'.repeat(1024), intervalMs: 20 },
    );
    expectEnvelope(res, 413);
    expect(res.headers.connection).toBe('close');
    expect(res.bodyBytesSent).toBeLessThan(65_536);
    expect(res.closed).toBe(true);
  });

  it('a slow chunked body is refused once it crosses the limit, not when it ends (it never does)', async () => {
    const chunk = 'x'.repeat(8192);
    const res = await onTheWire(
      `POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nTransfer-Encoding: chunked\r\n\r\n`,
      { chunk: `${chunk.length.toString(16)}\r\n${chunk}\r\n`, intervalMs: 5 },
    );
    expectEnvelope(res, 413);
    expect(res.bodyBytesSent).toBeGreaterThan(65_536);
    expect(res.bodyBytesSent).toBeLessThan(65_536 + 4 * 8192);
    expect(res.closed).toBe(true);
  });

  it('Expect: 100-continue with an oversized Content-Length → the 413 comes instead of 100 Continue (RFC 9110 §10.1.1)', async () => {
    const res = await onTheWire(`POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nExpect: 100-continue\r\nContent-Length: 10000000\r\n\r\n`);
    expectEnvelope(res, 413);
    expect(res.bodyBytesSent).toBe(0);
  });

  it.each(['100-continue', '100-Continue'])('control: Expect: %s with a body under the limit is invited, read and served', async (expectation) => {
    const body = 'grant_type=client_credentials';
    const { port } = new URL(ctx.server.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    const answered = new Promise<void>((resolve) => {
      setTimeout(resolve, 20_000).unref(); // a bound for a broken server only: a working one answers at once
      socket.on('data', (data) => {
        received += data.toString('latin1');
        if (received.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !socket.writableEnded) socket.end(body);
        if (/\r\n\r\n\{/.test(received)) resolve();
      });
    });
    socket.write(`POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nExpect: ${expectation}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`);
    await answered;
    socket.destroy();
    expect(received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  it.each(['200-ok', 'x-custom=1', '100-continue-please', '100-continue, x-other'])('Expect: %s (not 100-continue) → 417 with the OAuth envelope, and the server keeps serving (RFC 9110 §10.1.1)', async (expectation) => {
    const body = 'grant_type=client_credentials';
    const res = await onTheWire(`POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nExpect: ${expectation}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expectEnvelope(res, 417);
    expect(JSON.parse(res.body).error_description).toMatch(/^unsupported expectation '.*': only 100-continue is supported \(RFC 9110 10\.1\.1\)$/);
    expect(res.closed).toBe(true);
    await expectContract(await clientFor(ctx.server, 'basic-client').clientCredentials(), { status: 200 });
  });

  it('Expect: 100-continue with two Host lines → the 400, never an invitation', async () => {
    const res = await onTheWire(`POST /oauth/token HTTP/1.1\r\nHost: x\r\nHost: y\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nExpect: 100-continue\r\nContent-Length: 29\r\n\r\n`);
    expectEnvelope(res, 400);
    expect(res.body).not.toContain('100 Continue');
    expect(JSON.parse(res.body).error_description).toMatch(/more than one Host/);
  });

  it('control: a chunked body under the limit is read to its end and served', async () => {
    const body = 'grant_type=client_credentials';
    const res = await onTheWire(
      `POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `5\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`,
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).token_type).toBe('Bearer');
  });
});

describe('requests the HTTP parser refuses still get the OAuth envelope', () => {
  it('header fields over the parser limit → 431 with no-store', async () => {
    const res = await onTheWire(`POST /oauth/token HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(100_000)}\r\nContent-Length: 0\r\n\r\n`);
    expectEnvelope(res, 431);
  });

  it.each(['abc', '-1', '1, 2'])('Content-Length: %s → 400 with no-store, and the server keeps serving', async (length) => {
    const res = await onTheWire(`POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: ${length}\r\n\r\n`);
    expectEnvelope(res, 400);
    expect(JSON.parse(res.body).error_description).toBe('malformed HTTP request');
    await expectContract(await clientFor(ctx.server, 'basic-client').clientCredentials(), { status: 200 });
  });
});

describe('requests Node would answer on its own', () => {
  it('HTTP/1.1 without Host → 400 with the OAuth envelope (RFC 9112 §3.2)', async () => {
    const res = await onTheWire(`POST /oauth/token HTTP/1.1\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials`);
    expectEnvelope(res, 400);
    expect(JSON.parse(res.body).error_description).toMatch(/missing Host/);
  });

  // Node keeps one of repeated Host lines in req.headers; the raw lines show them all.
  it.each([
    ['two identical Host lines', 'HTTP/1.1', 'Host: x\r\nHost: x\r\n'],
    ['two different Host lines', 'HTTP/1.1', 'Host: x\r\nHost: evil.example\r\n'],
    ['two Host lines in HTTP/1.0', 'HTTP/1.0', 'Host: x\r\nhost: x\r\n'],
  ])('%s → 400 with the OAuth envelope (RFC 9112 §3.2)', async (_, version, hosts) => {
    const res = await onTheWire(`POST /oauth/token ${version}\r\n${hosts}Content-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials`);
    expectEnvelope(res, 400);
    expect(JSON.parse(res.body).error_description).toBe('more than one Host header (RFC 9112 3.2)');
    expect(res.headers.connection).toBe('close');
  });

  it.each(['a b', 'x/y', 'x@y', '[::1', 'x:80:80', 'x:port', 'a"b'])('Host: %s (an invalid field value) → 400 with the OAuth envelope (RFC 9112 §3.2)', async (host) => {
    const res = await onTheWire(`POST /oauth/token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials`);
    expectEnvelope(res, 400);
    expect(JSON.parse(res.body).error_description).toBe('invalid Host header (RFC 9112 3.2)');
  });

  it.each(['x', '127.0.0.1:8080', '[::1]:80', 'as.example', 'xn--bcher-kva.example:443', 'x:', ''])('control: Host: %s is served', async (host) => {
    const res = await onTheWire(`POST /oauth/token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nConnection: close\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials`);
    expect(res.status).toBe(200);
  });

  it('control: HTTP/1.0 needs no Host and is served', async () => {
    const res = await onTheWire(`POST /oauth/token HTTP/1.0\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials`);
    expect(res.status).toBe(200);
  });

  it('a request whose headers never finish → 408 with the OAuth envelope once headersTimeout passes', async () => {
    const { server } = ctx.server;
    const saved = [server.headersTimeout, server.requestTimeout];
    [server.headersTimeout, server.requestTimeout] = [200, 400];
    try {
      const res = await onTheWire(`POST /oauth/token HTTP/1.1\r\nHost: x\r\nX-Slow: `, { chunk: 'a', intervalMs: 100 });
      expectEnvelope(res, 408);
      expect(res.closed).toBe(true);
    } finally {
      [server.headersTimeout, server.requestTimeout] = saved;
    }
  });

  it('CONNECT → 405 with the OAuth envelope, not a silently dropped socket', async () => {
    const res = await onTheWire('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n');
    expectEnvelope(res, 405);
    expect(res.headers.allow).toBe('POST');
  });
});

describe('a client that half-closes its side of the connection', () => {
  const body = 'grant_type=client_credentials';
  const head = (length: number) => `POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nAuthorization: ${basic()}\r\nContent-Length: ${length}\r\n\r\n`;

  /** Sends `text`, then FIN (like `printf ... | nc -N`); resolves with everything received until the server closes. */
  function sendAndHalfClose(text: string): Promise<string> {
    const { port } = new URL(ctx.server.url);
    return new Promise((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let received = '';
      const giveUp = setTimeout(() => socket.destroy(), 2000);
      socket.on('data', (data) => (received += data.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(giveUp);
        resolve(received);
      });
      socket.end(text);
    });
  }

  it('after a complete request: still gets its answer (RFC 9112 §9.6), then the connection closes', async () => {
    const received = await sendAndHalfClose(head(body.length) + body);
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)).token_type).toBe('Bearer');
  });

  it('in the middle of the body: 400 with the OAuth envelope, not silence', async () => {
    const received = await sendAndHalfClose(head(100) + body);
    expect(received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(received).toMatch(/\r\nCache-Control: no-store\r\n/);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'invalid_request', error_description: 'malformed HTTP request' });
  });
});

describe('Content-Type parameters', () => {
  it.each(['charset=utf-8', 'charset=UTF-8', 'charset="utf-8"', ' charset = utf-8 '])('%s is accepted', async (parameter) => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).set('Content-Type', `${FORM};${parameter}`).send('grant_type=client_credentials');
    await expectContract(res, { status: 200 });
  });

  it('another charset → invalid_request (RFC 6749 Appendix B: UTF-8)', async () => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).set('Content-Type', `${FORM}; charset=iso-8859-1`).send('grant_type=client_credentials');
    await expectError(res, 'invalid_request');
  });
});

describe('JSON bodies with non-string members', () => {
  it.each([
    ['an array', '["client_credentials"]'],
    ['a number', '5'],
    ['an object', '{"type":"client_credentials"}'],
    ['a boolean', 'true'],
  ])('grant_type as %s → invalid_request, not a 500', async (_, value) => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).set('Content-Type', 'application/json').send(`{"grant_type":${value}}`);
    await expectError(res, 'invalid_request');
    expect(res.body.error_description).toBe('grant_type must be a string');
  });

  it.each(['scope', 'client_id', 'client_secret', 'client_assertion'])('%s as a number → invalid_request', async (name) => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).set('Content-Type', 'application/json').send(`{"grant_type":"client_credentials","${name}":1}`);
    await expectError(res, 'invalid_request');
  });

  it('control: an unknown member of any type is ignored (RFC 6749 §3.2)', async () => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).set('Content-Type', 'application/json').send('{"grant_type":"client_credentials","extra":{"nested":[1,null]}}');
    await expectContract(res, { status: 200 });
  });

  it.each(['[]', 'null', '"client_credentials"', '{"grant_type":"client_credentials"'])('a body that is not a JSON object (%s) → invalid_request', async (body) => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).set('Content-Type', 'application/json').send(body);
    await expectError(res, 'invalid_request');
  });
});

describe('form bodies with invalid percent-encoding', () => {
  // WHATWG form decoding (RFC 6749 Appendix B) keeps a bad escape as literal text, so the value is simply wrong.
  it('a bad escape in grant_type → unsupported_grant_type, described in safe characters', async () => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).type('form').send('grant_type=client%ZZcredentials');
    await expectError(res, 'unsupported_grant_type');
  });

  it('invalid UTF-8 in scope → invalid_scope', async () => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).type('form').send('grant_type=client_credentials&scope=%FF%FE');
    await expectError(res, 'invalid_scope');
  });
});

describe('odd client credentials', () => {
  it.each([
    ['no colon', basicOf('basic-client')],
    ['an empty id', basicOf(':basic-secret')],
    ['no credentials at all', 'Basic'],
    ['invalid base64', 'Basic ***'],
    ['a bad percent-escape in the id', basicOf('basic%ZZ:basic-secret')],
  ])('Basic with %s → 401 invalid_client with the Basic challenge', async (_, authorization) => {
    const res = await raw().post('/oauth/token').set('Authorization', authorization).type('form').send('grant_type=client_credentials');
    await expectError(res, 'invalid_client', 401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="OAuth"');
  });

  it('Basic with an empty secret → 401 invalid_client (the client has a secret)', async () => {
    const res = await raw().post('/oauth/token').set('Authorization', basicOf('basic-client:')).type('form').send('grant_type=client_credentials');
    await expectError(res, 'invalid_client', 401);
  });

  it('unicode ids: unknown clients get invalid_client, never a crash, and the id is not echoed', async () => {
    const id = 'cli\u00e9nt-\u2603-"\\';
    const viaBasic = await raw().post('/oauth/token').set('Authorization', basicAuthorization(id, 'x')).type('form').send('grant_type=client_credentials');
    await expectError(viaBasic, 'invalid_client', 401);
    const viaPost = await raw().post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: id, client_secret: 'x' });
    await expectError(viaPost, 'invalid_client');
    expect(viaBasic.text + viaPost.text).not.toContain('cli\u00e9nt');
  });

  it('a wrong secret never appears in the answer (Basic, post, JSON)', async () => {
    const secret = 'wrong-secret-\u00e9-"value"';
    const responses = [
      await raw().post('/oauth/token').set('Authorization', basicAuthorization('basic-client', secret)).type('form').send('grant_type=client_credentials'),
      await raw().post('/oauth/token').type('form').send({ grant_type: 'client_credentials', client_id: 'post-client', client_secret: secret }),
      await raw().post('/oauth/token').send({ grant_type: 'client_credentials', client_id: 'post-client', client_secret: secret }),
    ];
    for (const res of responses) {
      await expectContract(res, { error: 'invalid_client' });
      expect(JSON.stringify(res.headers) + res.text).not.toContain('wrong-secret');
    }
  });
});

describe('methods and paths', () => {
  it.each(['PUT', 'DELETE', 'OPTIONS', 'PATCH'])('%s /oauth/token → 405, Allow: POST, the OAuth envelope', async (method) => {
    const res = await raw()[method.toLowerCase() as 'put'](('/oauth/token')).set('Authorization', basic()).type('form').send('grant_type=client_credentials');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.error).toBe('invalid_request');
  });

  it('HEAD /oauth/token → 405, Allow: POST, no-store and no body', async () => {
    const res = await raw().head('/oauth/token');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text ?? '').toBe('');
  });

  it.each(['/', '/oauth/token/', '/oauth/tokens', '/OAUTH/TOKEN'])('POST %s → 404 with the OAuth envelope and no-store', async (path) => {
    const res = await raw().post(path).set('Authorization', basic()).type('form').send('grant_type=client_credentials');
    expect(res.status).toBe(404);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.error).toBe('invalid_request');
  });
});

describe('any body, any Authorization, any DPoP header: a 4xx OAuth error or a token, never a 5xx', () => {
  const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const json = fc.jsonValue({ maxDepth: 2 });
  const headerText = fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s));
  const jws = (header: fc.Arbitrary<string>, claims: fc.Arbitrary<string>) =>
    fc.tuple(fc.dictionary(header, json, { maxKeys: 4 }), fc.dictionary(claims, json, { maxKeys: 6 })).map(([h, p]) => `${b64url(h)}.${b64url(p)}.AAAA`);
  const request = fc.record({
    contentType: fc.constantFrom(FORM, 'application/json', `${FORM}; charset=utf-8`, 'text/plain'),
    body: fc.oneof(
      json.map((value) => JSON.stringify(value)),
      fc.dictionary(fc.constantFrom('grant_type', 'scope', 'client_id', 'client_secret', 'client_assertion_type', 'client_assertion', 'x'), json).map((d) => JSON.stringify(d)),
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      jws(fc.constantFrom('alg', 'kid', 'crit'), fc.constantFrom('iss', 'sub', 'aud', 'exp', 'jti')).map(
        (assertion) => `grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${assertion}`,
      ),
    ),
    authorization: fc.option(fc.oneof(headerText, fc.string({ maxLength: 30 }).map(basicOf))),
    dpop: fc.option(fc.oneof(headerText, jws(fc.constantFrom('typ', 'alg', 'jwk', 'crit'), fc.constantFrom('jti', 'htm', 'htu', 'iat', 'nonce')))),
  });

  it('holds for 300 generated requests', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ contentType, body, authorization, dpop }) => {
        let test = raw().post('/oauth/token').set('Content-Type', contentType);
        if (authorization !== null) test = test.set('Authorization', authorization);
        if (dpop !== null) test = test.set('DPoP', dpop);
        const res = await test.send(body);
        expect(res.status).toBeLessThan(500);
        expect(res.headers['cache-control']).toBe('no-store');
        if (res.status !== 200) {
          expect(typeof res.body.error).toBe('string');
          expect(res.body.error_description ?? '').toMatch(ERROR_DESCRIPTION_CHARS);
        }
      }),
      { numRuns: 300 },
    );
  });
});
