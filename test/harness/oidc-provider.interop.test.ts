/**
 * Interop: every request the harness builds is judged by a real, independent
 * authorization server, panva's oidc-provider (test/peers). Valid requests
 * must get tokens; every negative override must be rejected, and the same
 * request without the override must succeed (so the rejection is caused by
 * the override, not by an accidentally malformed request).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  createClientAssertion,
  createDpopProof,
  decodeAccessToken,
  generateDpopKey,
  jwkThumbprint,
  tokenEndpoint,
  type ClientCredentialsOptions,
  type DpopKey,
  type TokenEndpointClient,
  type HarnessResponse,
} from '../../src/harness';
import { startOidcProvider, type OidcProviderPeer } from '../peers/oidc-provider';

let peer: OidcProviderPeer;
let key: DpopKey;
let otherKey: DpopKey;

beforeAll(async () => {
  [peer, key, otherKey] = await Promise.all([startOidcProvider(), generateDpopKey('ES256'), generateDpopKey('ES256')]);
});
afterAll(async () => {
  await peer?.stop();
});

const basicClient = () => tokenEndpoint(peer.tokenEndpoint, { client: { ...peer.clients.basic, auth: 'client_secret_basic' } });
const postClient = (dpop?: DpopKey) => tokenEndpoint(peer.tokenEndpoint, { client: { ...peer.clients.post, auth: 'client_secret_post' }, dpop });
const jwtClient = () =>
  tokenEndpoint(peer.tokenEndpoint, { client: { id: peer.clients.jwt.id, privateKey: peer.clients.jwt.privateJwk, auth: 'private_key_jwt' } });

/**
 * Sends a request the server must reject, and returns the reason the server
 * logged for it (`error_description` plus its hidden `detail`).
 */
async function rejection(server: OidcProviderPeer, send: () => PromiseLike<HarnessResponse>, errors: string[], statuses = [400]): Promise<string> {
  const since = server.errorLog.length;
  const res = await send();
  expectRejected(res, errors, statuses);
  return server.nextError(since, `error: '${String(res.body.error)}'`);
}

function expectToken(res: HarnessResponse, tokenType: 'Bearer' | 'DPoP'): void {
  expect({ status: res.status, error: res.body.error, description: res.body.error_description }).toEqual({ status: 200, error: undefined, description: undefined });
  expect(res.body.token_type).toBe(tokenType);
  expect(typeof res.body.access_token).toBe('string');
}

function expectRejected(res: HarnessResponse, errors: string[], statuses: number[] = [400]): void {
  expect(res.body.access_token).toBeUndefined();
  expect(statuses).toContain(res.status);
  expect(errors).toContain(res.body.error);
}

describe('client authentication against oidc-provider', () => {
  test.each([
    ['client_secret_basic (secret with ":", space, "%", "+", "&", "=")', basicClient],
    ['client_secret_post', () => postClient()],
    ['private_key_jwt (ES256 assertion, aud = token endpoint URL)', jwtClient],
  ])('%s gets a 200 Bearer token', async (_name, make) => {
    const res = await make().clientCredentials({ scope: 'read' });
    expectToken(res, 'Bearer');
    expect(decodeAccessToken(res.body.access_token)?.cnf).toBeUndefined();
  });

  test('private_key_jwt with aud = issuer is accepted too', async () => {
    const client = tokenEndpoint(peer.tokenEndpoint, {
      client: { id: peer.clients.jwt.id, privateKey: peer.clients.jwt.privateJwk, auth: 'private_key_jwt', audience: peer.issuer },
    });
    expectToken(await client.clientCredentials(), 'Bearer');
  });

  test('a wrong Basic secret is rejected (the control for the encoding above)', async () => {
    const client = tokenEndpoint(peer.tokenEndpoint, { client: { id: peer.clients.basic.id, secret: 'wrong', auth: 'client_secret_basic' } });
    expect(await rejection(peer, () => client.clientCredentials(), ['invalid_client'], [401])).toMatch(/invalid secret provided/);
  });
});

describe('DPoP against oidc-provider', () => {
  test.each(['ES256', 'EdDSA', 'PS256', 'RS256'] as const)('%s proof: token_type DPoP and the JWT access token cnf.jkt = our thumbprint', async (alg) => {
    const dpopKey = alg === 'ES256' ? key : await generateDpopKey(alg);
    const client = postClient(dpopKey);
    const res = await client.clientCredentials({ scope: 'read' });
    expectToken(res, 'DPoP');
    const claims = decodeAccessToken(res.body.access_token);
    expect(claims?.cnf?.jkt).toBe(await jwkThumbprint(dpopKey.publicJwk));
    expect(claims?.cnf?.jkt).toBe(client.dpopKey?.thumbprint);
  });

  test('dpop: true generates a key; every client-auth method can carry a proof', async () => {
    for (const make of [basicClient, jwtClient]) {
      const res = await make().clientCredentials({ dpop: true });
      expectToken(res, 'DPoP');
    }
  });

  test('extra claims and header members are ignored; a header named DPOP is accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    const client = postClient(key);
    expectToken(await client.clientCredentials({ proof: { claims: { nbf: now, exp: now + 60, extra: 'x' }, header: { kid: 'k' } } }), 'DPoP');
    expectToken(await client.clientCredentials({ dpopHeaderName: 'DPOP' }), 'DPoP');
  });

  const now = () => Math.floor(Date.now() / 1000);
  // Each override breaks one item of RFC 9449 §4.3: the baseline (same client and key, no override) gets a
  // token, and the server's logged reason proves the rejection is for that item.
  const negativeProofs: Array<[string, () => ClientCredentialsOptions['proof'], RegExp]> = [
    ['typ jwt (item 4)', () => ({ typ: 'jwt' }), /unexpected "typ" JWT header value/],
    ['typ missing (item 4)', () => ({ typ: null }), /unexpected "typ" JWT header value/],
    ['alg none (item 5)', () => ({ alg: 'none' }), /"alg" \(Algorithm\) Header Parameter value not allowed/],
    ['alg HS256 (item 5)', () => ({ alg: 'HS256' }), /"alg" \(Algorithm\) Header Parameter value not allowed/],
    ['no jwk (item 3)', () => ({ omitHeader: ['jwk'] }), /"jwk" \(JSON Web Key\) Header Parameter must be a JSON object/],
    ['private jwk (item 7)', () => ({ includePrivateJwk: true }), /"jwk" \(JSON Web Key\) Header Parameter must be a public key/],
    ['altered signature (item 6)', () => ({ badSignature: true }), /signature verification failed/],
    ['signed by another key (item 6)', () => ({ signWith: otherKey }), /signature verification failed/],
    ['htm GET (item 8)', () => ({ htm: 'GET' }), /htm mismatch/],
    ['htm post, lower case (item 8)', () => ({ htm: 'post' }), /htm mismatch/],
    ['htu with another path (item 9)', () => ({ htu: `${peer.issuer}/other` }), /htu mismatch/],
    ['htu with another host (item 9)', () => ({ htu: peer.tokenEndpoint.replace('127.0.0.1', 'localhost') }), /htu mismatch/],
    ['no jti (item 3)', () => ({ omit: ['jti'] }), /must have a jti/],
    ['no htm (item 3)', () => ({ omit: ['htm'] }), /htm mismatch/],
    ['no htu (item 3)', () => ({ omit: ['htu'] }), /htu mismatch/],
    ['no iat (item 3)', () => ({ omit: ['iat'] }), /must have a iat/],
    ['iat an hour ago (item 11)', () => ({ iat: now() - 3600 }), /iat is not recent enough/],
    ['iat an hour ahead (item 11)', () => ({ iat: now() + 3600 }), /iat is not recent enough/],
    ['unknown crit header (RFC 7515 §4.1.11)', () => ({ crit: ['urn:example:unknown'] }), /Extension Header Parameter "urn:example:unknown" is not recognized/],
    ['a nonce the server never issued (item 10)', () => ({ nonce: 'stale' }), /nonces are not supported/],
  ];

  test('baseline for the negative proofs: the same client and key without an override gets a DPoP token', async () => {
    expectToken(await postClient(key).clientCredentials({ scope: 'read' }), 'DPoP');
  });

  test.each(negativeProofs)('rejected: %s', async (_name, overrides, reason) => {
    const logged = await rejection(peer, () => postClient(key).clientCredentials({ scope: 'read', proof: overrides() }), ['invalid_dpop_proof']);
    expect(logged).toMatch(reason);
  });

  test('rejected: a replayed proof (same jti), after the first use succeeded', async () => {
    const client = postClient(key);
    const jti = `replay-${Date.now()}`;
    expectToken(await client.clientCredentials({ proof: { jti } }), 'DPoP');
    // oidc-provider answers a replay with invalid_grant (a known departure from invalid_dpop_proof).
    expect(await rejection(peer, () => client.clientCredentials({ proof: { jti } }), ['invalid_dpop_proof', 'invalid_grant'])).toMatch(/Replay detected/);
  });

  test('rejected: two DPoP header lines, a joined "p1, p2" value, and a value that is not a JWS', async () => {
    const client = postClient();
    const proof = () => createDpopProof({ key, htm: 'POST', htu: peer.tokenEndpoint });
    const [p1, p2] = await Promise.all([proof(), proof()]);
    // Each proof alone is fine: the fault is only in how they are sent.
    expectToken(await client.clientCredentials({ dpopProof: p1 }), 'DPoP');
    const [p3, p4, p5] = await Promise.all([proof(), proof(), proof()]);
    expect(await rejection(peer, () => client.clientCredentials({ dpopProof: [p2, p3] }), ['invalid_dpop_proof'])).toMatch(/Invalid Compact JWS/);
    expect(await rejection(peer, () => client.clientCredentials({ dpopProof: `${p4}, ${p5}` }), ['invalid_dpop_proof'])).toMatch(/Invalid Compact JWS/);
    expect(await rejection(peer, () => client.clientCredentials({ dpopProof: 'not-a-jws' }), ['invalid_dpop_proof'])).toMatch(/Invalid Compact JWS/);
  });
});

describe('private_key_jwt assertions against oidc-provider', () => {
  let client: TokenEndpointClient;
  beforeAll(() => {
    client = jwtClient();
  });
  const negativeAssertions: Array<[string, () => ClientCredentialsOptions['assertion'], RegExp]> = [
    ['expired (RFC 7523 §3 item 4)', () => ({ expired: true }), /jwt expired/],
    ['wrong audience (item 3)', () => ({ audience: 'https://other.example/token' }), /audience \(aud\) must equal/],
    ['signed by an unregistered key (item 9)', () => ({ signWith: otherKey }), /signature verification failed/],
    ['altered signature (item 9)', () => ({ badSignature: true }), /signature verification failed/],
    ['alg none (item 9)', () => ({ alg: 'none' }), /alg mismatch/],
    ['alg HS256 (item 9)', () => ({ alg: 'HS256' }), /alg mismatch/],
    ['no sub (item 2)', () => ({ omit: ['sub'] }), /sub \(JWT subject\) must be provided/],
    // oidc-provider finds the client by `sub`, so another `sub` names no client...
    ['sub other than the client (item 2)', () => ({ subject: 'someone-else' }), /client not found/],
    // ...and another `iss` with the right `sub` is the iss = sub rule itself.
    ['iss other than the client (item 1)', () => ({ issuer: 'someone-else' }), /iss \(JWT issuer\) must be the client_id/],
    ['no jti (item 7, OIDC Core §9)', () => ({ omit: ['jti'] }), /unique jti \(JWT ID\) must be provided/],
    ['no exp (item 4)', () => ({ omit: ['exp'] }), /expiration must be specified/],
  ];

  test('baseline: the same client without an override gets a token', async () => {
    expectToken(await client.clientCredentials(), 'Bearer');
  });

  test.each(negativeAssertions)('rejected: %s', async (_name, overrides, reason) => {
    expect(await rejection(peer, () => client.clientCredentials({ assertion: overrides() }), ['invalid_client'], [400, 401])).toMatch(reason);
  });

  test('rejected: a wrong client_assertion_type (RFC 7521 §4.2)', async () => {
    const send = () => client.clientCredentials({ assertion: { clientAssertionType: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' } });
    expect(await rejection(peer, send, ['invalid_client', 'invalid_request'], [400, 401])).toMatch(/client_assertion_type must have value/);
  });

  test('rejected: a reused jti, and the very same assertion sent twice (RFC 7523 §3 item 7)', async () => {
    const jti = `assertion-${Date.now()}`;
    expectToken(await client.clientCredentials({ assertion: { jti } }), 'Bearer');
    expect(await rejection(peer, () => client.clientCredentials({ assertion: { jti } }), ['invalid_client'], [400, 401])).toMatch(/must only be used once/);

    const assertion = await createClientAssertion({ clientId: peer.clients.jwt.id, key: peer.clients.jwt.privateJwk, audience: peer.tokenEndpoint });
    expectToken(await client.clientCredentials({ clientAssertion: assertion }), 'Bearer');
    expect(await rejection(peer, () => client.clientCredentials({ clientAssertion: assertion }), ['invalid_client'], [400, 401])).toMatch(
      /must only be used once/,
    );
  });
});

describe('DPoP nonces against oidc-provider with requireNonce (RFC 9449 §8)', () => {
  let noncePeer: OidcProviderPeer;
  beforeAll(async () => {
    noncePeer = await startOidcProvider({ requireNonce: true });
  });
  afterAll(async () => {
    await noncePeer?.stop();
  });
  const client = () =>
    tokenEndpoint(noncePeer.tokenEndpoint, { client: { ...noncePeer.clients.post, auth: 'client_secret_post' }, dpop: key });

  test('without a nonce the server answers use_dpop_nonce with a DPoP-Nonce header', async () => {
    const res = await client().clientCredentials({ nonceRetry: false });
    expectRejected(res, ['use_dpop_nonce'], [400, 401]);
    expect(res.headers['dpop-nonce']).toMatch(/^[\x21\x23-\x5B\x5D-\x7E]+$/);
    expect(res.dpopNonceRetried).toBe(false);
  });

  test('the harness retries once with the nonce and gets a bound token; later requests reuse the nonce', async () => {
    const c = client();
    const res = await c.clientCredentials({ scope: 'read' }).expect(200);
    expect(res.dpopNonceRetried).toBe(true);
    expect(res.exchange.firstResponse).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } });
    expect(res.exchange.dpopNonce).toBe(res.exchange.firstResponse?.headers['dpop-nonce']);
    expectToken(res, 'DPoP');
    expect(decodeAccessToken(res.body.access_token)?.cnf?.jkt).toBe(key.thumbprint);

    const next = await c.clientCredentials();
    expectToken(next, 'DPoP');
    expect(next.dpopNonceRetried).toBe(false);
  });

  test('a stale nonce gets use_dpop_nonce and a fresh nonce; with the retry the request succeeds', async () => {
    const stale = await client().clientCredentials({ proof: { nonce: 'stale' }, nonceRetry: false });
    expectRejected(stale, ['use_dpop_nonce'], [400, 401]);
    expect(stale.headers['dpop-nonce']).toBeTruthy();
    // An explicit proof.nonce is the caller's (never retried); a stale remembered nonce is the harness's to recover from.
    const c = client();
    c.setDpopNonce('stale');
    const retried = await c.clientCredentials();
    expectToken(retried, 'DPoP');
    expect(retried.dpopNonceRetried).toBe(true);
  });

  test('a broken proof stays broken after the nonce retry (the retry keeps the overrides)', async () => {
    expect(await rejection(noncePeer, () => client().clientCredentials({ proof: { htm: 'GET' } }), ['invalid_dpop_proof'])).toMatch(/htm mismatch/);
  });
});
