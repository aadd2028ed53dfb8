/**
 * Interop for the lifecycle grants: codes minted by the oidc-provider peer
 * (test/peers: a Grant and an AuthorizationCode saved through the
 * provider's models, no browser) redeem through the harness's
 * authorizationCode() to a token and a refresh token, and refreshToken()
 * rotates them. Every refusal is proven by the reason the provider logged.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeAccessToken, generateDpopKey, jwkThumbprint, tokenEndpoint, type DpopKey, type HarnessResponse } from '../../src/harness';
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

const codeClient = () => tokenEndpoint(peer.tokenEndpoint, { client: { id: peer.clients.code.id, secret: peer.clients.code.secret, auth: 'client_secret_basic' } });
const spaClient = (dpop?: DpopKey) => tokenEndpoint(peer.tokenEndpoint, { client: { id: peer.clients.spa.id, auth: 'none' }, ...(dpop ? { dpop } : {}) });

function expectTokens(res: HarnessResponse, tokenType: 'Bearer' | 'DPoP', scope: string): void {
  expect({ status: res.status, error: res.body.error }).toEqual({ status: 200, error: undefined });
  expect(res.body).toMatchObject({ token_type: tokenType, scope });
  expect(typeof res.body.access_token).toBe('string');
  expect(typeof res.body.refresh_token).toBe('string');
}

/**
 * Sends a request the provider must refuse with `error`, and returns the reason it logged: the hidden
 * `detail` behind the generic invalid_grant description, else (detail=undefined) the description itself.
 */
async function refusal(send: () => PromiseLike<HarnessResponse>, error = 'invalid_grant'): Promise<string> {
  const since = peer.errorLog.length;
  const res = await send();
  expect({ status: res.status, error: res.body.error, token: res.body.access_token }).toEqual({ status: 400, error, token: undefined });
  const line = await peer.nextError(since, `error: '${error}'`);
  const detail = /detail=(.*)$/.exec(line)?.[1];
  return detail !== undefined && detail !== 'undefined' ? detail : String(res.body.error_description);
}

describe('issueCode', () => {
  test('gives a CodeSource answer: a code, a 43-character verifier, the registered redirect URI, the granted scope', async () => {
    const issued = await peer.issueCode({ clientId: peer.clients.code.id, scope: 'read' });
    expect(issued).toEqual({ code: expect.any(String), codeVerifier: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), redirectUri: 'http://127.0.0.1/callback', scope: 'read' });
    expect(issued.redirectUri).toBe(peer.clients.code.redirectUri);
    const again = await peer.issueCode({ clientId: peer.clients.code.id, scope: 'read' });
    expect([again.code, again.codeVerifier]).not.toEqual([issued.code, issued.codeVerifier]);
  });

  test('without a scope grants the client\'s registered scope; scopes the client may not have are left out', async () => {
    expect((await peer.issueCode({ clientId: peer.clients.code.id })).scope).toBe('read write');
    expect((await peer.issueCode({ clientId: peer.clients.code.id, scope: 'read admin' })).scope).toBe('read');
  });

  test('an unknown client is an error from the control path, not a code', async () => {
    await expect(peer.issueCode({ clientId: 'nobody' })).rejects.toThrow('oidc-provider peer: no client "nobody"');
  });
});

describe('authorization_code + refresh_token with the confidential code-client (client_secret_basic)', () => {
  test('a minted code redeems to a Bearer token and a refresh token; a refresh rotates it', async () => {
    const client = codeClient();
    const res = await client.authorizationCode(await peer.issueCode({ clientId: peer.clients.code.id, scope: 'read write' }));
    expectTokens(res, 'Bearer', 'read write');
    expect(decodeAccessToken(res.body.access_token)).toMatchObject({ client_id: peer.clients.code.id, sub: 'peer-user', scope: 'read write' });

    const refreshed = await client.refreshToken(res.body.refresh_token as string);
    expectTokens(refreshed, 'Bearer', 'read write');
    expect(refreshed.body.refresh_token).not.toBe(res.body.refresh_token);
    // The successor refreshes too, and rotates again.
    const next = await client.refreshToken(refreshed.body.refresh_token as string);
    expectTokens(next, 'Bearer', 'read write');
    expect(next.body.refresh_token).not.toBe(refreshed.body.refresh_token);
  });

  test('a narrower scope on refresh gives a narrower token; the refresh token keeps its scope', async () => {
    const client = codeClient();
    const res = await client.authorizationCode(await peer.issueCode({ clientId: peer.clients.code.id, scope: 'read write' }));
    const narrow = await client.refreshToken(res.body.refresh_token as string, { scope: 'read' });
    expectTokens(narrow, 'Bearer', 'read');
    expectTokens(await client.refreshToken(narrow.body.refresh_token as string), 'Bearer', 'read write');
  });

  test('a wider scope on refresh is invalid_scope', async () => {
    const client = codeClient();
    const res = await client.authorizationCode(await peer.issueCode({ clientId: peer.clients.code.id, scope: 'read' }));
    expect(await refusal(() => client.refreshToken(res.body.refresh_token as string, { scope: 'read write' }), 'invalid_scope')).toBe('refresh token missing requested scope');
  });

  test('a retired refresh token is refused ("already used") and takes its successor along (the grant and its tokens are revoked)', async () => {
    const client = codeClient();
    const res = await client.authorizationCode(await peer.issueCode({ clientId: peer.clients.code.id }));
    const refreshed = await client.refreshToken(res.body.refresh_token as string).expect(200);
    expect(await refusal(() => client.refreshToken(res.body.refresh_token as string))).toBe('refresh token already used');
    expect(await refusal(() => client.refreshToken(refreshed.body.refresh_token as string))).toBe('refresh token not found');
  });

  test('a code redeems once; the second redemption is refused and revokes what the first issued', async () => {
    const client = codeClient();
    const issued = await peer.issueCode({ clientId: peer.clients.code.id });
    const res = await client.authorizationCode(issued).expect(200);
    expect(await refusal(() => client.authorizationCode(issued))).toBe('authorization code already consumed');
    expect(await refusal(() => client.refreshToken(res.body.refresh_token as string))).toBe('refresh token not found');
  });

  test.each([
    ['wrong-code-verifier', 'code_verifier does not match code_challenge'],
    ['no-code-verifier', 'code_verifier must be provided'],
    ['other-redirect-uri', 'authorization code redirect_uri mismatch'],
  ] as const)('break %s is refused (%s), and the same code then redeems', async (name, reason) => {
    const client = codeClient();
    const issued = await peer.issueCode({ clientId: peer.clients.code.id });
    expect(await refusal(() => client.authorizationCode({ ...issued, break: name }))).toBe(reason);
    await client.authorizationCode(issued).expect(200);
  });

  test('redirect_uri omitted: accepted, oidc-provider fills in the single registered one (allowOmittingSingleRegisteredRedirectUri, on by default)', async () => {
    const res = await codeClient().authorizationCode({ ...(await peer.issueCode({ clientId: peer.clients.code.id })), break: 'no-redirect-uri' });
    expectTokens(res, 'Bearer', 'read write');
  });

  test('another client\'s code is refused ("client mismatch")', async () => {
    const issued = await peer.issueCode({ clientId: peer.clients.spa.id });
    expect(await refusal(() => codeClient().authorizationCode(issued))).toBe('client mismatch');
  });
});

describe('authorization_code + refresh_token with the public spa-client (none)', () => {
  test('with DPoP: a DPoP token bound to the key, and a refresh token only that key can use', async () => {
    const client = spaClient(key);
    const res = await client.authorizationCode(await peer.issueCode({ clientId: peer.clients.spa.id }));
    expectTokens(res, 'DPoP', 'read write');
    expect(decodeAccessToken(res.body.access_token)?.cnf).toEqual({ jkt: await jwkThumbprint(key) });
    const token = res.body.refresh_token as string;
    expect(await refusal(() => client.refreshToken(token, { dpop: false }))).toBe('failed jkt verification');
    expect(await refusal(() => client.refreshToken(token, { dpop: otherKey }))).toBe('failed jkt verification');
    const refreshed = await client.refreshToken(token);
    expectTokens(refreshed, 'DPoP', 'read write');
    expect(refreshed.body.refresh_token).not.toBe(token);
  });

  test('without DPoP: a Bearer token and a refresh token that rotates', async () => {
    const client = spaClient();
    const res = await client.authorizationCode(await peer.issueCode({ clientId: peer.clients.spa.id, scope: 'read' }));
    expectTokens(res, 'Bearer', 'read');
    const refreshed = await client.refreshToken(res.body.refresh_token as string);
    expectTokens(refreshed, 'Bearer', 'read');
    expect(refreshed.body.refresh_token).not.toBe(res.body.refresh_token);
  });

  test('a code bound to a DPoP key (dpopJkt) redeems only with proofs of that key; a refused attempt burns the code', async () => {
    const bound = () => jwkThumbprint(key).then((dpopJkt) => peer.issueCode({ clientId: peer.clients.spa.id, dpopJkt }));
    const issued = await bound();
    expect(await refusal(() => spaClient(otherKey).authorizationCode(issued))).toBe('DPoP proof key thumbprint does not match dpop_jkt');
    // oidc-provider consumes the code before it compares the key (grants/authorization_code.js, then issueTokens).
    expect(await refusal(() => spaClient(key).authorizationCode(issued))).toBe('authorization code already consumed');
    expect(await refusal(async () => spaClient().authorizationCode(await bound()))).toBe('missing DPoP proof JWT');
    expectTokens(await spaClient(key).authorizationCode(await bound()), 'DPoP', 'read write');
  });
});

describe('codes expire', () => {
  let shortLived: OidcProviderPeer;
  beforeAll(async () => {
    shortLived = await startOidcProvider({ codeLifetimeSeconds: 1 });
  });
  afterAll(async () => {
    await shortLived?.stop();
  });

  test('a code past codeLifetimeSeconds is refused ("authorization code is expired")', async () => {
    const issued = await shortLived.issueCode({ clientId: shortLived.clients.code.id });
    const client = tokenEndpoint(shortLived.tokenEndpoint, { client: { ...shortLived.clients.code, auth: 'client_secret_basic' } });
    // Expiry is the one wait that has to be time: until the second after the code's exp (iat + 1, in whole seconds; this exp is at or after it).
    const exp = Math.floor(Date.now() / 1000) + 1;
    await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, (exp + 1) * 1000 - Date.now())));
    const since = shortLived.errorLog.length;
    const res = await client.authorizationCode(issued);
    expect([res.status, res.body.error]).toEqual([400, 'invalid_grant']);
    expect(await shortLived.nextError(since, 'invalid_grant')).toMatch(/detail=authorization code is expired$/);
  });
});
