/**
 * The reference server's test-only /authorize (RFC 6749 §4.1.1, §4.1.2,
 * §4.1.2.1): the rules a code must pass before it exists (registered
 * client, exact redirect URI, PKCE S256 only, a permitted scope, a
 * well-formed dpop_jkt), each with the request that breaks it.
 */
import { describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { createPkcePair } from '../../src/harness';
import { useReferenceServer } from './support';

const CB = 'http://127.0.0.1/cb';
const CB2 = 'http://127.0.0.1/cb2';
const WITH_QUERY = 'https://app.example/cb?tenant=1';

const ctx = useReferenceServer({
  clients: [
    { id: 'spa', authMethods: ['none'], scopes: ['read', 'write'], redirectUris: [CB, CB2] },
    { id: 'spa-one', authMethods: ['none'], scopes: ['read'], redirectUris: [CB] },
    { id: 'web', secret: 'web-secret', authMethods: ['client_secret_basic'], scopes: ['read'], grantTypes: ['authorization_code'], redirectUris: [WITH_QUERY] },
    // Registered redirect URI, but no authorization_code grant.
    { id: 'cc-only', secret: 'cc-secret', authMethods: ['client_secret_basic'], scopes: ['read'], redirectUris: [CB] },
    { id: 'cc-no-redirect', secret: 'cc-secret', authMethods: ['client_secret_basic'], scopes: ['read'] },
  ],
});

const pkce = createPkcePair();

function query(params: Record<string, string | undefined>): string {
  const defaults: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: 'spa',
    redirect_uri: CB,
    code_challenge: pkce.codeChallenge,
    code_challenge_method: 'S256',
    state: 'st-1',
  };
  const merged = { ...defaults, ...params };
  return new URLSearchParams(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
}

const authorize = (params: Record<string, string | undefined> = {}) => supertest(ctx.server.url).get(`/authorize?${query(params)}`).redirects(0);

/** The redirect's URI without query, and its query parameters. */
function redirectOf(res: supertest.Response): { base: string; params: Record<string, string> } {
  expect(res.status).toBe(302);
  const location = res.headers.location as string;
  const [base = '', search = ''] = location.split('?');
  return { base, params: Object.fromEntries(new URLSearchParams(search)) };
}

describe('GET /authorize: success (RFC 6749 §4.1.2)', () => {
  it('302 to the redirect URI with an opaque code and the state unchanged, no-store', async () => {
    const res = await authorize({ state: 'a b&c=d/é' });
    const { base, params } = redirectOf(res);
    expect(base).toBe(CB);
    expect(Object.keys(params).sort()).toEqual(['code', 'state']);
    expect(params.state).toBe('a b&c=d/é');
    expect(params.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('keeps the query of a registered redirect URI (RFC 6749 §3.1.2) and appends code and state', async () => {
    const res = await authorize({ client_id: 'web', redirect_uri: WITH_QUERY });
    expect(res.headers.location).toMatch(/^https:\/\/app\.example\/cb\?tenant=1&code=[A-Za-z0-9_-]{43}&state=st-1$/);
  });

  it('without redirect_uri: the only registered one is used (RFC 6749 §3.1.2.3); with several registered it is required', async () => {
    expect(redirectOf(await authorize({ client_id: 'spa-one', redirect_uri: undefined, scope: 'read' })).base).toBe(CB);
    const several = await authorize({ redirect_uri: undefined });
    expect(several.status).toBe(400);
    expect(several.headers.location).toBeUndefined();
    expect(several.body).toEqual({ error: 'invalid_request', error_description: 'missing redirect_uri: the client has several registered (RFC 6749 3.1.2.3)' });
  });

  it('without state, the redirect carries none', async () => {
    expect(Object.keys(redirectOf(await authorize({ state: undefined })).params)).toEqual(['code']);
  });

  it('each request gets its own code', async () => {
    const a = redirectOf(await authorize()).params.code;
    const b = redirectOf(await authorize()).params.code;
    expect(a).not.toBe(b);
  });
});

describe('GET /authorize: no trusted redirect URI → 400 here, never a redirect (RFC 6749 §4.1.2.1)', () => {
  it.each([
    ['a near miss: trailing slash', { redirect_uri: `${CB}/` }, 'redirect_uri is not registered for this client (exact match, RFC 6749 3.1.2.3)'],
    ['a near miss: other port', { redirect_uri: 'http://127.0.0.1:8080/cb' }, 'redirect_uri is not registered for this client (exact match, RFC 6749 3.1.2.3)'],
    ['a near miss: upper case', { redirect_uri: 'http://127.0.0.1/CB' }, 'redirect_uri is not registered for this client (exact match, RFC 6749 3.1.2.3)'],
    ['a near miss: added query', { redirect_uri: `${CB}?x=1` }, 'redirect_uri is not registered for this client (exact match, RFC 6749 3.1.2.3)'],
    ["another client's URI", { client_id: 'spa-one', redirect_uri: CB2 }, 'redirect_uri is not registered for this client (exact match, RFC 6749 3.1.2.3)'],
    ['an unknown client', { client_id: 'nobody' }, 'unknown client_id'],
    ['no client_id', { client_id: undefined }, 'missing client_id'],
    ['a client without redirect URIs', { client_id: 'cc-no-redirect', redirect_uri: undefined }, 'the client has no registered redirect_uri'],
  ])('%s', async (_, params, description) => {
    const res = await authorize(params);
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toEqual({ error: 'invalid_request', error_description: description });
  });

  it('a repeated client_id or redirect_uri → 400 (RFC 6749 §3.1)', async () => {
    for (const name of ['client_id', 'redirect_uri']) {
      const res = await supertest(ctx.server.url).get(`/authorize?${query({})}&${name}=${encodeURIComponent(name === 'client_id' ? 'spa' : CB)}`).redirects(0);
      expect([res.status, res.body.error_description]).toEqual([400, `${name} is included more than once`]);
    }
  });

  it('POST → 405, Allow: GET', async () => {
    const res = await supertest(ctx.server.url).post('/authorize').type('form').send(query({}));
    expect([res.status, res.headers.allow, res.body.error]).toEqual([405, 'GET', 'invalid_request']);
  });
});

describe('GET /authorize: errors sent to the redirect URI with state (RFC 6749 §4.1.2.1)', () => {
  it.each<[string, Record<string, string | undefined>, string, RegExp]>([
    // RFC 7636 §4.4.1, RFC 9700 §2.1.1: PKCE required, S256 only, so a code without a challenge is never issued.
    ['plain refused', { code_challenge_method: 'plain', code_challenge: pkce.codeVerifier }, 'invalid_request', /^code_challenge_method plain is not supported: use S256/],
    ['no method means plain (RFC 7636 §4.3): refused', { code_challenge_method: undefined }, 'invalid_request', /^code_challenge_method required: without it the method is plain/],
    ['an unknown method', { code_challenge_method: 'S512' }, 'invalid_request', /^unsupported code_challenge_method 'S512'/],
    ['no code_challenge', { code_challenge: undefined }, 'invalid_request', /^code_challenge required: this server requires PKCE/],
    ['a malformed challenge', { code_challenge: 'short' }, 'invalid_request', /^code_challenge must be 43 base64url characters/],
    ['no response_type', { response_type: undefined }, 'invalid_request', /^missing response_type$/],
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type', /^unsupported response_type 'token': only code$/],
    ['a client not registered for authorization_code', { client_id: 'cc-only' }, 'unauthorized_client', /^client is not authorized to use the authorization_code grant$/],
    ['a scope the client may not have', { scope: 'admin' }, 'invalid_scope', /^scope 'admin' is not permitted for this client$/],
    ['a malformed dpop_jkt (RFC 9449 §10)', { dpop_jkt: 'not-a-thumbprint' }, 'invalid_request', /^dpop_jkt must be a JWK SHA-256 thumbprint/],
  ])('%s', async (_, params, error, description) => {
    const { base, params: answer } = redirectOf(await authorize({ ...params, state: 'keep-me' }));
    expect(base).toBe(CB);
    expect(answer.error).toBe(error);
    expect(answer.error_description).toMatch(description);
    expect(answer.state).toBe('keep-me');
    expect(answer).not.toHaveProperty('code');
  });

  it('a repeated parameter other than client_id and redirect_uri → invalid_request at the redirect URI', async () => {
    const res = await supertest(ctx.server.url).get(`/authorize?${query({})}&scope=read&scope=write`).redirects(0);
    expect(redirectOf(res).params).toMatchObject({ error: 'invalid_request', error_description: "parameter 'scope' is included more than once (RFC 6749 3.1)", state: 'st-1' });
  });
});

describe('GET /authorize: the code store is bounded (like the replay caches)', () => {
  let clock = Date.now();
  const small = useReferenceServer({ grantStoreSize: 2, codeLifetimeSeconds: 30, clock: () => clock, clients: [{ id: 'spa', authMethods: ['none'], scopes: ['read'], redirectUris: [CB] }] });

  it('full of live codes: temporarily_unavailable at the redirect URI; frees up as codes expire', async () => {
    const get = () => supertest(small.server.url).get(`/authorize?${query({ scope: 'read' })}`).redirects(0);
    expect(redirectOf(await get()).params).toHaveProperty('code');
    expect(redirectOf(await get()).params).toHaveProperty('code');
    expect(redirectOf(await get()).params).toMatchObject({ error: 'temporarily_unavailable', error_description: 'authorization code store full; retry later', state: 'st-1' });
    clock += 30_000;
    expect(redirectOf(await get()).params).toHaveProperty('code');
  });
});

describe('RFC 8414 metadata', () => {
  it('advertises the authorization endpoint, the code response type, S256 only, the grants and none', async () => {
    const res = await supertest(ctx.server.url).get('/.well-known/oauth-authorization-server');
    expect(res.body).toMatchObject({
      authorization_endpoint: ctx.server.authorizationEndpoint,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'],
    });
    expect(res.body.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'none']));
    expect(ctx.server.authorizationEndpoint).toBe(`${ctx.server.url}/authorize`);
  });

  const ccOnly = useReferenceServer({ clients: [{ id: 'a', secret: 's', authMethods: ['client_secret_basic'] }] });
  it('a server whose clients all use client_credentials describes itself as before', async () => {
    const res = await supertest(ccOnly.server.url).get('/.well-known/oauth-authorization-server');
    expect(res.body.grant_types_supported).toEqual(['client_credentials']);
    expect(res.body.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic']);
    for (const member of ['authorization_endpoint', 'code_challenge_methods_supported']) expect(res.body).not.toHaveProperty(member);
    // RFC 8414 §2: response_types_supported is REQUIRED, empty without an authorization endpoint.
    expect(res.body.response_types_supported).toEqual([]);
  });
});
