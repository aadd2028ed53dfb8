/**
 * The README's authorization_code + refresh_token example, run as written
 * (only the imports differ: a project imports 'attesto-token-contract/server'
 * and '/harness' and registers the matchers with setupFilesAfterEnv).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import '../../src/matchers/jest';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { authorizeWithReferenceServer, tokenEndpoint } from '../../src/harness';

describe('authorization_code + PKCE and refresh_token', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await createReferenceServer();
  });
  afterAll(() => server.close());

  test('a public client redeems a code with its verifier, then refreshes with the same DPoP key', async () => {
    const spa = tokenEndpoint(server.server, { client: { id: 'public-client', auth: 'none' }, dpop: true });
    const grant = await authorizeWithReferenceServer(server, { clientId: 'public-client', redirectUri: 'http://127.0.0.1/callback', scope: 'read write' });

    // Each break spoils one thing; the code is not consumed by a refused attempt.
    expect(await spa.authorizationCode({ ...grant, break: 'wrong-code-verifier' })).toMatchTokenError('invalid_grant');

    const tokens = await spa.authorizationCode(grant).expect(200);
    await expect(tokens).toMatchTokenResponse({ tokenType: 'DPoP', scope: 'read write', dpopKey: spa.dpopKey });

    const refreshed = await spa.refreshToken(tokens.body.refresh_token, { scope: 'read' }).expect(200);
    expect(refreshed.body.refresh_token).not.toBe(tokens.body.refresh_token); // rotated (RFC 9700 §4.14.2)
  });
});
