/** normalizeResponse: every accepted shape, and a clear error for the rest. */
import { describe, expect, test } from '@jest/globals';
import { normalizeResponse, UnsupportedResponseError } from '../../src/validate';

const headers = { 'Content-Type': 'application/json' };
const body = { error: 'invalid_request' };

describe('accepted shapes', () => {
  test.each([
    ['parsed body', body],
    ['JSON string', JSON.stringify(body)],
    ['Buffer', Buffer.from(JSON.stringify(body))],
    ['Uint8Array', new TextEncoder().encode(JSON.stringify(body))],
    ['ArrayBuffer', new TextEncoder().encode(JSON.stringify(body)).buffer],
  ])('plain { status, headers, body } with a %s', (_kind, payload) => {
    const normalized = normalizeResponse({ status: 400, headers, body: payload });
    expect(normalized).toMatchObject({ status: 400, headers: { 'content-type': 'application/json' }, bodyKind: 'json', body });
  });

  test('statusCode instead of status (node style)', () => {
    expect(normalizeResponse({ statusCode: 401, headers: {}, body }).status).toBe(401);
  });

  test('empty and non-JSON payloads', () => {
    expect(normalizeResponse({ status: 200, headers, body: '' })).toMatchObject({ bodyKind: 'empty', body: undefined });
    expect(normalizeResponse({ status: 200, headers, body: '  \n' })).toMatchObject({ bodyKind: 'empty' });
    expect(normalizeResponse({ status: 200, headers })).toMatchObject({ bodyKind: 'empty' });
    expect(normalizeResponse({ status: 400, headers, body: '<html>' })).toMatchObject({ bodyKind: 'text', body: '<html>', rawBody: '<html>' });
  });

  test('superagent-like: raw text wins over the {} superagent leaves for non-JSON types', () => {
    const res = { status: 400, headers: { 'content-type': 'text/html' }, text: '<p>error</p>', body: {}, req: {} };
    expect(normalizeResponse(res)).toMatchObject({ bodyKind: 'text', body: '<p>error</p>' });
  });

  test('axios-like: data, AxiosHeaders-style get()', () => {
    class FakeAxiosHeaders {
      constructor(private readonly values: Record<string, string>) {}
      get(name: string) {
        return this.values[name.toLowerCase()];
      }
      toJSON() {
        return { ...this.values };
      }
    }
    const res = { status: 400, headers: new FakeAxiosHeaders({ 'content-type': 'application/json' }), data: body, config: {} };
    expect(normalizeResponse(res)).toMatchObject({ status: 400, headers: { 'content-type': 'application/json' }, body });
  });

  test('superagent parse errors carry status, headers and the raw text', () => {
    const error = Object.assign(new SyntaxError('Unexpected token'), { status: 400, headers: { 'content-type': 'application/json' }, rawResponse: 'not json' });
    expect(normalizeResponse(error)).toMatchObject({ status: 400, bodyKind: 'text', body: 'not json' });
  });

  test('superagent without a payload (HEAD, 204): unset text and superagent\'s {} body are no body, not a JSON {}', () => {
    const head = { status: 200, headers, text: undefined, body: {}, req: {} };
    expect(normalizeResponse(head)).toMatchObject({ bodyKind: 'empty', body: undefined });
    // A plain object whose body really is {} (no `text` member) stays a JSON object.
    expect(normalizeResponse({ status: 200, headers, body: {} })).toMatchObject({ bodyKind: 'json', body: {} });
    // A parsed body other than {} (a custom superagent parser) is kept.
    expect(normalizeResponse({ status: 200, headers, text: undefined, body })).toMatchObject({ bodyKind: 'json', body });
  });

  test.each([
    ['[name, value] pairs (HeadersInit)', [['Content-Type', 'application/json'], ['Cache-Control', 'no-store'], ['cache-control', 'max-age=0']]],
    ['node rawHeaders (flat name, value list)', ['Content-Type', 'application/json', 'Cache-Control', 'no-store', 'cache-control', 'max-age=0']],
  ])('headers as an array: %s; repeated fields joined', (_form, list) => {
    const normalized = normalizeResponse({ status: 400, headers: list, body });
    expect(normalized.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store, max-age=0' });
  });

  test('headers as a WHATWG Headers instance, with set-cookie, and with array values', () => {
    const fetchHeaders = new Headers([['Content-Type', 'application/json'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
    expect(normalizeResponse({ status: 400, headers: fetchHeaders, body }).headers).toMatchObject({ 'content-type': 'application/json', 'set-cookie': 'a=1, b=2' });
    expect(normalizeResponse({ status: 400, headers: { 'Cache-Control': ['no-store', 'max-age=0'] }, body }).headers).toEqual({ 'cache-control': 'no-store, max-age=0' });
  });

  test('axios and superagent rejections carry the response: it is read, not the error', () => {
    const response = { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Basic' }, data: { error: 'invalid_client' }, config: {} };
    const axiosError = Object.assign(new Error('Request failed with status code 401'), { name: 'AxiosError', isAxiosError: true, status: 401, config: {}, response });
    expect(normalizeResponse(axiosError)).toMatchObject({ status: 401, bodyKind: 'json', body: { error: 'invalid_client' }, headers: { 'www-authenticate': 'Basic' } });
    const superagentResponse = { status: 400, headers, text: JSON.stringify(body), body, req: {} };
    const superagentError = Object.assign(new Error('Bad Request'), { status: 400, response: superagentResponse });
    expect(normalizeResponse(superagentError)).toMatchObject({ status: 400, body });
  });
});

describe('a request that failed without a response', () => {
  test('is named by error name and code, never by its message (it may quote credentials)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED http://user:hunter2@127.0.0.1:1'), { name: 'AxiosError', isAxiosError: true, code: 'ECONNREFUSED', config: {} });
    expect(() => normalizeResponse(refused)).toThrow(/received an error \(AxiosError ECONNREFUSED\) instead of a response/);
    expect(() => normalizeResponse(refused)).not.toThrow(/hunter2/);
    expect(() => normalizeResponse(new TypeError('fetch failed'))).toThrow(/\(TypeError\).*before any HTTP response/);
  });
});

describe('normalizing twice', () => {
  test('normalizing twice gives the same result', () => {
    for (const input of [{ status: 400, headers, body: '"just a string"' }, { status: 400, headers, body: 'text' }, { status: 200, headers, body: '' }]) {
      const once = normalizeResponse(input);
      expect(normalizeResponse(once)).toEqual(once);
    }
  });
});

describe('unsupported values throw UnsupportedResponseError naming the shape', () => {
  test.each([
    [undefined, /received undefined/],
    [null, /received null/],
    [200, /the number 200/],
    ['HTTP/1.1 200 OK', /a string \(15 chars\)/],
    [[], /an array/],
    [() => 1, /a function/],
    [Promise.resolve({ status: 200 }), /pending request/],
    [{ status: '200', headers, body }, /numeric status/],
    [{ status: 200, headers: 'content-type: application/json', body }, /headers must be an object/],
    [{ status: 200, headers: ['content-type', 'application/json', 'pragma'], body }, /headers must be an object.*an array of 3/],
    [{ status: 200, headers: [['content-type', 'application/json', 'x']], body }, /\[name, value\] pairs/],
    [{ status: 200, headers: [[1, 'x']], body }, /headers must be/],
    [{ statusCode: 200, headers, pipe() {}, on() {} }, /streaming response/],
    [{ access_token: 'AT-secret-value', token_type: 'Bearer' }, /looks like a response body .*pass the whole response \(res, not res\.body or res\.data\)/],
    [{ error: 'invalid_client' }, /looks like a response body/],
  ])('%p', (value, pattern) => {
    let thrown: unknown;
    try {
      normalizeResponse(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnsupportedResponseError);
    expect((thrown as Error).message).toMatch(pattern);
    expect((thrown as UnsupportedResponseError).problem.rule).toBe('response.shape');
  });

  test('a value whose getters throw is a shape problem, not a crash', () => {
    const hostile = { get status(): number { throw new TypeError('boom'); }, headers, body };
    expect(() => normalizeResponse(hostile)).toThrow(UnsupportedResponseError);
    expect(() => normalizeResponse(hostile)).toThrow(/reading the received value threw TypeError/);
    const { proxy, revoke } = Proxy.revocable({ status: 200, headers, body }, {});
    revoke();
    expect(() => normalizeResponse(proxy)).toThrow(UnsupportedResponseError);
  });

  test('the description names keys, never values', () => {
    expect(() => normalizeResponse({ password: 'hunter2-secret' })).toThrow(/keys password/);
    expect(() => normalizeResponse({ password: 'hunter2-secret' })).not.toThrow(/hunter2/);
  });
});
