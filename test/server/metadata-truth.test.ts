/**
 * The reference server's RFC 8414 metadata says what its token endpoint
 * does: every advertised auth method, assertion alg, DPoP alg and grant is
 * exercised and works; unadvertised ones are refused.
 */
import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import supertest from 'supertest';
import { authorizeWithReferenceServer, generateDpopKey, type DpopKey } from '../../src/harness';
import { DPOP_KEY_ALGORITHMS, importSigningKey, type DpopKeyAlgorithm } from '../../src/oauth/keys';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '../../src/openapi';
import { DEMO_REDIRECT_URI, type ReferenceServer } from '../../src/server';
import { clientFor, expectContract, expectError, useReferenceServer } from './support';

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

async function metadataOf(server: ReferenceServer): Promise<Record<string, unknown>> {
  const res = await supertest(server.url).get('/.well-known/oauth-authorization-server');
  expect(res.status).toBe(200);
  return res.body as Record<string, unknown>;
}

/** A key for a DPoP proof of any JWS algorithm (the harness generates six of them itself). */
async function dpopKeyFor(alg: string): Promise<DpopKey> {
  if ((DPOP_KEY_ALGORITHMS as readonly string[]).includes(alg)) return generateDpopKey(alg as DpopKeyAlgorithm);
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return importSigningKey({ ...(await exportJWK(privateKey)), alg } as JWK);
}

/** client_secret_jwt (RFC 7523 §2.2 with an HMAC): an assertion signed with the client's secret. */
async function clientSecretJwt(server: ReferenceServer, id: string): Promise<Record<string, string>> {
  const secret = server.clients[id]!.secret!;
  const assertion = await new SignJWT({ jti: `j-${Math.random()}` })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(id)
    .setSubject(id)
    .setAudience(server.tokenEndpoint)
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(new TextEncoder().encode(secret));
  return { client_assertion_type: CLIENT_ASSERTION_TYPE_JWT_BEARER, client_assertion: assertion };
}

/** A client_credentials request authenticated with client_secret_jwt (no Authorization header). */
async function withClientSecretJwt(server: ReferenceServer, id: string) {
  return clientFor(server, id).clientCredentials({ headers: { Authorization: null }, params: await clientSecretJwt(server, id) });
}

/** One request per auth method, with a demo client registered for it. */
async function requestWith(server: ReferenceServer, method: string) {
  switch (method) {
    case 'client_secret_basic':
      return clientFor(server, 'basic-client').clientCredentials();
    case 'client_secret_post':
      return clientFor(server, 'post-client').clientCredentials();
    case 'private_key_jwt':
      return clientFor(server, 'jwt-client').clientCredentials();
    case 'none':
      return clientFor(server, 'public-client').authorizationCode(await authorizeWithReferenceServer(server, { clientId: 'public-client', redirectUri: DEMO_REDIRECT_URI, scope: 'read' }));
    default:
      throw new Error(`no request for ${method}`);
  }
}

const demo = useReferenceServer();

describe('the truthful document (demo clients)', () => {
  it('names the endpoints it serves: issuer, token, authorization, JWKS', async () => {
    const doc = await metadataOf(demo.server);
    expect(doc.issuer).toBe(demo.server.issuer);
    expect(doc.token_endpoint).toBe(demo.server.tokenEndpoint);
    expect(doc.authorization_endpoint).toBe(demo.server.authorizationEndpoint);
    expect(doc.jwks_uri).toBe(`${demo.server.url}/jwks`);
    expect((await supertest(demo.server.url).get('/jwks')).body).toEqual(demo.server.jwks);
    expect(doc).toMatchObject({ response_types_supported: ['code'], code_challenge_methods_supported: ['S256'], scopes_supported: ['read', 'write', 'admin'] });
  });

  it('each advertised auth method works', async () => {
    const methods = (await metadataOf(demo.server)).token_endpoint_auth_methods_supported as string[];
    expect([...methods].sort()).toEqual(['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt']);
    for (const method of methods) await expectContract(await requestWith(demo.server, method), { status: 200 });
  });

  it('an unadvertised auth method (client_secret_jwt) is refused', async () => {
    expect((await metadataOf(demo.server)).token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');
    const res = await withClientSecretJwt(demo.server, 'basic-client');
    await expectError(res, 'invalid_client');
    expect(res.body.error_description).toMatch(/^client assertion alg must be one of /);
  });

  it('the assertion algorithms are those of the registered keys (ES256 here), and another is refused', async () => {
    const doc = await metadataOf(demo.server);
    expect(doc.token_endpoint_auth_signing_alg_values_supported).toEqual(['ES256']);
    await expectContract(await clientFor(demo.server, 'jwt-client').clientCredentials(), { status: 200 });
    // PS256 is in the server's allow-list but no key of jwt-client allows it.
    const rsa = await dpopKeyFor('PS256');
    await expectError(await clientFor(demo.server, 'jwt-client', { client: { privateKey: rsa } }).clientCredentials(), 'invalid_client');
  });

  it('each advertised DPoP algorithm is accepted for a proof; ES256K, not advertised, is refused', async () => {
    const algs = (await metadataOf(demo.server)).dpop_signing_alg_values_supported as string[];
    expect(algs.length).toBeGreaterThan(0);
    const keys = await Promise.all(algs.map(dpopKeyFor));
    for (const [index, key] of keys.entries()) {
      const res = await clientFor(demo.server, 'basic-client').clientCredentials({ dpop: key });
      await expectContract(res, { status: 200, tokenType: 'DPoP' });
      expect(key.alg).toBe(algs[index]);
    }
    expect(algs).not.toContain('ES256K');
    const res = await clientFor(demo.server, 'basic-client').clientCredentials({ dpop: await dpopKeyFor('ES256K') });
    await expectError(res, 'invalid_dpop_proof');
    expect(res.body.error_description).toMatch(/alg must be one of /);
  });

  it('each advertised grant reaches its handler; an unadvertised one is unsupported_grant_type', async () => {
    const grants = (await metadataOf(demo.server)).grant_types_supported as string[];
    expect(grants).toEqual(['client_credentials', 'authorization_code', 'refresh_token']);
    await expectContract(await clientFor(demo.server, 'basic-client').clientCredentials(), { status: 200 });
    const public_ = clientFor(demo.server, 'public-client');
    const issued = await public_.authorizationCode(await authorizeWithReferenceServer(demo.server, { clientId: 'public-client', redirectUri: DEMO_REDIRECT_URI, scope: 'read' }));
    await expectContract(issued, { status: 200 });
    await expectContract(await public_.refreshToken(issued.body.refresh_token as string), { status: 200 });
    await expectError(await clientFor(demo.server, 'basic-client').clientCredentials({ params: { grant_type: DEVICE_CODE } }), 'unsupported_grant_type');
  });
});

describe('the truthful document (a narrower configuration)', () => {
  const narrow = useReferenceServer(async () => {
    const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true });
    rsaPrivate = await exportJWK(privateKey);
    return {
      dpop: { enabled: false },
      scopes: ['read'],
      clients: [
        { id: 'basic', secret: 'basic-secret', authMethods: ['client_secret_basic'], scopes: ['read'] },
        { id: 'rsa', authMethods: ['private_key_jwt'], jwks: { keys: [await exportJWK(publicKey)] }, scopes: ['read'] },
      ],
    };
  });
  let rsaPrivate: JWK;

  it('advertises only what its clients use: no code flow, no DPoP, the RSA key\'s algorithms', async () => {
    const doc = await metadataOf(narrow.server);
    expect(doc).toMatchObject({
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['PS256', 'PS384', 'PS512'],
      scopes_supported: ['read'],
    });
    for (const member of ['authorization_endpoint', 'response_types_supported', 'code_challenge_methods_supported', 'dpop_signing_alg_values_supported']) expect(doc).not.toHaveProperty(member);
  });

  it('each advertised assertion algorithm works', async () => {
    const algs = (await metadataOf(narrow.server)).token_endpoint_auth_signing_alg_values_supported as string[];
    for (const alg of algs) {
      const res = await clientFor(narrow.server, 'rsa', { client: { auth: 'private_key_jwt', privateKey: { ...rsaPrivate, alg } } }).clientCredentials();
      await expectContract(res, { status: 200 });
    }
  });

  it('unadvertised methods are refused: client_secret_post and client_secret_jwt for the basic client', async () => {
    await expectError(await clientFor(narrow.server, 'basic', { client: { auth: 'client_secret_post' } }).clientCredentials(), 'invalid_client');
    await expectError(await withClientSecretJwt(narrow.server, 'basic'), 'invalid_client');
  });

  it('grants no client is registered for are unsupported_grant_type, as the document says', async () => {
    for (const grant of ['authorization_code', 'refresh_token']) {
      await expectError(await clientFor(narrow.server, 'basic').clientCredentials({ params: { grant_type: grant } }), 'unsupported_grant_type');
    }
  });
});
