/**
 * Issue 13 item 4: refresh responses in the matchers. `refreshToken: true`
 * requires a refresh_token (a code or refresh grant), `false` forbids one
 * (RFC 6749 §4.4.3 for client_credentials); issued or not asked for, a
 * refresh token is a string of 1*VSCHAR (RFC 6749 Appendix A.17), and it is
 * a credential: never quoted in a message.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import '../../src/matchers/jest';
import { authorizeWithReferenceServer, tokenEndpoint } from '../../src/harness';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { validateTokenEndpointResponse } from '../../src/validate';

const FRAMING = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };
const response = (body: Record<string, unknown>) => ({ status: 200, headers: FRAMING, body: { access_token: 'at-value', token_type: 'Bearer', expires_in: 60, ...body } });

describe('refresh tokens in the matchers', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await createReferenceServer();
  });
  afterAll(() => server.close());

  test('a code redemption and a refresh from the reference server carry one; client_credentials does not', async () => {
    const app = tokenEndpoint(server.server, { client: { id: 'code-client', secret: 'code-secret', auth: 'client_secret_basic' } });
    const grant = await authorizeWithReferenceServer(server, { clientId: 'code-client', redirectUri: server.clients['code-client']!.redirectUris?.[0] ?? 'http://127.0.0.1/callback', scope: 'read' });
    const tokens = await app.authorizationCode(grant);
    expect(tokens).toMatchTokenResponse({ refreshToken: true });
    const refreshed = await app.refreshToken(tokens.body.refresh_token as string);
    expect(refreshed).toMatchTokenResponse({ refreshToken: true });

    const basic = tokenEndpoint(server.server, { client: { id: 'basic-client', secret: server.clients['basic-client']!.secret!, auth: 'client_secret_basic' } });
    const cc = await basic.clientCredentials();
    expect(cc).toMatchTokenResponse({ refreshToken: false });
    expect(() => expect(cc).toMatchTokenResponse({ refreshToken: true })).toThrow(/expected a refresh_token in the token response/);
  });

  test('refreshToken: false fails on one, and the message never quotes it', () => {
    const token = 'rt-a-live-refresh-token-value';
    expect(() => expect(response({ refresh_token: token })).toMatchTokenResponse({ refreshToken: false })).toThrow(/expected no refresh_token/);
    try {
      expect(response({ refresh_token: token })).toMatchTokenResponse({ refreshToken: false });
    } catch (error) {
      expect((error as Error).message).not.toContain(token);
    }
  });

  test.each([
    ['a number', 42, 'a JSON number'],
    ['an empty string', '', 'a string of 0 characters, not all VSCHAR'],
    ['a line break inside', 'rt-\nsecret-part', 'a string of 15 characters, not all VSCHAR'],
  ])('a refresh_token that is %s breaks RFC 6749 Appendix A.17 (MUST), under both profiles', (_name, value, received) => {
    for (const profile of ['attesto', 'rfc'] as const) {
      const result = validateTokenEndpointResponse(response({ refresh_token: value }), { profile });
      expect(result.ok).toBe(false);
      expect(result.problems).toContainEqual(expect.objectContaining({ rule: 'body.refresh_token.syntax', level: 'MUST', reference: 'RFC 6749 §5.1, Appendix A.17', received }));
    }
  });

  test('a bad refreshToken option is an expectation error', () => {
    expect(() => validateTokenEndpointResponse(response({}), { refreshToken: 'yes' as never })).toThrow(/"refreshToken" must be true/);
  });
});
