/**
 * The harness's authorization_code and refresh_token requests: against the
 * reference server with every client-authentication method, with and
 * without DPoP (and its nonce retry), each `break` and the per-request
 * `client` changing exactly one thing of the request (seen on a capturing
 * endpoint) and the server refusing for that reason; PKCE helpers;
 * `authorizeWithReferenceServer`; secrets kept out of failures.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import {
  AUTHORIZATION_CODE_BREAKS,
  authorizeWithReferenceServer,
  createCodeVerifier,
  createPkcePair,
  generateDpopKey,
  HarnessError,
  InvalidArgumentError,
  jwkThumbprint,
  s256Challenge,
  tokenEndpoint,
  type AuthorizationResult,
  type ClientOptions,
} from '../../src/harness';
import { createReferenceServer, type ReferenceServer } from '../../src/server';

const CB = 'http://127.0.0.1/cb';
let server: ReferenceServer;
let nonceServer: ReferenceServer;
let jwtKey: JWK;
const SCOPES = ['read', 'write'];

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  jwtKey = { ...(await exportJWK(privateKey)), alg: 'ES256' };
  const grants = ['authorization_code', 'refresh_token'];
  const clients = [
    { id: 'spa', authMethods: ['none' as const], scopes: SCOPES, redirectUris: [CB] },
    { id: 'other-spa', authMethods: ['none' as const], scopes: SCOPES, redirectUris: [CB] },
    { id: 'code-basic', secret: 'basic-secret-1', authMethods: ['client_secret_basic' as const], scopes: SCOPES, grantTypes: grants, redirectUris: [CB] },
    { id: 'code-post', secret: 'post-secret-1', authMethods: ['client_secret_post' as const], scopes: SCOPES, grantTypes: grants, redirectUris: [CB] },
    { id: 'code-jwt', authMethods: ['private_key_jwt' as const], jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] }, scopes: SCOPES, grantTypes: grants, redirectUris: [CB] },
  ];
  server = await createReferenceServer({ clients });
  nonceServer = await createReferenceServer({ clients, dpop: { requireNonce: true } });
});
afterAll(async () => {
  await server?.close();
  await nonceServer?.close();
});

const CLIENTS: Record<string, () => ClientOptions> = {
  none: () => ({ id: 'spa', auth: 'none' }),
  client_secret_basic: () => ({ id: 'code-basic', auth: 'client_secret_basic', secret: 'basic-secret-1' }),
  client_secret_post: () => ({ id: 'code-post', auth: 'client_secret_post', secret: 'post-secret-1' }),
  private_key_jwt: () => ({ id: 'code-jwt', auth: 'private_key_jwt', privateKey: jwtKey }),
};

const authorize = (target: ReferenceServer, clientId: string, extra: { dpopKey?: Parameters<typeof authorizeWithReferenceServer>[1]['dpopKey'] } = {}) =>
  authorizeWithReferenceServer(target, { clientId, redirectUri: CB, scope: 'read write', ...extra });

describe('PKCE helpers (RFC 7636)', () => {
  it('s256Challenge matches the RFC 7636 Appendix B example', () => {
    expect(s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('createPkcePair: a 43-character unreserved verifier, its S256 challenge, method S256; a new pair each time', () => {
    const pair = createPkcePair();
    expect(pair.codeVerifier).toMatch(/^[A-Za-z0-9\-._~]{43}$/);
    expect(pair).toEqual({ codeVerifier: pair.codeVerifier, codeChallenge: s256Challenge(pair.codeVerifier), codeChallengeMethod: 'S256' });
    expect(createPkcePair().codeVerifier).not.toBe(pair.codeVerifier);
  });

  it('createCodeVerifier: 32 to 96 random bytes, 43 to 128 characters (RFC 7636 §4.1)', () => {
    expect(createCodeVerifier(96)).toHaveLength(128);
    expect(() => createCodeVerifier(31)).toThrow(InvalidArgumentError);
    expect(() => createCodeVerifier(97)).toThrow(InvalidArgumentError);
  });
});

describe.each(Object.keys(CLIENTS))('authorizationCode and refreshToken with %s', (method) => {
  it.each([false, true])('dpop %s: code → tokens → rotated refresh', async (dpop) => {
    const key = dpop ? await generateDpopKey() : undefined;
    const client = tokenEndpoint(server.tokenEndpoint, { client: CLIENTS[method]!(), ...(key ? { dpop: key } : {}) });
    const grant = await authorize(server, CLIENTS[method]!().id);
    const res = await client.authorizationCode(grant).expect(200);
    expect(res.body).toMatchObject({ token_type: dpop ? 'DPoP' : 'Bearer', scope: 'read write' });
    if (key) expect(res.body.cnf).toEqual({ jkt: await jwkThumbprint(key) });
    const refreshed = await client.refreshToken(res.body.refresh_token as string, { scope: 'read' }).expect(200);
    expect(refreshed.body).toMatchObject({ token_type: dpop ? 'DPoP' : 'Bearer', scope: 'read' });
    expect(refreshed.body.refresh_token).not.toBe(res.body.refresh_token);
  });
});

describe('DPoP nonces (RFC 9449 §8) on the new grants', () => {
  it('authorizationCode retries once with the server nonce, the code still good; refreshToken then needs no retry', async () => {
    const client = tokenEndpoint(nonceServer.tokenEndpoint, { client: CLIENTS.none!(), dpop: true });
    const res = await client.authorizationCode(await authorize(nonceServer, 'spa'));
    expect([res.status, res.exchange.attempts, res.body.token_type]).toEqual([200, 2, 'DPoP']);
    const refreshed = await client.refreshToken(res.body.refresh_token as string);
    expect([refreshed.status, refreshed.exchange.attempts]).toEqual([200, 1]);
  });
});

/** An endpoint that records each request body and refuses it. */
let captured: URLSearchParams[] = [];
let captureUrl: string;
const capture = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    captured.push(new URLSearchParams(body));
    res.writeHead(400, { 'content-type': 'application/json' });
    // Echoes the values sent, as a careless server might. Bare values, not name=value pairs (which are
    // redacted by name anyway): only the secrets the harness registered for the request can catch them.
    res.end(JSON.stringify({ error: 'invalid_request', error_description: `could not use ${[...new URLSearchParams(body).values()].join(' ')}` }));
  });
});
beforeAll(async () => {
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  captureUrl = `http://127.0.0.1:${(capture.address() as AddressInfo).port}/oauth/token`;
});
afterAll(async () => {
  capture.closeAllConnections();
  await new Promise((resolve) => capture.close(resolve));
});

/** The body the harness sends for `grant` with these options, as parameters. */
async function bodySent(options: Partial<Parameters<ReturnType<typeof tokenEndpoint>['authorizationCode']>[0]>, grant: AuthorizationResult): Promise<Record<string, string>> {
  captured = [];
  await tokenEndpoint(captureUrl, { client: CLIENTS.none!() }).authorizationCode({ ...grant, ...options });
  return Object.fromEntries(captured[0]!);
}

/** What differs between two bodies: [name, honest value, broken value]. */
function difference(honest: Record<string, string>, broken: Record<string, string>): Array<[string, string | undefined, string | undefined]> {
  return [...new Set([...Object.keys(honest), ...Object.keys(broken)])].filter((name) => honest[name] !== broken[name]).map((name) => [name, honest[name], broken[name]]);
}

describe('authorizationCode: each break changes one parameter, and the server refuses for that reason', () => {
  const EXPECTED: Record<(typeof AUTHORIZATION_CODE_BREAKS)[number], { param: string; removed: boolean; error: string; description: string }> = {
    'wrong-code-verifier': { param: 'code_verifier', removed: false, error: 'invalid_grant', description: 'code_verifier does not match the code_challenge (RFC 7636 4.6)' },
    'no-code-verifier': { param: 'code_verifier', removed: true, error: 'invalid_request', description: 'missing code_verifier: PKCE is required (RFC 7636 4.5)' },
    'other-redirect-uri': { param: 'redirect_uri', removed: false, error: 'invalid_grant', description: 'redirect_uri does not match the authorization request (RFC 6749 4.1.3)' },
    'no-redirect-uri': { param: 'redirect_uri', removed: true, error: 'invalid_request', description: 'missing redirect_uri: it was in the authorization request (RFC 6749 4.1.3)' },
  };

  it.each(AUTHORIZATION_CODE_BREAKS.map((name) => [name]))('%s', async (name) => {
    const expected = EXPECTED[name];
    const grant = await authorize(server, 'spa');
    const honest = await bodySent({}, grant);
    expect(honest).toEqual({ grant_type: 'authorization_code', code: grant.code, redirect_uri: CB, code_verifier: grant.codeVerifier, client_id: 'spa' });
    const changed = difference(honest, await bodySent({ break: name }, grant));
    expect(changed.map(([param]) => param)).toEqual([expected.param]);
    const [[, , brokenValue]] = changed as [[string, string, string | undefined]];
    if (expected.removed) expect(brokenValue).toBeUndefined();
    else if (expected.param === 'code_verifier') expect(brokenValue).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/); // well-formed, only not the right one
    else expect(brokenValue).toMatch(/^http:\/\/127\.0\.0\.1\//);

    const client = tokenEndpoint(server.tokenEndpoint, { client: CLIENTS.none!() });
    const refused = await client.authorizationCode({ ...grant, break: name });
    expect([refused.status, refused.body.error, refused.body.error_description]).toEqual([400, expected.error, expected.description]);
    // Nothing else was wrong: the same request unbroken redeems the (unconsumed) code.
    await client.authorizationCode(grant).expect(200);
  });

  it('client: another client changes only the authentication, and the server refuses the code as another client\'s', async () => {
    const grant = await authorize(server, 'spa');
    const honest = await bodySent({}, grant);
    expect(difference(honest, await bodySent({ client: { id: 'other-spa', auth: 'none' } }, grant))).toEqual([['client_id', 'spa', 'other-spa']]);
    const client = tokenEndpoint(server.tokenEndpoint, { client: CLIENTS.none!() });
    for (const other of [{ id: 'other-spa', auth: 'none' as const }, CLIENTS.client_secret_basic!(), CLIENTS.private_key_jwt!()]) {
      const refused = await client.authorizationCode({ ...grant, client: other });
      expect([refused.status, refused.body.error, refused.body.error_description]).toEqual([400, 'invalid_grant', 'authorization code was issued to another client (RFC 6749 4.1.3)']);
    }
    await client.authorizationCode(grant).expect(200);
  });

  it('a break that cannot apply is a usage error, as is a missing code or verifier', () => {
    const client = tokenEndpoint(server.tokenEndpoint, { client: CLIENTS.none!() });
    expect(() => client.authorizationCode({ code: 'c', codeVerifier: 'v', break: 'other-redirect-uri' })).toThrow('authorizationCode: break "other-redirect-uri" needs a redirectUri');
    expect(() => client.authorizationCode({ code: 'c', codeVerifier: 'v', break: 'bogus' as never })).toThrow(/authorizationCode: break must be one of wrong-code-verifier/);
    expect(() => client.authorizationCode({ code: '', codeVerifier: 'v' })).toThrow('authorizationCode: code must be a non-empty string');
    expect(() => client.authorizationCode({ code: 'c' } as never)).toThrow(/codeVerifier must be a non-empty string/);
    expect(() => client.authorizationCode({ code: 'c', codeVerifier: 'v', client: { id: 'x', auth: 'client_secret_post' } })).toThrow('authorizationCode: client.secret (a string) is required for client_secret_post');
    expect(() => client.refreshToken('')).toThrow('refreshToken: the refresh token must be a non-empty string');
    expect(() => client.refreshToken('t', { assertion: { omit: ['jti'] } })).toThrow(/refreshToken: assertion overrides need client.auth "private_key_jwt"/);
  });
});

describe('refreshToken: one change at a time', () => {
  it('the body is grant_type, refresh_token, scope when given, then client authentication', async () => {
    captured = [];
    await tokenEndpoint(captureUrl, { client: CLIENTS.client_secret_post!() }).refreshToken('rt-value-123', { scope: 'read' });
    expect([...captured[0]!]).toEqual([
      ['grant_type', 'refresh_token'],
      ['refresh_token', 'rt-value-123'],
      ['scope', 'read'],
      ['client_id', 'code-post'],
      ['client_secret', 'post-secret-1'],
    ]);
  });

  it('another client, a wider scope, another DPoP key: each refused for its reason; the token still works after', async () => {
    const key = await generateDpopKey();
    const client = tokenEndpoint(server.tokenEndpoint, { client: CLIENTS.none!(), dpop: key });
    const first = await client.authorizationCode(await authorizeWithReferenceServer(server, { clientId: 'spa', redirectUri: CB, scope: 'read' }));
    const token = first.body.refresh_token as string;
    const otherClient = await client.refreshToken(token, { client: { id: 'other-spa', auth: 'none' } });
    expect([otherClient.body.error, otherClient.body.error_description]).toEqual(['invalid_grant', 'refresh token was issued to another client (RFC 6749 6)']);
    const wider = await client.refreshToken(token, { scope: 'read write' });
    expect(wider.body.error).toBe('invalid_scope');
    const otherKey = await client.refreshToken(token, { dpop: await generateDpopKey() });
    expect([otherKey.body.error, otherKey.body.error_description]).toEqual(['invalid_grant', 'refresh token is bound to another DPoP key (RFC 9449 5)']);
    const noProof = await client.refreshToken(token, { dpop: false });
    expect(noProof.body.error).toBe('invalid_grant');
    await client.refreshToken(token).expect(200);
  });
});

describe('secrets of the new grants are scrubbed', () => {
  it('an echoed code and verifier never reach a failure message; the exchange record redacts them', async () => {
    const grant = await authorize(server, 'spa');
    const client = tokenEndpoint(captureUrl, { client: CLIENTS.none!() });
    // A body mismatch quotes the body in the failure, echoed request and all.
    const error = await client.authorizationCode(grant).expect(400, { error: 'something else' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain('could not use');
    for (const secret of [grant.code, grant.codeVerifier]) {
      expect(error!.message).not.toContain(secret);
      expect(error!.stack).not.toContain(secret);
      expect(client.lastExchange!.request!.body).not.toContain(secret);
    }
    expect(client.lastExchange!.request!.body).toMatch(/code=\[redacted/);
  });

  it('issued and sent refresh tokens never reach a failure message', async () => {
    const client = tokenEndpoint(server.tokenEndpoint, { client: CLIENTS.none!() });
    const first = await client.authorizationCode(await authorize(server, 'spa')).expect(200);
    const sent = first.body.refresh_token as string;
    let issued = '';
    const error = await client
      .refreshToken(sent)
      .expect((res) => {
        issued = res.body.refresh_token as string;
      })
      .expect(201)
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error).toBeInstanceOf(Error);
    for (const secret of [sent, issued]) expect(`${error!.message}\n${error!.stack}`).not.toContain(secret);
  });
});

describe('authorizeWithReferenceServer', () => {
  it('returns the code, the verifier of its challenge, the redirect URI and the state; the code is bound to a dpopKey', async () => {
    const key = await generateDpopKey();
    const grant = await authorizeWithReferenceServer(server, { clientId: 'spa', redirectUri: CB, state: 'my-state', dpopKey: key });
    expect(grant).toEqual({ code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), codeVerifier: expect.any(String), redirectUri: CB, state: 'my-state' });
    const bare = await tokenEndpoint(server.tokenEndpoint, { client: CLIENTS.none!() }).authorizationCode(grant);
    expect(bare.body.error).toBe('invalid_grant');
    await tokenEndpoint(server.tokenEndpoint, { client: CLIENTS.none!(), dpop: key }).authorizationCode(grant).expect(200);
  });

  it('takes a PKCE pair and the authorization endpoint URL', async () => {
    const pkce = createPkcePair();
    const grant = await authorizeWithReferenceServer(server.authorizationEndpoint, { clientId: 'spa', redirectUri: CB, pkce });
    expect(grant.codeVerifier).toBe(pkce.codeVerifier);
  });

  it('a refusal is a HarnessError naming the error: at the redirect URI, or from the endpoint itself', async () => {
    await expect(authorizeWithReferenceServer(server, { clientId: 'spa', redirectUri: CB, scope: 'admin' })).rejects.toThrow(/authorization refused: invalid_scope: /);
    await expect(authorizeWithReferenceServer(server, { clientId: 'spa', redirectUri: CB, params: { code_challenge_method: 'plain' } })).rejects.toThrow(
      /authorization refused: invalid_request: code_challenge_method plain is not supported/,
    );
    await expect(authorizeWithReferenceServer(server, { clientId: 'spa', redirectUri: 'http://127.0.0.1/elsewhere' })).rejects.toThrow(
      /authorization refused \(400\): invalid_request: redirect_uri is not registered for this client/,
    );
    await expect(authorizeWithReferenceServer(server, { clientId: 'spa', redirectUri: CB, params: { code_challenge: null } })).rejects.toBeInstanceOf(HarnessError);
    await expect(authorizeWithReferenceServer({ authorizationEndpoint: 'nope' }, { clientId: 'spa' })).rejects.toThrow(InvalidArgumentError);
  });
});
