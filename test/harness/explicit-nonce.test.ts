/**
 * An explicit nonce is the caller's: against a server that requires DPoP
 * nonces, `proof: { nonce }` (a stale string, `null`, or `undefined` given
 * as a key) is sent as given and its use_dpop_nonce is the answer, with no
 * retry; without an explicit nonce the harness retries and gets a token.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { tokenEndpoint } from '../../src/harness';

describe('an explicit proof nonce is never retried', () => {
  let server: ReferenceServer;
  const client = () => tokenEndpoint(server.server, { client: { id: 'basic-client', secret: 'basic-secret', auth: 'client_secret_basic' }, dpop: true });

  beforeAll(async () => {
    server = await createReferenceServer({ dpop: { requireNonce: true } });
  });
  afterAll(() => server.close());

  test.each([
    ['a stale nonce', { nonce: 'stale' }],
    ['nonce: null (no nonce claim)', { nonce: null }],
    ['nonce: undefined given as a key', { nonce: undefined }],
  ])('%s: the answer is 400 use_dpop_nonce with a DPoP-Nonce, one attempt', async (_name, proof) => {
    const c = client();
    const res = await c.clientCredentials({ proof });
    expect({ status: res.status, error: res.body.error, attempts: res.exchange.attempts, retried: res.dpopNonceRetried }).toEqual({ status: 400, error: 'use_dpop_nonce', attempts: 1, retried: false });
    expect(res.headers['dpop-nonce']).toEqual(expect.any(String));
    expect(res.exchange.firstResponse).toBeUndefined();
    // The nonce the server handed out is still remembered for later requests (RFC 9449 §8.2).
    expect(c.dpopNonce).toBe(res.headers['dpop-nonce']);
    // The proof carried the caller's nonce, not the server's.
    expect(res.exchange.dpopNonce).toBe(proof.nonce ?? undefined);
  });

  test('even with nonceRetry: true, an explicit nonce is not replaced', async () => {
    const res = await client().clientCredentials({ proof: { nonce: 'stale' }, nonceRetry: true });
    expect({ status: res.status, error: res.body.error, attempts: res.exchange.attempts }).toEqual({ status: 400, error: 'use_dpop_nonce', attempts: 1 });
  });

  test('no explicit nonce: the harness retries with the server nonce and gets a DPoP token', async () => {
    const res = await client().clientCredentials();
    expect({ status: res.status, tokenType: res.body.token_type, attempts: res.exchange.attempts, retried: res.dpopNonceRetried }).toEqual({ status: 200, tokenType: 'DPoP', attempts: 2, retried: true });
    expect(res.exchange.firstResponse).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } });
  });

  test('other proof overrides leave the nonce to the harness: it retries', async () => {
    const res = await client().clientCredentials({ proof: { jti: 'my-own-jti-1' } });
    expect({ status: res.status, attempts: res.exchange.attempts }).toEqual({ status: 200, attempts: 2 });
  });

  test('a stale remembered nonce (setDpopNonce) is the harness’s to recover from: one retry, then a token carrying the server nonce', async () => {
    const c = client();
    c.setDpopNonce('stale');
    const res = await c.clientCredentials();
    expect({ status: res.status, attempts: res.exchange.attempts }).toEqual({ status: 200, attempts: 2 });
    expect(res.exchange.dpopNonce).not.toBe('stale');
    expect(res.exchange.dpopNonce).toBe(c.dpopNonce);
  });

  test('nonceRetry must be a boolean or a non-negative integer', () => {
    for (const nonceRetry of [-1, 1.5, 'yes']) {
      expect(() => client().clientCredentials({ nonceRetry: nonceRetry as never })).toThrow(/nonceRetry must be a boolean or a non-negative integer/);
    }
  });
});
