/**
 * Configuration of the authorization_code and refresh_token grants (public
 * clients, redirect URIs, lifetimes, rotation, grace, store size) and the
 * bounded store behind codes and refresh tokens.
 */
import { describe, expect, it } from '@jest/globals';
import { ServerConfigError } from '../../src/errors';
import { ExpiringStore, newOpaqueToken } from '../../src/server/expiring-store';
import { resolveServerConfig, type ReferenceClientConfig } from '../../src/server/config';
import { parseServerConfig } from '../../src/server/config-file';

const CB = 'http://127.0.0.1/cb';

async function problem(clients: ReferenceClientConfig[] | unknown): Promise<string> {
  const error = await resolveServerConfig({ clients: clients as ReferenceClientConfig[] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServerConfigError);
  return (error as Error).message;
}

describe('client registration for authorization_code', () => {
  it.each<[string, unknown, string]>([
    ['none combined with another method', [{ id: 'a', secret: 's', authMethods: ['none', 'client_secret_basic'], redirectUris: [CB] }], 'clients[0].authMethods: "none" (a public client) cannot be combined with another method (RFC 6749 2.1)'],
    ['a public client with a secret', [{ id: 'a', secret: 's', authMethods: ['none'], redirectUris: [CB] }], 'clients[0]: a public client ("none") has no secret or jwks (RFC 6749 2.1)'],
    ['a public client with client_credentials', [{ id: 'a', authMethods: ['none'], grantTypes: ['client_credentials'], redirectUris: [CB] }], 'clients[0].grantTypes: a public client ("none") cannot use client_credentials (RFC 6749 4.4)'],
    ['authorization_code without a redirect URI', [{ id: 'a', authMethods: ['none'] }], 'clients[0].redirectUris must list at least one URI for authorization_code (RFC 6749 3.1.2.2)'],
    ['a redirect URI with a fragment', [{ id: 'a', authMethods: ['none'], redirectUris: ['http://127.0.0.1/cb#x'] }], 'clients[0].redirectUris[0] must not have a fragment (RFC 6749 3.1.2)'],
    ['a relative redirect URI', [{ id: 'a', authMethods: ['none'], redirectUris: ['/cb'] }], 'config: clients[0].redirectUris[0] must be an absolute URI'], // values under clients are never quoted,
  ])('refuses %s', async (_, clients, message) => {
    expect(await problem(clients)).toBe(message);
  });

  it('a public client defaults to authorization_code and refresh_token; a confidential one keeps client_credentials', async () => {
    const config = await resolveServerConfig({ clients: [{ id: 'p', authMethods: ['none'], redirectUris: [CB] }, { id: 'c', secret: 's', authMethods: ['client_secret_basic'] }] });
    expect([...config.clients.get('p')!.grantTypes]).toEqual(['authorization_code', 'refresh_token']);
    expect(config.clients.get('p')!.isPublic).toBe(true);
    expect([...config.clients.get('c')!.grantTypes]).toEqual(['client_credentials']);
    expect(config.clients.get('c')!.isPublic).toBe(false);
  });

  it('grant settings from a file, checked by the schema', async () => {
    const config = parseServerConfig(JSON.stringify({ codeLifetimeSeconds: 30, refreshTokens: { rotate: false, graceSeconds: 0, lifetimeSeconds: 3600 }, grantStoreSize: 5, demoUser: 'alice' }), 'c.json');
    expect(await resolveServerConfig({ ...config, clients: [] })).toMatchObject({
      codeLifetimeSeconds: 30,
      refreshTokenRotation: false,
      refreshTokenGraceSeconds: 0,
      refreshTokenLifetimeSeconds: 3600,
      grantStoreSize: 5,
      demoUser: 'alice',
    });
    expect(() => parseServerConfig('{"codeLifetimeSeconds": 601}', 'c.json')).toThrow('c.json: codeLifetimeSeconds must be a whole number from 1 to 600 (got 601)');
    expect(() => parseServerConfig('{"refreshTokens": {"grace": 5}}', 'c.json')).toThrow('c.json: refreshTokens: unknown member "grace"');
    expect(() => parseServerConfig('{"grantStoreSize": 0}', 'c.json')).toThrow('c.json: grantStoreSize must be a whole number from 1 to 10000000 (got 0)');
  });
});

describe('ExpiringStore (codes, refresh tokens)', () => {
  it('keeps entries until they expire, refuses when full instead of evicting, frees up in expiry order', () => {
    let now = 1_000_000;
    const store = new ExpiringStore<string>(2, () => now);
    expect(store.set('a', 'A', now + 10_000)).toBe('stored');
    expect(store.set('b', 'B', now + 5_000)).toBe('stored');
    expect(store.hasRoom()).toBe(false);
    expect(store.set('c', 'C', now + 1_000)).toBe('full');
    expect([store.get('a'), store.get('b'), store.get('c')]).toEqual(['A', 'B', undefined]);
    expect(store.retryAfterSeconds()).toBe(5);
    now += 5_000;
    expect(store.get('b')).toBeUndefined();
    expect(store.set('c', 'C', now + 1_000)).toBe('stored');
    expect(store.size).toBe(2);
    // A key already present is never overwritten.
    expect(store.set('a', 'other', now + 1_000)).toBe('full');
    expect(store.get('a')).toBe('A');
  });

  it('opaque tokens are 256-bit base64url strings', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => newOpaqueToken()));
    expect(tokens.size).toBe(100);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
