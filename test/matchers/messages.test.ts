/**
 * The failure message is the product: hint, one line per problem, then the
 * response. Also: asymmetric use, misuse of options, direct calls.
 */
import { describe, expect, jest, test } from '@jest/globals';
import { generateKeyPair } from 'jose';
import { matchers, toMatchTokenResponse, toMatchTokenError } from '../../src/matchers';
import '../../src/matchers/jest';
import { fixtureDpopKey, loadResponseFixtures } from '../../fixtures/responses';
import { validateTokenEndpointResponse } from '../../src/validate';
import { stripAnsi } from './helpers';

const fixtures = new Map(loadResponseFixtures().map((f) => [f.name, f]));
const response = (name: string) => fixtures.get(name)!.response;

function failureOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return stripAnsi((error as Error).message);
  }
  throw new Error('expected the assertion to fail');
}

async function asyncFailureOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    return stripAnsi((error as Error).message);
  }
  throw new Error('expected the assertion to fail');
}

describe('failure message layout', () => {
  const broken = { status: 200, headers: { 'content-type': 'text/plain' }, body: { access_token: 'x', token_type: 'bearer', expires_in: '1' } };

  test('hint first, then one line per problem with pointer, expected, received and rule, then the response', () => {
    const message = failureOf(() => expect(broken).toMatchTokenResponse());
    const lines = message.split('\n');
    expect(lines[0]).toBe('expect(received).toMatchTokenResponse()');
    const problemLines = lines.filter((line) => line.startsWith('  ✕ '));
    const { problems } = validateTokenEndpointResponse(broken, { kind: 'success' });
    expect(problemLines).toHaveLength(problems.length);
    expect(problemLines.length).toBeGreaterThanOrEqual(5);
    for (const line of problemLines) expect(line).toMatch(/^ {2}✕ (status|header \S+|body \S+): .*\(.*received .*\) \[[a-z_.-]+\]$/);
    expect(message).toContain('header cache-control: ');
    expect(message).toContain('body /expires_in: ');
    expect(message.indexOf('Received status 200')).toBeGreaterThan(message.indexOf('✕'));
    expect(message).toContain('"expires_in": "1"');
  });

  test('the summary names the status the assertion asked for, and the problem line adds only what was received', () => {
    const error = response('valid-error-invalid-client-400');
    const lines = failureOf(() => expect(error).toMatchTokenError('invalid_client', { status: 401 })).split('\n');
    expect(lines[2]).toBe('Expected a valid token error response (401, AttestoTokenError, error "invalid_client"); found 1 problem:');
    expect(lines[3]).toBe('  ✕ status: expected status 401 (received 400) [status.expected]');
    const either = failureOf(() => expect(response('valid-bearer-full')).toMatchTokenError(undefined, { status: [400, 401] })).split('\n');
    expect(either[2]).toBe('Expected a valid token error response (400/401, AttestoTokenError); found 1 problem:');
    expect(either[3]).toBe('  ✕ status: expected status 400 or 401 (received 200) [status.expected]');
    const contract = failureOf(() => expect(error).toMatchTokenEndpointContract({ status: 200 })).split('\n');
    expect(contract[2]).toBe('Expected a documented token endpoint response (status 200), valid for its status; found 1 problem:');
  });

  test('oneOf is reported against the closest branch, not as a wall of branch errors', () => {
    const message = failureOf(() => expect(broken).toMatchTokenResponse());
    expect(message).not.toMatch(/oneOf|passingSchemas/);
    expect(message).toContain('token_type must be exactly "Bearer" or "DPoP"');
    expect(message).toContain('AttestoBearerTokenResponse (the closest branch of AttestoTokenResponse)');
    expect(message).not.toContain('AttestoDPoPTokenResponse');
    const dpopish = failureOf(() => expect({ ...broken, body: { access_token: 'x', token_type: 'dpop' } }).toMatchTokenResponse());
    expect(dpopish).toContain('AttestoDPoPTokenResponse (the closest branch');
    expect(dpopish).toContain('body /cnf: ');
  });

  test('the hint shows option names, never option values (a key is not printed)', async () => {
    const message = await asyncFailureOf(() => expect(response('invalid-dpop-wrong-jkt')).toMatchDPoPTokenResponse({ key: fixtureDpopKey.jwk }));
    expect(message.split('\n')[0]).toBe('expect(received).toMatchDPoPTokenResponse({ key })');
    expect(message).not.toContain(fixtureDpopKey.jwk.x!);
  });

  test('a garbage value fails clearly', () => {
    expect(failureOf(() => expect(undefined).toMatchTokenResponse())).toContain('expected an HTTP response, received undefined [response.shape]');
    expect(failureOf(() => expect(42).toMatchTokenError())).toContain('received the number 42');
    expect(failureOf(() => expect(Promise.resolve()).toMatchTokenEndpointContract())).toContain('await the request');
    expect(failureOf(() => expect({ method: 'POST', url: '/oauth/token' }).toMatchTokenEndpointContract())).toContain('numeric status');
    const { proxy, revoke } = Proxy.revocable({ status: 200 }, {});
    revoke();
    expect(failureOf(() => expect(proxy).toMatchTokenResponse())).toContain('reading the received value threw TypeError');
  });
});

describe('.not', () => {
  test('on a valid response: hint with .not, the verdict, then the redacted response', () => {
    const message = failureOf(() => expect(response('valid-bearer-full')).not.toMatchTokenResponse({ scope: 'read write' }));
    const lines = message.split('\n');
    expect(lines[0]).toBe('expect(received).not.toMatchTokenResponse({ scope })');
    expect(lines[2]).toBe('Expected the response not to be a valid token response (200, AttestoTokenResponse), but it is.');
    expect(message).toContain('Received status 200');
    expect(message).toMatch(/"access_token": "\[redacted/);
  });

  test.each([
    ['undefined', undefined],
    ['a pending request (forgotten await)', Promise.resolve({ status: 200 })],
    ['a request object', { method: 'POST', url: '/oauth/token' }],
  ])('on %s fails too: a value that is not a response never passes, in either direction', (_what, value) => {
    for (const run of [() => expect(value).not.toMatchTokenResponse(), () => expect(value).not.toMatchTokenError('invalid_client'), () => expect(value).not.toMatchTokenEndpointContract()]) {
      const message = failureOf(run);
      expect(message).toContain('The received value is not an HTTP response, so .not cannot judge it:');
      expect(message).toContain('[response.shape]');
    }
    expect({ value }).not.toEqual({ value: expect.not.toMatchTokenResponse() });
    expect({ value }).not.toEqual({ value: expect.toMatchTokenResponse() });
  });

  test('a used fetch Response cannot be judged either way', async () => {
    const used = new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    await used.text();
    const message = await asyncFailureOf(() => expect(used).not.toMatchTokenResponse() as Promise<unknown>);
    expect(message).toContain('already read');
  });
});

describe('asymmetric use', () => {
  test('inside objectContaining, arrayContaining and toHaveBeenCalledWith', () => {
    const tokenOf = { res: response('valid-bearer-full'), label: 'token' };
    expect(tokenOf).toEqual(expect.objectContaining({ res: expect.toMatchTokenResponse({ tokenType: 'Bearer' }) }));
    expect([response('invalid-missing-pragma'), response('valid-error-invalid-grant')]).toEqual(expect.arrayContaining([expect.toMatchTokenError('invalid_grant')]));
    const onResponse = jest.fn();
    onResponse(response('valid-dpop'));
    expect(onResponse).toHaveBeenCalledWith(expect.toMatchDPoPTokenResponse());
    expect(onResponse).not.toHaveBeenCalledWith(expect.toMatchBearerTokenResponse());
    expect(() => expect(tokenOf).toEqual(expect.objectContaining({ res: expect.toMatchTokenError() }))).toThrow();
  });

  test('expect.toMatch…() inside toEqual, and expect.not.toMatch…()', () => {
    expect({ token: response('valid-bearer-full') }).toEqual({ token: expect.toMatchBearerTokenResponse() });
    expect([response('valid-error-invalid-client')]).toEqual([expect.toMatchTokenError('invalid_client')]);
    expect({ token: response('invalid-missing-pragma') }).toEqual({ token: expect.not.toMatchTokenResponse() });
    expect(() => expect({ token: response('invalid-missing-pragma') }).toEqual({ token: expect.toMatchTokenResponse() })).toThrow();
  });
});

describe('misuse of the matcher is a Matcher error, not an assertion result', () => {
  test.each([
    ['an unknown option', () => expect(response('valid-bearer-full')).toMatchTokenResponse({ tokentype: 'Bearer' } as never), /unknown option "tokentype"/],
    ['a token type outside the enum', () => expect(response('valid-bearer-full')).toMatchTokenResponse({ tokenType: 'bearer' as never }), /"tokenType" must be exactly/],
    ['an error code outside the contract', () => expect(response('valid-error-invalid-request')).toMatchTokenError('access_denied' as never), /"error" must be one of/],
    ['options that are not an object', () => expect(response('valid-bearer-full')).toMatchBearerTokenResponse('read' as never), /options must be an object/],
    ['a bad status', () => expect(response('valid-error-invalid-request')).toMatchTokenError('invalid_request', { status: 'x' as never }), /"status" must be/],
    // The defaults are checked once; options given on top of them are checked on every call.
    ['a scope that is not a string', () => expect(response('valid-bearer-full')).toMatchTokenResponse({ scope: 42 as never }), /"scope" must be a space-delimited string/],
    // A binding asked for with nothing to bind to would check nothing (exactOptionalPropertyTypes lets undefined through the types).
    ['a dpopKey that is undefined', () => expect(response('valid-dpop')).toMatchTokenResponse({ dpopKey: undefined }), /dpopKey is undefined: give the DPoP key the token must be bound to/],
    ['a key that is undefined', () => expect(response('valid-dpop')).toMatchDPoPTokenResponse({ key: undefined }), /key is undefined/],
    ['a certificate that is undefined', () => expect(response('valid-bearer-full')).toMatchBearerTokenResponse({ certificate: undefined }), /certificate is undefined: give the client certificate/],
  ])('%s', (_what, run, pattern) => {
    const message = failureOf(run);
    expect(message).toContain('Matcher error: ');
    expect(message).toMatch(pattern);
  });

  test('other options given as undefined read as absent: the same verdicts as without them', () => {
    for (const name of ['valid-bearer-full', 'invalid-missing-pragma', 'valid-dpop']) {
      const bare = validateTokenEndpointResponse(response(name), { kind: 'success' }).ok;
      const pass = (() => {
        try {
          expect(response(name)).toMatchTokenResponse({ tokenType: undefined, scope: undefined, refreshToken: undefined, strict: undefined, profile: undefined });
          return true;
        } catch {
          return false;
        }
      })();
      expect([name, pass]).toEqual([name, bare]);
    }
    expect(response('valid-error-invalid-client')).toMatchTokenError('invalid_client', { status: undefined, description: undefined, strict: undefined, errorCodes: undefined });
  });

  test('an unusable DPoP key rejects with a Matcher error', async () => {
    await expect(expect(response('valid-dpop')).toMatchDPoPTokenResponse({ key: { kty: 'nope' } as never })).rejects.toThrow(/Matcher error: dpopKey/);
    await expect(expect(response('valid-dpop')).toMatchDPoPTokenResponse({ key: 'not-a-thumbprint' })).rejects.toThrow(/43 base64url/);
  });
});

describe('keys in every form', () => {
  test('public JWK, private JWK, KeyObject and thumbprint give the same verdicts', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { calculateJwkThumbprint, exportJWK } = await import('jose');
    const publicJwk = await exportJWK(publicKey);
    const jkt = await calculateJwkThumbprint(publicJwk);
    const res = { ...response('valid-dpop'), body: { ...(response('valid-dpop').body as object), cnf: { jkt } } };
    for (const key of [publicKey, privateKey, publicJwk, await exportJWK(privateKey), jkt, { publicJwk }]) {
      await expect(res).toMatchDPoPTokenResponse({ key });
      await expect(response('valid-dpop')).not.toMatchDPoPTokenResponse({ key });
    }
  });
});

describe('direct calls, outside expect()', () => {
  test('each matcher function carries its own name', () => {
    for (const [name, matcher] of Object.entries(matchers)) expect(matcher.name).toBe(name);
  });

  test('work without a matcher context and build the plain hint', () => {
    const pass = toMatchTokenResponse.call(undefined, response('valid-bearer-full'));
    expect(pass).toMatchObject({ pass: true });
    const fail = toMatchTokenError.call(undefined, response('valid-bearer-full'), 'invalid_client') as { pass: boolean; message(): string };
    expect(fail.pass).toBe(false);
    expect(fail.message().split('\n')[0]).toBe('expect(received).toMatchTokenError("invalid_client")');
  });
});
