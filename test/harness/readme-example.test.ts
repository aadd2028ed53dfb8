/**
 * The README example, run as written (only the imports differ: a project
 * imports 'attesto-token-contract/server' and '/harness' and registers the matchers with
 * setupFilesAfterEnv: ['attesto-token-contract/jest']).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import '../../src/matchers/jest';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { decodeAccessToken, tokenEndpoint, type TokenEndpointClient } from '../../src/harness';

describe('POST /oauth/token', () => {
  let server: ReferenceServer; // in your project: your Express app, an http.Server, or a staging URL
  let basic: TokenEndpointClient;
  let dpop: TokenEndpointClient;

  beforeAll(async () => {
    server = await createReferenceServer({ dpop: { requireNonce: true } });
    const client = { id: 'basic-client', secret: 'basic-secret', auth: 'client_secret_basic' } as const;
    basic = tokenEndpoint(server.server, { client });
    dpop = tokenEndpoint(server.server, { client, dpop: true }); // ES256 key generated on first use
  });
  afterAll(() => server.close());

  test('issues a Bearer token with Basic client authentication', async () => {
    const res = await basic.clientCredentials({ scope: 'read' }).expect(200);
    expect(res).toMatchTokenResponse({ tokenType: 'Bearer', scope: 'read' });
  });

  test('issues a DPoP-bound token, retrying once with the server nonce', async () => {
    const res = await dpop.clientCredentials({ scope: 'read' });
    expect(res.dpopNonceRetried).toBe(true); // first answer was 400 use_dpop_nonce (RFC 9449 §8)
    await expect(res).toMatchTokenResponse({ tokenType: 'DPoP', dpopKey: dpop.dpopKey });
    expect(decodeAccessToken(res.body.access_token)?.cnf?.jkt).toBe(dpop.dpopKey!.thumbprint);
  });

  test('rejects a proof signed for another method', async () => {
    const res = await dpop.clientCredentials({ proof: { htm: 'GET' } });
    expect(res).toMatchTokenError('invalid_dpop_proof', { status: 400 });
  });

  test('rejects credentials in the query string', async () => {
    const res = await basic
      .raw()
      .post(`${basic.path}?client_secret=basic-secret`)
      .type('form')
      .send('grant_type=client_credentials&client_id=basic-client');
    expect(res).toMatchTokenError('invalid_request', { status: 400 });
  });
});
