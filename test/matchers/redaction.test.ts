/**
 * Secrets never reach a failure message or a problem: tokens, refresh
 * tokens, client secrets, assertions and DPoP proofs are shown as a short
 * prefix and a length.
 */
import { describe, expect, test } from '@jest/globals';
import '../../src/matchers/jest';
import { loadResponseFixtures } from '../../fixtures/responses';
import { validateTokenEndpointResponse } from '../../src/validate';
import { redactBody, redactText } from '../../src/oauth/redact';
import { runFixtureMatcher } from './helpers';

const SECRETS = ['AT-SECRET-4f9c2e7a1b', 'RT-SECRET-8d3b6a0c5e', 'CS-SECRET-hunter2-xyz'];
const fixtures = new Map(loadResponseFixtures().map((f) => [f.name, f]));

function expectNoSecrets(text: string, secrets: readonly string[] = SECRETS): void {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('secret redaction', () => {
  test.each(['invalid-secrets-echoed', 'invalid-secrets-in-text'])('%s: the failure message holds no secret, but says it redacted them', async (name) => {
    const fixture = fixtures.get(name)!;
    const message = await runFixtureMatcher(fixture, fixture.response);
    expect(message).toBeDefined();
    expectNoSecrets(message!);
    // JSON bodies show the redaction inside a JSON string, text bodies as is.
    expect(message).toMatch(/\[redacted \\?"AT-S…\\?", 20 chars\]/);
    expect(message).toMatch(/\[redacted \\?"CS-S…\\?", 21 chars\]/);
  });

  test('problems returned by the API hold no secret either', () => {
    for (const name of ['invalid-secrets-echoed', 'invalid-secrets-in-text']) {
      const result = validateTokenEndpointResponse(fixtures.get(name)!.response);
      expectNoSecrets(JSON.stringify(result.problems));
    }
  });

  test('a secret in the failing member itself is redacted in the problem line', () => {
    const response = { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' }, body: { access_token: 'AT-SECRET-4f9c2e7a1b', token_type: 'Bearer', refresh_token: ['RT-SECRET-8d3b6a0c5e'] } };
    const result = validateTokenEndpointResponse({ ...response, body: { ...response.body, token_type: 'DPoP', access_token: 42, refresh_token: 'RT-SECRET-8d3b6a0c5e' } });
    expect(result.ok).toBe(false);
    expectNoSecrets(JSON.stringify(result.problems));
    const jwtScope = validateTokenEndpointResponse({ ...response, body: { ...response.body, scope: { leaked: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' } } });
    // The base body's refresh_token is an array: itself a problem (RFC 6749 Appendix A.17), described by its type only.
    expect(jwtScope.problems.map((p) => p.pointer)).toEqual(['/scope', '/refresh_token']);
    expect(JSON.stringify(jwtScope.problems)).not.toContain('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl');
    let message = '';
    try {
      expect({ ...response, body: { ...response.body, access_token: { nested: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' } } }).toMatchTokenResponse();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('/access_token');
    expect(message).not.toContain('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl');
  });

  test('.not on a valid token response does not print the token', async () => {
    const fixture = fixtures.get('valid-bearer-full')!;
    const token = (fixture.response.body as { access_token: string }).access_token;
    const message = await runFixtureMatcher(fixture, fixture.response, true);
    expect(message).toBeDefined();
    expectNoSecrets(message!, [token]);
    expect(message).toMatch(/\[redacted \\"eyJh…\\", \d+ chars\]/);
  });

  test('an Authorization or DPoP header echoed by the server is redacted', () => {
    const proof = 'eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJodG0iOiJQT1NUIn0.cHJvb2Ytc2lnbmF0dXJl';
    let message = '';
    try {
      expect({ status: 401, headers: { 'content-type': 'text/plain', 'www-authenticate': `DPoP error="x", proof="${proof}"` }, body: `Authorization: Basic Y2xpZW50OkNTLVNFQ1JFVC1odW50ZXIyLXh5eg==\nDPoP: ${proof}` }).toMatchTokenError();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('[header.content-type.json]');
    expect(message).not.toContain(proof);
    expect(message).not.toContain('Y2xpZW50OkNTLVNFQ1JFVC1odW50ZXIyLXh5eg');
    expect(message).toContain('Authorization: Basic [redacted');
  });
});

describe('credentials echoed without a header name', () => {
  test('a Basic value or an opaque Bearer token quoted in error_description never reaches the message', () => {
    const basic = Buffer.from('cid:S3CR3T-VALUE-xyz').toString('base64');
    const opaque = '2YotnFZFEjr1zCsicMWpAA';
    let message = '';
    try {
      expect({
        status: 401,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache', 'www-authenticate': 'Basic realm="OAuth"' },
        body: { error: 'invalid_client', error_description: `rejected Basic ${basic} and Bearer ${opaque}` },
      }).toMatchTokenResponse();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('invalid_client');
    expect(message).not.toContain(basic);
    expect(message).not.toContain(opaque);
    expect(message).toContain('rejected Basic [redacted');
  });
});

describe('free text from the server is passed through redactText wherever it is shown', () => {
  const errorHeaders = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };
  const OPAQUE = 'opaque-AT-5f1e9c0b7a';

  function failure(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the assertion to fail');
  }

  test('an error_description quoting a secret pair: the problem line, the body shown and the problem itself', () => {
    const response = { status: 400, headers: errorHeaders, body: { error: 'invalid_client', error_description: 'client_secret=hunter2 wrong' } };
    const message = failure(() => expect(response).toMatchTokenError('invalid_client', { description: 'unknown client' }));
    expect(message).toContain('body /error_description: expected error_description "unknown client" (received "client_secret=[redacted, 7 chars] wrong")');
    expect(message).toContain('"error_description": "client_secret=[redacted, 7 chars] wrong"');
    expect(message).not.toContain('hunter2');
    const { problems } = validateTokenEndpointResponse(response, { errorDescription: /nope/ });
    expect(problems).toHaveLength(1);
    expect(JSON.stringify(problems)).not.toContain('hunter2');
    // JSON-pair and JWT shapes in free text too.
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const quoting = { ...response, body: { error: 'invalid_grant', error_description: `bad {"refresh_token": "RT-SECRET-8d3b6a0c5e"} and ${jwt}` } };
    const text = failure(() => expect(quoting).toMatchTokenError('invalid_client'));
    expectNoSecrets(text, ['RT-SECRET-8d3b6a0c5e', jwt]);
    expect(text).toContain(`bad {\\"refresh_token\\": \\"[redacted \\"RT-S…\\", 20 chars]\\"} and [redacted \\"eyJh…\\", ${jwt.length} chars]`);
  });

  test.each([
    ['a plain object', { status: 200, headers: { 'content-type': 'text/plain' }, body: `access_token=${OPAQUE}&token_type=Bearer` }],
    ['a supertest-like response (text, empty parsed body)', { status: 200, headers: { 'content-type': 'application/x-www-form-urlencoded' }, text: `access_token=${OPAQUE}&token_type=Bearer`, body: { access_token: OPAQUE } }],
    ['an axios-like response', { status: 500, headers: { 'content-type': 'text/html' }, config: {}, data: `<p>access_token=${OPAQUE}</p>` }],
    ['a JSON string body (JSON, but not an object)', { status: 200, headers: errorHeaders, body: JSON.stringify(`access_token=${OPAQUE}`) }],
  ])('a non-JSON-object body quoting a token, from %s', async (_what, response) => {
    const message = failure(() => expect(response).toMatchTokenResponse());
    expect(message).not.toContain(OPAQUE);
    expect(message).toMatch(new RegExp(`access_token=\\[redacted \\\\?"opaq…\\\\?", ${OPAQUE.length} chars\\]`));
    expect(JSON.stringify(validateTokenEndpointResponse(response).problems)).not.toContain(OPAQUE);
  });

  test('a fetch Response with a non-JSON body', async () => {
    const res = new Response(`error: access_token=${OPAQUE}`, { status: 400, headers: { 'content-type': 'text/plain' } });
    let message = '';
    try {
      await expect(res).toMatchTokenError();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('[body.json]');
    expect(message).not.toContain(OPAQUE);
  });

  test('other free text the server chose (a scope, a header) is redacted in the problem too', () => {
    const token = { status: 200, headers: { ...errorHeaders, 'cache-control': `private, access_token=${OPAQUE}` }, body: { access_token: 'x', token_type: 'Bearer', scope: `read password=${OPAQUE}` } };
    const { problems } = validateTokenEndpointResponse(token, { scope: 'read' });
    expect(problems.map((p) => p.rule)).toEqual(['header.cache-control.no-store', 'body.scope.expected']);
    expect(JSON.stringify(problems)).not.toContain(OPAQUE);
    expect(problems[1]!.received).toBe(`read password=[redacted "opaq…", ${OPAQUE.length} chars]`);
  });

  test('redacting twice changes nothing, so a message never shows a marker of a marker', async () => {
    for (const fixture of loadResponseFixtures()) {
      const message = await runFixtureMatcher(fixture, fixture.response, fixture.valid);
      expect([fixture.name, message]).not.toEqual([fixture.name, expect.stringMatching(/\[redacted \\*"\[red/)]);
    }
    const texts = [
      `access_token=${OPAQUE}&x=1`,
      `{"access_token": "${OPAQUE}", "client_secret": "CS-SECRET-hunter2-xyz"}`,
      'Authorization: Basic Y2xpZW50OkNTLVNFQ1JFVC1odW50ZXIyLXh5eg==',
      'DPoP: eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJodG0iOiJQT1NUIn0.cHJvb2Ytc2lnbmF0dXJl',
      JSON.stringify(JSON.stringify({ refresh_token: 'RT-SECRET-8d3b6a0c5e' })),
    ];
    for (const text of texts) {
      const once = redactText(text);
      expect(once).not.toBe(text);
      expect(redactText(once)).toBe(once);
    }
    const body = { access_token: OPAQUE, nested: { error_description: `code=${OPAQUE}` } };
    expect(redactBody(redactBody(body))).toEqual(redactBody(body));
  });

  test('a marker only counts when nothing token-like follows it', () => {
    expect(redactText(`access_token=[redacted, 5 chars]${OPAQUE}`)).not.toContain(OPAQUE.slice(0, 10));
    expect(redactBody({ access_token: `[redacted, 5 chars]${OPAQUE}` })).toEqual({ access_token: expect.not.stringContaining(OPAQUE.slice(4)) });
  });
});
