/**
 * The authorization_code grant of the reference server (RFC 6749 §4.1.3,
 * RFC 7636 §4.5-4.6, RFC 9449 §10): each rule with the request that breaks
 * it, asserted on the refusal's code and description, and where a rule has
 * a consequence (a second redemption revokes the first's tokens) on that
 * too. Codes come from the test-only /authorize.
 */
import { describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { authorizeWithReferenceServer, createPkcePair, generateDpopKey, jwkThumbprint, tokenEndpoint, type AuthorizeOptions } from '../../src/harness';
import { clientFor, expectContract, expectError, useReferenceServer } from './support';

const CB = 'http://127.0.0.1/cb';
let now = Date.now();
const ctx = useReferenceServer({
  clock: () => now,
  // The clock moves by minutes below; proofs are signed with the real time.
  dpop: { iatWindowSeconds: 3600 },
  clients: [
    { id: 'spa', authMethods: ['none'], scopes: ['read', 'write'], redirectUris: [CB, 'http://127.0.0.1/cb2'] },
    { id: 'spa-one', authMethods: ['none'], scopes: ['read'], redirectUris: [CB] },
    { id: 'other-spa', authMethods: ['none'], scopes: ['read', 'write'], redirectUris: [CB] },
    { id: 'web', secret: 'web-secret', authMethods: ['client_secret_basic'], scopes: ['read', 'write'], grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [CB] },
    { id: 'no-refresh', authMethods: ['none'], scopes: ['read'], grantTypes: ['authorization_code'], redirectUris: [CB] },
    { id: 'cc', secret: 'cc-secret', authMethods: ['client_secret_basic'], scopes: ['read'] },
  ],
});

const authorize = (options: Partial<AuthorizeOptions> & { clientId?: string } = {}) =>
  authorizeWithReferenceServer(ctx.server, { clientId: 'spa', redirectUri: CB, scope: 'read write', ...options });

describe('authorization_code: success (RFC 6749 §4.1.3, §5.1)', () => {
  it('a public client (client_id alone) redeems its code: access token for the demo user, refresh token, the granted scope', async () => {
    const res = await clientFor(ctx.server, 'spa').authorizationCode(await authorize());
    await expectContract(res, { status: 200, tokenType: 'Bearer', scope: 'read write' });
    expect(res.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { payload } = await jwtVerify(res.body.access_token as string, createLocalJWKSet(ctx.server.jwks), { issuer: ctx.server.issuer, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'demo-user', client_id: 'spa', scope: 'read write' });
  });

  it('a confidential client authenticates as usual (Basic)', async () => {
    const res = await clientFor(ctx.server, 'web').authorizationCode(await authorize({ clientId: 'web' }));
    await expectContract(res, { status: 200, scope: 'read write' });
    expect(typeof res.body.refresh_token).toBe('string');
  });

  it('a confidential client is not authenticated by its client_id alone (RFC 6749 §4.1.3)', async () => {
    const grant = await authorize({ clientId: 'web' });
    const res = await tokenEndpoint(ctx.server.tokenEndpoint, { client: { id: 'web', auth: 'none' } }).authorizationCode(grant);
    await expectError(res, 'invalid_client');
  });

  it('no refresh token for a client not registered for refresh_token', async () => {
    const res = await clientFor(ctx.server, 'no-refresh').authorizationCode(await authorize({ clientId: 'no-refresh', scope: 'read' }));
    await expectContract(res, { status: 200 });
    expect(res.body).not.toHaveProperty('refresh_token');
  });

  it('a public client may not use client_credentials (RFC 6749 §4.4): unauthorized_client', async () => {
    const res = await clientFor(ctx.server, 'spa').clientCredentials();
    await expectError(res, 'unauthorized_client');
    expect(res.body.error_description).toBe('client is not authorized to use the client_credentials grant');
  });

  it('client_credentials still issues no refresh token (RFC 6749 §4.4.3)', async () => {
    const res = await clientFor(ctx.server, 'cc').clientCredentials();
    await expectContract(res, { status: 200 });
    expect(res.body).not.toHaveProperty('refresh_token');
  });

  it('redirect_uri left out of both requests: the client\'s only registered one, nothing to repeat (RFC 6749 §4.1.3)', async () => {
    const grant = await authorize({ clientId: 'spa-one', redirectUri: undefined, scope: 'read' });
    expect(grant).not.toHaveProperty('redirectUri');
    await expectContract(await clientFor(ctx.server, 'spa-one').authorizationCode(grant), { status: 200, scope: 'read' });
  });
});

describe('authorization_code: single use (RFC 6749 §4.1.2)', () => {
  it('a second redemption is refused and revokes the refresh token of the first', async () => {
    const client = clientFor(ctx.server, 'spa');
    const grant = await authorize();
    const first = await client.authorizationCode(grant);
    await expectContract(first, { status: 200 });
    const second = await client.authorizationCode(grant);
    await expectError(second, 'invalid_grant');
    expect(second.body.error_description).toBe('authorization code was already used; the tokens issued for it are revoked (RFC 6749 4.1.2)');
    const refresh = await client.refreshToken(first.body.refresh_token as string);
    await expectError(refresh, 'invalid_grant');
    expect(refresh.body.error_description).toBe('refresh token was revoked');
  });

  it('the revocation reaches tokens refreshed since: the whole family', async () => {
    const client = clientFor(ctx.server, 'spa');
    const grant = await authorize();
    const first = await client.authorizationCode(grant);
    const rotated = await client.refreshToken(first.body.refresh_token as string);
    await expectContract(rotated, { status: 200 });
    await expectError(await client.authorizationCode(grant), 'invalid_grant');
    const after = await client.refreshToken(rotated.body.refresh_token as string);
    expect([after.status, after.body.error, after.body.error_description]).toEqual([400, 'invalid_grant', 'refresh token was revoked']);
  });

  it('N concurrent redemptions of one code: exactly one 200, the others invalid_grant, no 5xx; the winner\'s refresh token is revoked', async () => {
    const client = clientFor(ctx.server, 'spa');
    const grant = await authorize();
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.authorizationCode(grant)));
    expect(answers.filter((res) => res.status >= 500)).toEqual([]);
    const ok = answers.filter((res) => res.status === 200);
    expect(ok).toHaveLength(1);
    for (const res of answers.filter((r) => r.status !== 200)) expect([res.status, res.body.error]).toEqual([400, 'invalid_grant']);
    await expectError(await client.refreshToken(ok[0]!.body.refresh_token as string), 'invalid_grant');
  });
});

describe('authorization_code: PKCE (RFC 7636 §4.5, §4.6)', () => {
  it('a wrong verifier → invalid_grant; the code is not consumed, the right verifier still redeems it', async () => {
    const client = clientFor(ctx.server, 'spa');
    const grant = await authorize();
    const wrong = await client.authorizationCode({ ...grant, codeVerifier: createPkcePair().codeVerifier });
    await expectError(wrong, 'invalid_grant');
    expect(wrong.body.error_description).toBe('code_verifier does not match the code_challenge (RFC 7636 4.6)');
    await expectContract(await client.authorizationCode(grant), { status: 200 });
  });

  it('a malformed verifier (RFC 7636 §4.1: 43-128 unreserved characters) → invalid_grant', async () => {
    const grant = await authorize();
    const res = await clientFor(ctx.server, 'spa').authorizationCode({ ...grant, codeVerifier: 'short' });
    expect([res.body.error, res.body.error_description]).toEqual(['invalid_grant', 'code_verifier does not match the code_challenge (RFC 7636 4.6)']);
  });

  it('the challenge itself as verifier (what plain would accept) → invalid_grant', async () => {
    const pkce = createPkcePair();
    const grant = await authorize({ pkce });
    const res = await clientFor(ctx.server, 'spa').authorizationCode({ ...grant, codeVerifier: pkce.codeChallenge });
    await expectError(res, 'invalid_grant');
  });

  it('no verifier → invalid_request (every code has a challenge)', async () => {
    const res = await clientFor(ctx.server, 'spa').authorizationCode({ ...(await authorize()), break: 'no-code-verifier' });
    await expectError(res, 'invalid_request');
    expect(res.body.error_description).toBe('missing code_verifier: PKCE is required (RFC 7636 4.5)');
  });
});

describe('authorization_code: redirect_uri, client binding, expiry (RFC 6749 §4.1.3, §4.1.2)', () => {
  it('another registered redirect_uri than the authorization request\'s → invalid_grant', async () => {
    const res = await clientFor(ctx.server, 'spa').authorizationCode({ ...(await authorize()), redirectUri: 'http://127.0.0.1/cb2' });
    await expectError(res, 'invalid_grant');
    expect(res.body.error_description).toBe('redirect_uri does not match the authorization request (RFC 6749 4.1.3)');
  });

  it('redirect_uri missing although it was in the authorization request → invalid_request', async () => {
    const res = await clientFor(ctx.server, 'spa').authorizationCode({ ...(await authorize()), break: 'no-redirect-uri' });
    await expectError(res, 'invalid_request');
    expect(res.body.error_description).toBe('missing redirect_uri: it was in the authorization request (RFC 6749 4.1.3)');
  });

  it('a redirect_uri sent although the authorization request had none must still be the one used', async () => {
    const grant = await authorize({ clientId: 'spa-one', redirectUri: undefined, scope: 'read' });
    const res = await clientFor(ctx.server, 'spa-one').authorizationCode({ ...grant, redirectUri: 'http://127.0.0.1/elsewhere' });
    await expectError(res, 'invalid_grant');
  });

  it("another client's code → invalid_grant; its own client can still redeem it", async () => {
    const grant = await authorize();
    const res = await clientFor(ctx.server, 'other-spa').authorizationCode(grant);
    await expectError(res, 'invalid_grant');
    expect(res.body.error_description).toBe('authorization code was issued to another client (RFC 6749 4.1.3)');
    const confidential = await clientFor(ctx.server, 'web').authorizationCode(grant);
    expect(confidential.body.error_description).toBe('authorization code was issued to another client (RFC 6749 4.1.3)');
    await expectContract(await clientFor(ctx.server, 'spa').authorizationCode(grant), { status: 200 });
  });

  it('a code lives 60 s by default: redeemable just before, unknown after', async () => {
    const client = clientFor(ctx.server, 'spa');
    const early = await authorize();
    const late = await authorize();
    now += 59_000;
    await expectContract(await client.authorizationCode(early), { status: 200 });
    now += 1_000;
    const expired = await client.authorizationCode(late);
    await expectError(expired, 'invalid_grant');
    expect(expired.body.error_description).toBe('unknown or expired authorization code');
  });

  it('an unknown code → invalid_grant; no code → invalid_request; a code in the query string → invalid_request', async () => {
    const client = clientFor(ctx.server, 'spa');
    const unknown = await client.authorizationCode({ code: 'x'.repeat(43), codeVerifier: createPkcePair().codeVerifier });
    expect([unknown.status, unknown.body.error, unknown.body.error_description]).toEqual([400, 'invalid_grant', 'unknown or expired authorization code']);
    const missing = await client.authorizationCode({ ...(await authorize()), params: { code: null } });
    expect([missing.body.error, missing.body.error_description]).toEqual(['invalid_request', 'missing code']);
    const grant = await authorize();
    const inQuery = await client.raw().post(`/oauth/token?code=${grant.code}`).type('form').send({ grant_type: 'authorization_code', client_id: 'spa', code_verifier: grant.codeVerifier, redirect_uri: CB });
    expect([inQuery.status, inQuery.body.error_description]).toEqual([400, 'code must be sent in the request body, not the query string']);
  });
});

describe('authorization_code: configurable lifetime', () => {
  let clock = Date.now();
  const short = useReferenceServer({ codeLifetimeSeconds: 5, clock: () => clock, clients: [{ id: 'spa', authMethods: ['none'], scopes: ['read'], redirectUris: [CB] }] });
  it('codeLifetimeSeconds: 5 → unknown after 5 s', async () => {
    const grant = await authorizeWithReferenceServer(short.server, { clientId: 'spa', redirectUri: CB });
    clock += 5_000;
    await expectError(await clientFor(short.server, 'spa').authorizationCode(grant), 'invalid_grant');
  });
});

describe('authorization_code: DPoP binding of the code (dpop_jkt, RFC 9449 §10)', () => {
  it('bound to a key: without a proof or with another key → invalid_grant; with the key → DPoP token bound to it', async () => {
    const key = await generateDpopKey();
    const grant = await authorize({ dpopKey: key });
    const bare = await clientFor(ctx.server, 'spa').authorizationCode(grant);
    await expectError(bare, 'invalid_grant');
    expect(bare.body.error_description).toBe('authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof signed with it (RFC 9449 10)');
    const other = await clientFor(ctx.server, 'spa', { dpop: true }).authorizationCode(grant);
    expect([other.body.error, other.body.error_description]).toEqual(['invalid_grant', 'DPoP proof key does not match the dpop_jkt of the authorization request (RFC 9449 10)']);
    const res = await clientFor(ctx.server, 'spa', { dpop: key }).authorizationCode(grant);
    await expectContract(res, { status: 200, tokenType: 'DPoP' });
    expect(res.body.cnf).toEqual({ jkt: await jwkThumbprint(key) });
  });
});

describe('authorization_code: the grant stores are bounded', () => {
  let clock = Date.now();
  // Codes live 60 s, refresh tokens 90 s: the code store frees up first.
  const small = useReferenceServer({
    grantStoreSize: 1,
    codeLifetimeSeconds: 60,
    refreshTokens: { lifetimeSeconds: 90 },
    clock: () => clock,
    clients: [{ id: 'spa', authMethods: ['none'], scopes: ['read'], redirectUris: [CB] }],
  });
  const get = () => authorizeWithReferenceServer(small.server, { clientId: 'spa', redirectUri: CB });

  it('full stores refuse with temporarily_unavailable (503 and Retry-After at the token endpoint), never forget a live entry, and free up as entries expire', async () => {
    const client = clientFor(small.server, 'spa');
    await expectContract(await client.authorizationCode(await get()), { status: 200 });
    // The redeemed code stays known until it expires (to catch its reuse), so the code store is full.
    await expect(get()).rejects.toThrow(/authorization refused: temporarily_unavailable: authorization code store full; retry later/);
    clock += 60_000;
    const grant = await get();
    // The first refresh token has 30 s to live: no room for another, and the code is not consumed.
    const busy = await client.authorizationCode(grant);
    expect([busy.status, busy.body, busy.headers['retry-after']]).toEqual([503, { error: 'temporarily_unavailable', error_description: 'refresh token store full; retry later' }, '30']);
    clock += 30_000;
    await expectContract(await client.authorizationCode(grant), { status: 200 });
  });
});
