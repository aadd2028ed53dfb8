/**
 * The reference server's RFC 8414 metadata says what its token endpoint
 * does: every advertised auth method, assertion alg, DPoP alg and grant is
 * exercised and works; unadvertised ones are refused. Then the test-only
 * `metadataLie` switch: each lie shows up in the document exactly as
 * configured and nothing else changes, in the document or in behaviour.
 */
import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import supertest from 'supertest';
import { authorizeWithReferenceServer, generateDpopKey, type DpopKey } from '../../src/harness';
import { DPOP_KEY_ALGORITHMS, importSigningKey, type DpopKeyAlgorithm } from '../../src/oauth/keys';
import { CLIENT_ASSERTION_TYPE_JWT_BEARER } from '../../src/openapi';
import { DEMO_REDIRECT_URI, ServerConfigError, createReferenceServer, type ReferenceServer, type ReferenceServerConfig } from '../../src/server';
import { resolveServerConfig } from '../../src/server/config';
import { parseServerConfig } from '../../src/server/config-file';
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
    for (const member of ['authorization_endpoint', 'code_challenge_methods_supported', 'dpop_signing_alg_values_supported']) expect(doc).not.toHaveProperty(member);
    expect(doc.response_types_supported).toEqual([]); // RFC 8414 §2: REQUIRED, empty without an authorization endpoint
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

describe('metadataLie (test only): one lie, in the document only', () => {
  const cases: { lie: NonNullable<ReferenceServerConfig['metadataLie']>; member: string; expected: (truth: Record<string, unknown>) => unknown; behaviour: (server: ReferenceServer) => Promise<void> }[] = [
    {
      lie: { advertiseAuthMethod: 'client_secret_jwt' },
      member: 'token_endpoint_auth_methods_supported',
      expected: (truth) => [...(truth.token_endpoint_auth_methods_supported as string[]), 'client_secret_jwt'],
      behaviour: async (server) => expectError(await withClientSecretJwt(server, 'basic-client'), 'invalid_client'),
    },
    {
      lie: { hideAuthMethod: 'client_secret_post' },
      member: 'token_endpoint_auth_methods_supported',
      expected: (truth) => (truth.token_endpoint_auth_methods_supported as string[]).filter((m) => m !== 'client_secret_post'),
      behaviour: async (server) => expectContract(await clientFor(server, 'post-client').clientCredentials(), { status: 200 }),
    },
    {
      lie: { advertiseDpopAlg: 'ES256K' },
      member: 'dpop_signing_alg_values_supported',
      expected: (truth) => [...(truth.dpop_signing_alg_values_supported as string[]), 'ES256K'],
      behaviour: async (server) => expectError(await clientFor(server, 'basic-client').clientCredentials({ dpop: await dpopKeyFor('ES256K') }), 'invalid_dpop_proof'),
    },
    {
      lie: { advertiseGrant: DEVICE_CODE },
      member: 'grant_types_supported',
      expected: (truth) => [...(truth.grant_types_supported as string[]), DEVICE_CODE],
      behaviour: async (server) => expectError(await clientFor(server, 'basic-client').clientCredentials({ params: { grant_type: DEVICE_CODE } }), 'unsupported_grant_type'),
    },
    {
      lie: { issuer: 'https://wrong.example' },
      member: 'issuer',
      expected: () => 'https://wrong.example',
      behaviour: async (server) => {
        // Tokens still carry the real issuer.
        const res = await clientFor(server, 'basic-client').clientCredentials();
        await expectContract(res, { status: 200 });
        const payload = JSON.parse(Buffer.from((res.body.access_token as string).split('.')[1]!, 'base64url').toString('utf8')) as { iss: string };
        expect(payload.iss).toBe(server.url);
      },
    },
  ];

  /** The document with this server's origin as a placeholder, so two servers' documents compare. */
  const normalised = (doc: Record<string, unknown>, server: ReferenceServer) => JSON.parse(JSON.stringify(doc).split(server.url).join('ORIGIN')) as Record<string, unknown>;

  it.each(cases.map((c) => [Object.keys(c.lie)[0]!, c] as const))('%s: only the one member changes, exactly as configured; behaviour does not', async (_, { lie, member, expected, behaviour }) => {
    const server = await createReferenceServer({ metadataLie: lie });
    try {
      const truth = normalised(await metadataOf(demo.server), demo.server);
      const told = normalised(await metadataOf(server), server);
      expect(told[member]).toEqual(expected(truth));
      const changed = [...new Set([...Object.keys(truth), ...Object.keys(told)])].filter((key) => JSON.stringify(truth[key]) !== JSON.stringify(told[key]));
      expect(changed).toEqual([member]);
      await behaviour(server);
    } finally {
      await server.close();
    }
  });

  it('a config file may carry one lie (serve --config)', () => {
    expect(parseServerConfig('{"metadataLie": {"hideAuthMethod": "client_secret_post"}}', 'lie.json')).toEqual({ metadataLie: { hideAuthMethod: 'client_secret_post' } });
  });

  it.each<[string, unknown, string]>([
    ['two lies', { advertiseAuthMethod: 'client_secret_jwt', hideAuthMethod: 'client_secret_post' }, 'config: metadataLie: tells one lie at a time: give one of "advertiseAuthMethod", "hideAuthMethod", not both'],
    ['no lie', {}, 'config: metadataLie: names no lie: give exactly one of advertiseAuthMethod, hideAuthMethod, advertiseDpopAlg, advertiseGrant, issuer'],
    ['an unknown lie', { advertiseScope: 'x' }, 'config: metadataLie: unknown member "advertiseScope"'],
    ['an unknown auth method', { advertiseAuthMethod: 'magic' }, 'config: metadataLie.advertiseAuthMethod must be one of client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, tls_client_auth, self_signed_tls_client_auth, none (got "magic")'],
    ['advertising a method that is accepted', { advertiseAuthMethod: 'client_secret_basic' }, 'metadataLie.advertiseAuthMethod is no lie: "client_secret_basic" is accepted'],
    ['hiding a method that is refused anyway', { hideAuthMethod: 'client_secret_jwt' }, 'metadataLie.hideAuthMethod is no lie: "client_secret_jwt" is not accepted anyway'],
    ['advertising a DPoP alg that is accepted', { advertiseDpopAlg: 'RS512' }, 'metadataLie.advertiseDpopAlg is no lie: "RS512" is accepted for DPoP proofs'],
    ['advertising a grant that is served', { advertiseGrant: 'client_credentials' }, 'metadataLie.advertiseGrant is no lie: "client_credentials" is served'],
  ])('refuses %s with a ServerConfigError naming the member', async (_, lie, message) => {
    const error = await resolveServerConfig({ metadataLie: lie as ReferenceServerConfig['metadataLie'] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServerConfigError);
    expect((error as Error).message).toContain(message);
  });

  it('two lies in a config file are refused the same way', () => {
    expect(() => parseServerConfig('{"metadataLie": {"advertiseDpopAlg": "ES256K", "issuer": "https://wrong.example"}}', 'lie.json')).toThrow(
      'lie.json: metadataLie: tells one lie at a time: give one of "advertiseDpopAlg", "issuer", not both',
    );
  });

  it('refuses its own origin as a lying issuer once the port is known, and closes again', async () => {
    const probe = await createReferenceServer({ clients: [] });
    const { url } = probe;
    await probe.close();
    const port = Number(new URL(url).port);
    await expect(createReferenceServer({ port, clients: [], metadataLie: { issuer: url } })).rejects.toThrow(`metadataLie.issuer is no lie: it is the server's issuer ${url}`);
    // The port is free again: the refused server did not stay up.
    const again = await createReferenceServer({ port, clients: [] });
    await again.close();
  });

  it('refuses the issuer it already has, and a DPoP alg with DPoP disabled', async () => {
    await expect(resolveServerConfig({ issuer: 'https://as.example', metadataLie: { issuer: 'https://as.example' } })).rejects.toThrow('metadataLie.issuer is no lie: it is the configured issuer');
    await expect(resolveServerConfig({ dpop: { enabled: false }, metadataLie: { advertiseDpopAlg: 'ES256K' } })).rejects.toThrow('metadataLie.advertiseDpopAlg is no lie: DPoP is disabled');
  });
});
