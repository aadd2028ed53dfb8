/**
 * The refresh_token grant of the reference server (RFC 6749 §6, RFC 9700
 * §4.14.2, RFC 9449 §5): rotation, family revocation on reuse, the grace
 * window, client and DPoP binding, scope narrowing, expiry, and concurrent
 * refreshes of one token. Time moves through the server's injected clock;
 * nothing sleeps.
 */
import { describe, expect, it } from '@jest/globals';
import { authorizeWithReferenceServer, generateDpopKey, jwkThumbprint, type TokenEndpointClient } from '../../src/harness';
import type { ReferenceClientConfig, ReferenceServer, ReferenceServerConfig } from '../../src/server';
import { clientFor, expectContract, expectError, useReferenceServer } from './support';

const CB = 'http://127.0.0.1/cb';
const CLIENTS: ReferenceClientConfig[] = [
  { id: 'spa', authMethods: ['none'], scopes: ['read', 'write'], redirectUris: [CB] },
  { id: 'other-spa', authMethods: ['none'], scopes: ['read', 'write'], redirectUris: [CB] },
  { id: 'web', secret: 'web-secret', authMethods: ['client_secret_basic'], scopes: ['read', 'write'], grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [CB] },
];

/** A server on its own clock: `advance(ms)` moves it. DPoP proofs carry the real time, so the iat window is wide. */
function serverWithClock(config: ReferenceServerConfig = {}) {
  const state = { now: Date.now() };
  const ctx = useReferenceServer({ clients: CLIENTS, dpop: { iatWindowSeconds: 3600 }, ...config, clock: () => state.now });
  return {
    get server(): ReferenceServer {
      return ctx.server;
    },
    advance(ms: number): void {
      state.now += ms;
    },
  };
}

/** A refresh token from a fresh authorization code. */
async function firstRefreshToken(server: ReferenceServer, client: TokenEndpointClient, clientId = 'spa', scope = 'read write'): Promise<string> {
  const grant = await authorizeWithReferenceServer(server, { clientId, redirectUri: CB, scope });
  const res = await client.authorizationCode(grant);
  expect(res.status).toBe(200);
  return res.body.refresh_token as string;
}

describe('rotation and reuse detection (RFC 9700 §4.14.2), default grace 60 s', () => {
  const ctx = serverWithClock();

  it('each refresh returns a new refresh token; the new one works', async () => {
    const client = clientFor(ctx.server, 'spa');
    const first = await firstRefreshToken(ctx.server, client);
    const res = await client.refreshToken(first);
    await expectContract(res, { status: 200, tokenType: 'Bearer', scope: 'read write' });
    expect(res.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.refresh_token).not.toBe(first);
    await expectContract(await client.refreshToken(res.body.refresh_token as string), { status: 200 });
  });

  it('grace: a retry of the same token within 60 s returns the same successor instead of revoking', async () => {
    const client = clientFor(ctx.server, 'spa');
    const first = await firstRefreshToken(ctx.server, client);
    const a = await client.refreshToken(first);
    ctx.advance(59_000);
    const b = await client.refreshToken(first);
    await expectContract(b, { status: 200 });
    expect(b.body.refresh_token).toBe(a.body.refresh_token);
    // The successor was not revoked by the retry.
    await expectContract(await client.refreshToken(a.body.refresh_token as string), { status: 200 });
  });

  it('after the grace window, reuse of the rotated token is refused and revokes the whole family, successor included', async () => {
    const client = clientFor(ctx.server, 'spa');
    const first = await firstRefreshToken(ctx.server, client);
    const successor = (await client.refreshToken(first)).body.refresh_token as string;
    ctx.advance(60_000);
    const reuse = await client.refreshToken(first);
    await expectError(reuse, 'invalid_grant');
    expect(reuse.body.error_description).toBe('refresh token was already used; every token of its grant is revoked (RFC 9700 4.14.2)');
    const after = await client.refreshToken(successor);
    expect([after.body.error, after.body.error_description]).toEqual(['invalid_grant', 'refresh token was revoked']);
  });

  it('no grace once the successor has been used: a retry of the old token then revokes the family', async () => {
    const client = clientFor(ctx.server, 'spa');
    const first = await firstRefreshToken(ctx.server, client);
    const second = (await client.refreshToken(first)).body.refresh_token as string;
    const third = (await client.refreshToken(second)).body.refresh_token as string;
    await expectError(await client.refreshToken(first), 'invalid_grant');
    await expectError(await client.refreshToken(third), 'invalid_grant');
  });

  it('N concurrent refreshes of one token: all 200 with one and the same successor, no 5xx', async () => {
    const client = clientFor(ctx.server, 'spa');
    const first = await firstRefreshToken(ctx.server, client);
    const answers = await Promise.all(Array.from({ length: 12 }, () => client.refreshToken(first)));
    expect(answers.map((res) => res.status)).toEqual(Array(12).fill(200));
    const successors = new Set(answers.map((res) => res.body.refresh_token as string));
    expect(successors.size).toBe(1);
    await expectContract(await client.refreshToken([...successors][0]!), { status: 200 });
  });
});

describe('no grace (graceSeconds: 0)', () => {
  const ctx = serverWithClock({ refreshTokens: { graceSeconds: 0 } });

  it('an immediate retry is reuse: refused, and the successor revoked', async () => {
    const client = clientFor(ctx.server, 'spa');
    const first = await firstRefreshToken(ctx.server, client);
    const successor = (await client.refreshToken(first)).body.refresh_token as string;
    await expectError(await client.refreshToken(first), 'invalid_grant');
    await expectError(await client.refreshToken(successor), 'invalid_grant');
  });

  it('N concurrent refreshes of one token: exactly one 200, the rest invalid_grant, no 5xx; the one successor is revoked', async () => {
    const client = clientFor(ctx.server, 'spa');
    const first = await firstRefreshToken(ctx.server, client);
    const answers = await Promise.all(Array.from({ length: 12 }, () => client.refreshToken(first)));
    expect(answers.filter((res) => res.status >= 500)).toEqual([]);
    const ok = answers.filter((res) => res.status === 200);
    expect(ok).toHaveLength(1);
    for (const res of answers.filter((r) => r.status !== 200)) expect(res.body.error).toBe('invalid_grant');
    await expectError(await client.refreshToken(ok[0]!.body.refresh_token as string), 'invalid_grant');
  });
});

describe('rotation off (rotate: false)', () => {
  const ctx = serverWithClock({ refreshTokens: { rotate: false } });

  it('the answer carries no new refresh token and the same one keeps working (a DPoP-bound token)', async () => {
    const client = clientFor(ctx.server, 'spa', { dpop: true });
    const token = await firstRefreshToken(ctx.server, client);
    for (let i = 0; i < 3; i++) {
      const res = await client.refreshToken(token);
      await expectContract(res, { status: 200 });
      expect(res.body).not.toHaveProperty('refresh_token');
    }
  });

  it("a public client's token bound to no key rotates anyway (RFC 9700 §4.14.2: sender-constrained or rotated)", async () => {
    const client = clientFor(ctx.server, 'spa');
    const token = await firstRefreshToken(ctx.server, client);
    const res = await client.refreshToken(token);
    await expectContract(res, { status: 200 });
    expect(typeof res.body.refresh_token).toBe('string');
    expect(res.body.refresh_token).not.toBe(token);
  });
});

describe('bound to its client, its scope, its lifetime (RFC 6749 §6)', () => {
  const ctx = serverWithClock({ refreshTokens: { lifetimeSeconds: 100 } });

  it("another client's refresh token → invalid_grant, and it still works for its own client", async () => {
    const token = await firstRefreshToken(ctx.server, clientFor(ctx.server, 'spa'));
    for (const other of ['other-spa', 'web']) {
      const res = await clientFor(ctx.server, other).refreshToken(token);
      await expectError(res, 'invalid_grant');
      expect(res.body.error_description).toBe('refresh token was issued to another client (RFC 6749 6)');
    }
    await expectContract(await clientFor(ctx.server, 'spa').refreshToken(token), { status: 200 });
  });

  it('scope may narrow (for the access token; the refresh token keeps the grant) and never widen', async () => {
    const client = clientFor(ctx.server, 'spa');
    const token = await firstRefreshToken(ctx.server, client, 'spa', 'read');
    const widen = await client.refreshToken(token, { scope: 'read write' });
    await expectError(widen, 'invalid_scope');
    expect(widen.body.error_description).toBe("scope 'write' was not granted to this refresh token; a refresh may narrow the scope, never widen it (RFC 6749 6)");

    const full = await firstRefreshToken(ctx.server, client, 'spa', 'read write');
    const narrowed = await client.refreshToken(full, { scope: 'read' });
    await expectContract(narrowed, { status: 200, scope: 'read' });
    // RFC 6749 §6: the new refresh token has the scope of the old one, so the next refresh may have write again.
    await expectContract(await client.refreshToken(narrowed.body.refresh_token as string), { status: 200, scope: 'read write' });
  });

  it('a refresh token lives refreshTokens.lifetimeSeconds from its issue', async () => {
    const client = clientFor(ctx.server, 'spa');
    const token = await firstRefreshToken(ctx.server, client);
    ctx.advance(100_000);
    const res = await client.refreshToken(token);
    await expectError(res, 'invalid_grant');
    expect(res.body.error_description).toBe('unknown or expired refresh token');
  });

  it('no refresh_token → invalid_request; an unknown one → invalid_grant; in the query string → invalid_request', async () => {
    const client = clientFor(ctx.server, 'spa');
    const missing = await client.refreshToken('x', { params: { refresh_token: null } });
    expect([missing.body.error, missing.body.error_description]).toEqual(['invalid_request', 'missing refresh_token']);
    await expectError(await client.refreshToken('y'.repeat(43)), 'invalid_grant');
    const inQuery = await client.raw().post('/oauth/token?refresh_token=abc').type('form').send({ grant_type: 'refresh_token', client_id: 'spa' });
    expect(inQuery.body.error_description).toBe('refresh_token must be sent in the request body, not the query string');
  });
});

describe('DPoP binding (RFC 9449 §5)', () => {
  const ctx = serverWithClock();

  it("a public client's refresh token is bound to its key: without a proof or with another key refused, with it accepted, and the successor still bound", async () => {
    const key = await generateDpopKey();
    const client = clientFor(ctx.server, 'spa', { dpop: key });
    const token = await firstRefreshToken(ctx.server, client);
    const bare = await clientFor(ctx.server, 'spa').refreshToken(token);
    await expectError(bare, 'invalid_grant');
    expect(bare.body.error_description).toBe('refresh token is bound to a DPoP key: send a DPoP proof signed with it (RFC 9449 5)');
    const other = await clientFor(ctx.server, 'spa', { dpop: true }).refreshToken(token);
    expect([other.body.error, other.body.error_description]).toEqual(['invalid_grant', 'refresh token is bound to another DPoP key (RFC 9449 5)']);
    const res = await client.refreshToken(token);
    await expectContract(res, { status: 200, tokenType: 'DPoP' });
    expect(res.body.cnf).toEqual({ jkt: await jwkThumbprint(key) });
    await expectError(await clientFor(ctx.server, 'spa', { dpop: true }).refreshToken(res.body.refresh_token as string), 'invalid_grant');
    await expectContract(await client.refreshToken(res.body.refresh_token as string), { status: 200, tokenType: 'DPoP' });
  });

  it('a refused proof-less attempt is not a use: the bound token is not rotated or revoked by it', async () => {
    const key = await generateDpopKey();
    const client = clientFor(ctx.server, 'spa', { dpop: key });
    const token = await firstRefreshToken(ctx.server, client);
    await expectError(await clientFor(ctx.server, 'spa').refreshToken(token), 'invalid_grant');
    ctx.advance(120_000);
    await expectContract(await client.refreshToken(token), { status: 200 });
  });

  it("a confidential client's refresh token is not bound to a key (it authenticates): any proof, or none", async () => {
    const key = await generateDpopKey();
    const client = clientFor(ctx.server, 'web', { dpop: key });
    const token = await firstRefreshToken(ctx.server, client, 'web');
    const otherKey = await generateDpopKey();
    const rebound = await clientFor(ctx.server, 'web', { dpop: otherKey }).refreshToken(token);
    await expectContract(rebound, { status: 200, tokenType: 'DPoP' });
    expect(rebound.body.cnf).toEqual({ jkt: await jwkThumbprint(otherKey) });
    await expectContract(await clientFor(ctx.server, 'web').refreshToken(rebound.body.refresh_token as string), { status: 200, tokenType: 'Bearer' });
  });
});

describe('the refresh-token store is bounded', () => {
  const ctx = serverWithClock({ grantStoreSize: 2, refreshTokens: { lifetimeSeconds: 30 } });

  it('a rotation into a full store: 503 temporarily_unavailable, the old token left as it was', async () => {
    const client = clientFor(ctx.server, 'spa');
    const token = await firstRefreshToken(ctx.server, client);
    // The store holds 2: this token and, after one rotation, its successor (the retired one stays to catch reuse).
    const next = (await client.refreshToken(token)).body.refresh_token as string;
    const busy = await client.refreshToken(next);
    expect([busy.status, busy.body.error, busy.headers['retry-after']]).toEqual([503, 'temporarily_unavailable', '30']);
    // Not rotated by the refusal: a retry is no reuse, it meets the same full store.
    expect((await client.refreshToken(next)).status).toBe(503);
    ctx.advance(30_000);
    // Both expired with the clock: the store is free, the tokens unknown.
    await expectError(await client.refreshToken(next), 'invalid_grant');
  });
});
