/** Compile-once, the DPoP thumbprint, expectation checking, strict mode and status rules. */
import { describe, expect, test } from '@jest/globals';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import Ajv from 'ajv';
import { COMPONENT_SCHEMAS } from '../../src/openapi';
import { toAjvSchema } from '../../src/validate/compile-validators';
import {
  checkExpectation,
  contractValidators,
  dpopKeyThumbprint,
  formatProblem,
  formatResponse,
  InvalidExpectationError,
  normalizeResponse,
  schemaValidator,
  validateTokenEndpointResponse,
  validateTokenEndpointResponseAsync,
} from '../../src/validate';

const json = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };

describe('Ajv validators', () => {
  test('are compiled once and shared', () => {
    expect(contractValidators()).toBe(contractValidators());
    expect(schemaValidator('AttestoTokenError')).toBe(contractValidators().error);
  });
  test('validate the request schema too, with writeOnly members', () => {
    const request = schemaValidator('AttestoTokenClientCredentialsRequest');
    expect(request({ grant_type: 'client_credentials', client_secret: 's' })).toBe(true);
    expect(request({ grant_type: 'password' })).toBe(false);
    expect(request({})).toBe(false);
  });
});

describe('OpenAPI keywords are handled explicitly', () => {
  test('example (data) is kept, component $refs are rewritten, foreign $refs and nullable/discriminator are refused', () => {
    const converted = toAjvSchema(COMPONENT_SCHEMAS.AttestoTokenResponse, 'AttestoTokenResponse') as { oneOf: { $ref: string }[] };
    expect(converted.oneOf.map((branch) => branch.$ref)).toEqual([expect.stringMatching(/\/AttestoBearerTokenResponse$/), expect.stringMatching(/\/AttestoDPoPTokenResponse$/)]);
    expect((toAjvSchema(COMPONENT_SCHEMAS.AttestoTokenError, 'AttestoTokenError') as { example: unknown }).example).toEqual(COMPONENT_SCHEMAS.AttestoTokenError.example);
    expect(() => toAjvSchema({ type: 'string', nullable: true }, 'X')).toThrow(/"nullable"/);
    expect(() => toAjvSchema({ oneOf: [], discriminator: { propertyName: 'token_type' } }, 'X')).toThrow(/"discriminator"/);
    expect(() => toAjvSchema({ $ref: 'https://example.com/other.json' }, 'X')).toThrow(/unsupported \$ref/);
  });
  test('without registering them, strict Ajv would refuse the fragment (so the handling is needed)', () => {
    expect(() => new Ajv({ strict: true }).compile(toAjvSchema(COMPONENT_SCHEMAS.AttestoTokenError, 'AttestoTokenError'))).toThrow(/unknown keyword: "example"/);
  });
});

describe('dpopKeyThumbprint (RFC 7638 via jose)', () => {
  test('is the same for the public JWK, private JWK, KeyObject and holder forms', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const expected = await calculateJwkThumbprint(publicJwk, 'sha256');
    for (const key of [publicKey, privateKey, publicJwk, await exportJWK(privateKey), { publicJwk }, { jwk: publicJwk }, { publicKey }, expected]) {
      await expect(dpopKeyThumbprint(key)).resolves.toBe(expected);
    }
  });
  test.each([
    [null, /received null/],
    [42, /received number/],
    ['short', /43 base64url/],
    [{}, /must be a JWK/],
    [{ kty: 'EC' }, /not a usable JWK/],
    [{ kty: 'OKP', crv: 'Ed25519' }, /not a usable JWK/],
  ])('refuses %p with InvalidExpectationError', async (key, pattern) => {
    const rejection = dpopKeyThumbprint(key as never);
    await expect(rejection).rejects.toBeInstanceOf(InvalidExpectationError);
    await expect(dpopKeyThumbprint(key as never)).rejects.toThrow(pattern);
  });
});

describe('checkExpectation', () => {
  test.each([
    [null, /must be an object/],
    [[], /must be an object/],
    [{ status: 'x' }, /"status"/],
    [{ status: [] }, /"status"/],
    [{ status: [200, 99] }, /"status"/],
    [{ kind: 'ok' }, /"kind"/],
    [{ tokenType: 'DPOP' }, /"tokenType"/],
    [{ scope: ['read'] }, /"scope"/],
    [{ error: 'access_denied' }, /"error"/],
    [{ errorDescription: 3 }, /"errorDescription"/],
    [{ strict: 'yes' }, /"strict"/],
    [{ kind: 'success', error: 'invalid_client' }, /cannot be expected of a success/],
  ])('refuses %p', (expectation, pattern) => {
    expect(() => checkExpectation(expectation)).toThrow(InvalidExpectationError);
    expect(() => checkExpectation(expectation)).toThrow(pattern);
  });
  test('accepts a full, well-formed expectation', () => {
    expect(() => checkExpectation({ status: [400, 401], kind: 'error', error: 'invalid_client', errorDescription: /client/, strict: false })).not.toThrow();
  });
});

describe('rules that depend on the expectation', () => {
  test('strict (default) requires no-store and no-cache on errors; strict: false only on tokens', () => {
    const error = { status: 400, headers: { 'content-type': 'application/json' }, body: { error: 'invalid_request' } };
    expect(validateTokenEndpointResponse(error).problems.map((p) => p.rule)).toEqual(['header.cache-control.no-store', 'header.pragma.no-cache']);
    expect(validateTokenEndpointResponse(error, { strict: false }).ok).toBe(true);
    const token = { status: 200, headers: { 'content-type': 'application/json' }, body: { access_token: 'a', token_type: 'Bearer' } };
    expect(validateTokenEndpointResponse(token, { strict: false }).problems.map((p) => p.rule)).toEqual(['header.cache-control.no-store', 'header.pragma.no-cache']);
  });
  test('a status list, and kinds', () => {
    const error = { status: 401, headers: { ...json, 'www-authenticate': 'Basic realm="OAuth"' }, body: { error: 'invalid_client' } };
    expect(validateTokenEndpointResponse(error, { status: [400, 401] }).ok).toBe(true);
    expect(validateTokenEndpointResponse(error, { status: 400 }).problems.map((p) => p.rule)).toEqual(['status.expected']);
    expect(validateTokenEndpointResponse(error, { kind: 'error' }).ok).toBe(true);
    expect(validateTokenEndpointResponse(error, { kind: 'success' }).problems.map((p) => p.rule)).toEqual(['status.expected']);
  });
  test('error_description by pattern, including stateful /g patterns', () => {
    const error = { status: 400, headers: json, body: { error: 'invalid_request', error_description: 'missing grant_type' } };
    const pattern = /grant_type/g;
    expect(validateTokenEndpointResponse(error, { errorDescription: pattern }).ok).toBe(true);
    expect(validateTokenEndpointResponse(error, { errorDescription: pattern }).ok).toBe(true);
    expect(validateTokenEndpointResponse(error, { errorDescription: /scope/ }).problems.map((p) => p.rule)).toEqual(['body.error_description.expected']);
    expect(validateTokenEndpointResponse({ ...error, body: { error: 'invalid_request' } }, { errorDescription: 'x' }).problems.map((p) => p.rule)).toEqual(['body.error_description.expected']);
  });
  test('a dpopKey makes the result a Promise; none keeps it synchronous', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const jkt = await calculateJwkThumbprint(jwk);
    const dpop = { status: 200, headers: json, body: { access_token: 'a', token_type: 'DPoP', cnf: { jkt } } };
    const pending = validateTokenEndpointResponse(dpop, { dpopKey: jwk });
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toEqual({ ok: true, problems: [], warnings: [] });
    expect(validateTokenEndpointResponse(dpop)).toEqual({ ok: true, problems: [], warnings: [] });
  });

  test('what the doc comments promise: fetch Responses, malformed expectations and keys, sync or async', async () => {
    const fetched = () => new Response(JSON.stringify({ access_token: 'a', token_type: 'Bearer' }), { status: 200, headers: json });
    // Synchronous without a dpopKey: a fetch Response is a problem naming the async function, not read.
    const sync = validateTokenEndpointResponse(fetched());
    expect(sync).not.toBeInstanceOf(Promise);
    expect(sync.problems).toEqual([expect.objectContaining({ rule: 'response.shape', message: expect.stringContaining('validateTokenEndpointResponseAsync') })]);
    // The async function reads it from a clone: the caller can still read the body.
    const res = fetched();
    await expect(validateTokenEndpointResponseAsync(res)).resolves.toEqual({ ok: true, problems: [], warnings: [] });
    await expect(res.json()).resolves.toMatchObject({ token_type: 'Bearer' });
    // With a dpopKey, the Promise reads a fetch Response too.
    const { publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    await expect(validateTokenEndpointResponse(fetched(), { dpopKey: jwk })).resolves.toMatchObject({ ok: false, problems: [{ rule: 'body.token_type.expected' }] });
    // A malformed expectation throws synchronously here, and rejects the async function's Promise.
    expect(() => validateTokenEndpointResponse(fetched(), { kind: 'nope' as never })).toThrow(InvalidExpectationError);
    await expect(validateTokenEndpointResponseAsync(fetched(), { kind: 'nope' as never })).rejects.toBeInstanceOf(InvalidExpectationError);
    // A malformed dpopKey rejects the Promise; nothing is thrown synchronously.
    let pending: Promise<unknown> | undefined;
    expect(() => (pending = validateTokenEndpointResponse(fetched(), { dpopKey: { kty: 'EC' } as never }))).not.toThrow();
    await expect(pending).rejects.toBeInstanceOf(InvalidExpectationError);
  });
});

describe('status, header and number edge cases', () => {
  const bearer = { access_token: 'a', token_type: 'Bearer' };
  const rulesOf = (response: unknown, expectation = {}) => validateTokenEndpointResponse(response, expectation).problems.map((p) => p.rule);

  test('an undocumented status names what the assertion wanted, and strict mode does not call a 204 an error', () => {
    const noContent = { status: 204, headers: {} };
    const [status, , cacheControl] = validateTokenEndpointResponse(noContent, { kind: 'success' }).problems;
    expect(status).toMatchObject({ rule: 'status.documented', expected: [200], received: 204 });
    expect(status!.message).toBe('a status the contract does not document for the token endpoint; expected status 200');
    expect(formatProblem(status!)).toBe('status: a status the contract does not document for the token endpoint; expected status 200 (received 204) [status.documented]');
    expect(cacheControl!.message).toContain('on any token endpoint response in strict mode');
    expect(cacheControl!.message).not.toContain('error response');
    // No narrower wish: the documented list.
    expect(validateTokenEndpointResponse(noContent).problems[0]).toMatchObject({ expected: [200, 400, 401] });
    expect(validateTokenEndpointResponse({ status: 500, headers: {} }).problems.find((p) => p.rule.startsWith('header.cache'))!.message).toContain('an error response');
  });

  test('expires_in: 0 is valid (minimum 0), 1.5 and -1 are not, large integers are integers, 1e400 (Infinity) is not', () => {
    const withExpiry = (expiresIn: unknown) => ({ status: 200, headers: json, body: { ...bearer, expires_in: expiresIn } });
    expect(rulesOf(withExpiry(0))).toEqual([]);
    expect(rulesOf(withExpiry(1.5))).toEqual(['body.schema']);
    expect(rulesOf(withExpiry(-1))).toEqual(['body.schema']);
    expect(rulesOf(withExpiry(2 ** 53))).toEqual([]);
    expect(rulesOf({ status: 200, headers: json, body: '{"access_token":"a","token_type":"Bearer","expires_in":1.0}' })).toEqual([]);
    const infinite = validateTokenEndpointResponse({ status: 200, headers: json, body: '{"access_token":"a","token_type":"Bearer","expires_in":1e400}' });
    expect(infinite.problems).toEqual([expect.objectContaining({ rule: 'body.schema', pointer: '/expires_in', received: Infinity })]);
    expect(formatProblem(infinite.problems[0]!)).toContain('received Infinity');
  });

  test('Content-Type lookalikes fail the JSON media type rule only', () => {
    for (const type of ['application/problem+json', 'application/jsonp', 'text/json']) {
      expect(rulesOf({ status: 400, headers: { ...json, 'content-type': type }, body: { error: 'invalid_request' } })).toEqual(['header.content-type.json']);
    }
    expect(rulesOf({ status: 400, headers: { ...json, 'content-type': 'application/json;charset=utf-8' }, body: { error: 'invalid_request' } })).toEqual([]);
    const problemJson = validateTokenEndpointResponse({ status: 400, headers: { ...json, 'content-type': 'application/problem+json' }, body: { error: 'invalid_request' } });
    expect(problemJson.problems[0]!.message).toContain('a +json type (RFC 6839) is JSON-based, but a media type of its own');
    const jsonp = validateTokenEndpointResponse({ status: 400, headers: { ...json, 'content-type': 'application/jsonp' }, body: { error: 'invalid_request' } });
    expect(jsonp.problems[0]!.message).not.toContain('+json');
  });

  test('a no-store with an argument or inside a quoted value fails, and the message says why', () => {
    const message = (cacheControl: string) => validateTokenEndpointResponse({ status: 200, headers: { ...json, 'cache-control': cacheControl }, body: bearer }).problems[0]?.message;
    expect(message('no-store=1')).toContain('no-store on a token response (RFC 6749 §5.1); the directive takes no argument (RFC 9111 §5.2.2.5)');
    expect(message('private="no-store"')).toContain('here it appears only inside another directive');
    expect(message('max-age=0')).toMatch(/\(RFC 6749 §5\.1\)$/);
    expect(validateTokenEndpointResponse({ status: 200, headers: { ...json, pragma: 'no-cache=1' }, body: bearer }).problems[0]!.message).toContain('no-cache on a token response (RFC 6749 §5.1); the directive takes no argument (RFC 9111 §5.4)');
    expect(message('Private, No-Store')).toBeUndefined();
  });

  test('Pragma with extension directives, and Cache-Control split over several field lines', () => {
    expect(rulesOf({ status: 200, headers: { ...json, pragma: 'no-cache, x-foo' }, body: bearer })).toEqual([]);
    expect(rulesOf({ status: 200, headers: { ...json, 'cache-control': ['max-age=0', 'no-store'] }, body: bearer })).toEqual([]);
    expect(rulesOf({ status: 200, headers: [['Content-Type', 'application/json'], ['Cache-Control', 'private'], ['Cache-Control', 'no-store'], ['Pragma', 'no-cache']], body: bearer })).toEqual([]);
  });
});

describe('hostile bodies', () => {
  test('nesting thousands deep is judged and reported without overflowing the stack', () => {
    const deepArray = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const deepMember = `{"access_token":"a","token_type":"Bearer","x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    const arrayResult = validateTokenEndpointResponse({ status: 200, headers: json, body: deepArray });
    expect(arrayResult.problems.map((p) => p.rule)).toEqual(['body.schema']);
    expect(formatProblem(arrayResult.problems[0]!)).toContain('[nested too deep]');
    expect(validateTokenEndpointResponse({ status: 200, headers: json, body: deepMember }).ok).toBe(true);
    const report = formatResponse(normalizeResponse({ status: 200, headers: json, body: deepMember }));
    expect(report).toContain('chars in all');
  });

  test('a byte order mark before the JSON is not JSON, and the message says why (RFC 8259 §8.1)', () => {
    const withBom = `\uFEFF${JSON.stringify({ access_token: 'a', token_type: 'Bearer' })}`;
    const [problem] = validateTokenEndpointResponse({ status: 200, headers: json, body: withBom }).problems;
    expect(problem).toMatchObject({ rule: 'body.json' });
    expect(problem!.message).toContain('byte order mark');
    expect(problem!.received).toBe(`${withBom.length} chars starting with a byte order mark (U+FEFF)`);
    expect(validateTokenEndpointResponse({ status: 200, headers: json, body: '{"a":' }).problems[0]).toMatchObject({ message: 'the body must be a JSON object (RFC 6749 §5.1)', received: '5 chars of non-JSON text' });
  });
});
