/**
 * The same fixtures served by a real HTTP server on 127.0.0.1 and received
 * through supertest, axios and fetch: each client's response shape must be
 * judged exactly like the plain fixture.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import axios from 'axios';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import '../../src/matchers/jest';
import { loadResponseFixtures, type ResponseFixture } from '../../fixtures/responses';
import { fromFetch, normalizeResponse, validateTokenEndpointResponse, validateTokenEndpointResponseAsync } from '../../src/validate';
import { runFixtureMatcher } from './helpers';

const fixtures = loadResponseFixtures();
const byName = new Map(fixtures.map((f) => [f.name, f]));
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/no-content') {
      res.writeHead(204, { 'cache-control': 'no-store', pragma: 'no-cache' }).end();
      return;
    }
    const fixture = byName.get(decodeURIComponent((req.url ?? '').slice(1)));
    if (!fixture) {
      res.writeHead(404).end();
      return;
    }
    const { status, headers, body } = fixture.response;
    res.writeHead(status, headers);
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function expectSameVerdict(fixture: ResponseFixture, received: unknown): Promise<void> {
  const plain = await validateTokenEndpointResponseAsync(fixture.response, fixture.expectation);
  const live = await validateTokenEndpointResponseAsync(received, fixture.expectation);
  expect(live.problems.map((p) => `${p.rule} ${p.pointer}`)).toEqual(plain.problems.map((p) => `${p.rule} ${p.pointer}`));
  const message = await runFixtureMatcher(fixture, received);
  expect(message === undefined).toBe(fixture.valid);
}

const cases = fixtures.map((f) => [f.name, f] as const);

describe.each(cases)('%s', (name, fixture) => {
  test('supertest', async () => {
    // superagent rejects when a body labelled JSON does not parse; its error carries the response parts.
    const res: unknown = await request(server)
      .get(`/${name}`)
      .catch((error: unknown) => error);
    await expectSameVerdict(fixture, res);
  });

  test('axios', async () => {
    const res = await axios.get(`${origin}/${name}`, { validateStatus: () => true, maxRedirects: 0 });
    await expectSameVerdict(fixture, res);
  });

  test('fetch Response (async matcher) and fromFetch', async () => {
    const res = await fetch(`${origin}/${name}`, { redirect: 'manual' });
    await expectSameVerdict(fixture, res);
    // The body was read from clones: the caller can still read it.
    expect(res.bodyUsed).toBe(false);
    const normalized = await fromFetch(res);
    const fromNormalized = await validateTokenEndpointResponseAsync(normalized, fixture.expectation);
    const fromFixture = await validateTokenEndpointResponseAsync(fixture.response, fixture.expectation);
    expect(fromNormalized.problems.map((p) => p.rule)).toEqual(fromFixture.problems.map((p) => p.rule));
  });
});

describe('normalization of client shapes', () => {
  test('supertest: a JSON body is taken parsed, the raw text kept', async () => {
    const res = await request(server).get('/valid-bearer-full');
    const normalized = normalizeResponse(res);
    expect(normalized).toMatchObject({ status: 200, bodyKind: 'json', body: byName.get('valid-bearer-full')!.response.body });
    expect(typeof normalized.rawBody).toBe('string');
    expect(normalized.headers['cache-control']).toBe('no-store');
  });

  test('supertest: an HTML page is text, not superagent\'s empty {}', async () => {
    const res = await request(server).get('/invalid-html-error-page');
    expect(res.body).toEqual({});
    expect(normalizeResponse(res)).toMatchObject({ status: 400, bodyKind: 'text' });
  });

  test('axios: headers object and data are read', async () => {
    const res = await axios.get(`${origin}/valid-error-use-dpop-nonce`, { validateStatus: () => true });
    expect(normalizeResponse(res)).toMatchObject({ status: 400, bodyKind: 'json', body: { error: 'use_dpop_nonce' } });
    expect(normalizeResponse(res).headers['dpop-nonce']).toBe('eyJ7S_zG.eyJH0-Z.HX4w-7v');
  });

  test('a used fetch Response is a clear failure, not a crash', async () => {
    const res = await fetch(`${origin}/valid-bearer-full`);
    await res.json();
    const result = await validateTokenEndpointResponseAsync(res);
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({ rule: 'response.shape' });
    expect(result.problems[0]!.message).toMatch(/already read/);
    await expect(fromFetch(res)).rejects.toThrow(/already read/);
  });

  test('the sync API reports a fetch Response instead of returning a wrong verdict', async () => {
    const res = await fetch(`${origin}/valid-bearer-full`);
    const result = validateTokenEndpointResponse(res);
    expect(result.ok).toBe(false);
    expect(result.problems[0]!.message).toMatch(/fetch Response.*asynchronously/);
    await res.arrayBuffer();
  });
});

describe('what users actually do with each client', () => {
  test('supertest HEAD: no payload is an empty body, not superagent\'s {} judged as a token response', async () => {
    const res = await request(server).head('/valid-bearer-full');
    expect(res.body).toEqual({});
    const { problems } = validateTokenEndpointResponse(res, { kind: 'success' });
    expect(problems.map((p) => p.rule)).toEqual(['body.empty']);
  });

  test('supertest 204: an undocumented status, and the body is called empty', async () => {
    const res = await request(server).post('/no-content');
    const message = await runFixtureMatcher(byName.get('valid-bearer-full')!, res);
    expect(message).toContain('status: a status the contract does not document for the token endpoint; expected status 200 (received 204)');
    expect(message).toContain('Body: (empty)');
    expect(message).not.toContain('error response');
  });

  test('axios with responseType "text" is parsed like the JSON default', async () => {
    const res = await axios.get(`${origin}/valid-bearer-full`, { responseType: 'text' });
    expect(typeof res.data).toBe('string');
    expect(res).toMatchTokenResponse();
    const html = await axios.get(`${origin}/invalid-html-error-page`, { responseType: 'text', validateStatus: () => true });
    expect(validateTokenEndpointResponse(html).problems.map((p) => p.rule)).toContain('body.json');
  });

  test('axios rejection for a 4xx: `.rejects` judges the response it carries', async () => {
    await expect(axios.get(`${origin}/valid-error-invalid-client`)).rejects.toMatchTokenError('invalid_client', { status: 401 });
    const error: unknown = await axios.get(`${origin}/valid-error-invalid-client`).catch((e: unknown) => e);
    const message = await runFixtureMatcher({ ...byName.get('valid-error-invalid-client')!, args: ['invalid_grant'] }, error);
    expect(message).toContain('[body.error.expected]');
    expect(message).not.toContain('[body.empty]');
  });

  test('axios rejection without a response (connection refused) names the failure, not missing headers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error: unknown = await axios.get(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    const { problems } = validateTokenEndpointResponse(error);
    expect(problems).toEqual([expect.objectContaining({ rule: 'response.shape', message: expect.stringContaining('(AxiosError ECONNREFUSED) instead of a response') })]);
  });
});
