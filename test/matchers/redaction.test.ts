/**
 * Secrets never reach a failure message or a problem: tokens, refresh
 * tokens, client secrets, assertions and DPoP proofs are shown as a short
 * prefix and a length.
 */
import { describe, expect, test } from '@jest/globals';
import '../../matchers/jest';
import { loadResponseFixtures } from '../../fixtures/responses';
import { validateTokenEndpointResponse } from '../../src/validate';
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
    expect(jwtScope.problems.map((p) => p.pointer)).toEqual(['/scope']);
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
