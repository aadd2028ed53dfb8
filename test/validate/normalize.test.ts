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
    [{ statusCode: 200, headers, pipe() {}, on() {} }, /streaming response/],
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

  test('the description names keys, never values', () => {
    expect(() => normalizeResponse({ password: 'hunter2-secret' })).toThrow(/keys password/);
    expect(() => normalizeResponse({ password: 'hunter2-secret' })).not.toThrow(/hunter2/);
  });
});
