/**
 * Client authentication (checklist section 3): Basic, client_secret_post and
 * private_key_jwt, each rejection next to the request it breaks.
 */
import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { basicAuthorization, createClientAssertion, generateDpopKey } from '../../src/harness';
import { createDemoClients } from '../../src/server';
import { clientFor, expectContract, expectError, useReferenceServer } from './support';

let rsaPrivateJwk: JWK;
const ctx = useReferenceServer(async () => {
  const { publicKey, privateKey } = await generateKeyPair('PS256', { extractable: true });
  rsaPrivateJwk = await exportJWK(privateKey);
  return {
    clients: [
      ...(await createDemoClients()),
      // No `alg` on the key: PS256/384/512 follow from kty RSA; RS256 is outside the allow-list.
      { id: 'rsa-client', authMethods: ['private_key_jwt'], jwks: { keys: [await exportJWK(publicKey)] }, scopes: ['read'] },
      // RFC 6749 §2.3.1: id and secret are form-urlencoded inside Basic.
      { id: 'odd client:1', secret: 'p@ss word:+%', authMethods: ['client_secret_basic'], scopes: ['read'] },
      { id: 'cl\u00efent-\u2603', secret: 's\u00e9cret \u2603', authMethods: ['client_secret_basic', 'client_secret_post'], scopes: ['read'] },
    ],
  };
});

const jwt = () => clientFor(ctx.server, 'jwt-client');
const raw = () => clientFor(ctx.server, 'basic-client').raw();

describe('secrets (RFC 6749 §2.3.1)', () => {
  it('Basic credentials are form-url-decoded before comparison', async () => {
    await expectContract(await clientFor(ctx.server, 'odd client:1').clientCredentials(), { status: 200, scope: 'read' });
  });

  it('non-ASCII ids and secrets work with Basic (UTF-8, then form-encoded) and in the body; a near miss does not', async () => {
    const id = 'cl\u00efent-\u2603';
    await expectContract(await clientFor(ctx.server, id).clientCredentials(), { status: 200, scope: 'read' });
    await expectContract(await clientFor(ctx.server, id, { client: { auth: 'client_secret_post' } }).clientCredentials(), { status: 200, scope: 'read' });
    await expectError(await clientFor(ctx.server, id, { client: { secret: 'secret \u2603' } }).clientCredentials(), 'invalid_client', 401);
  });

  it('auth-none: no credentials → 400 invalid_client without a challenge', async () => {
    const res = await raw().post('/oauth/token').type('form').send('grant_type=client_credentials');
    await expectError(res, 'invalid_client', 400);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('basic-bad-secret, basic-malformed: 401 invalid_client with WWW-Authenticate: Basic realm="OAuth"', async () => {
    const wrong = await clientFor(ctx.server, 'basic-client', { client: { secret: 'wrong' } }).clientCredentials();
    await expectError(wrong, 'invalid_client', 401);
    expect(wrong.headers['www-authenticate']).toBe('Basic realm="OAuth"');
    for (const header of ['Basic not-base64!!', 'Basic', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'basic Zm9vOmJhcg==']) {
      const res = await raw().post('/oauth/token').set('Authorization', header).type('form').send('grant_type=client_credentials');
      await expectError(res, 'invalid_client', 401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="OAuth"');
    }
  });

  it('auth-other-scheme: Authorization: Bearer abc → 401 with a Bearer challenge (the scheme used)', async () => {
    for (const [header, challenge] of [
      ['Bearer abc', 'Bearer realm="OAuth"'],
      ['DPoP abc', 'DPoP realm="OAuth"'],
    ]) {
      const res = await raw().post('/oauth/token').set('Authorization', header!).type('form').send('grant_type=client_credentials');
      await expectError(res, 'invalid_client', 401);
      expect(res.headers['www-authenticate']).toBe(challenge);
    }
  });

  it('post-bad-secret: wrong body secret → 400 invalid_client without a challenge', async () => {
    const res = await clientFor(ctx.server, 'post-client', { client: { secret: 'wrong' } }).clientCredentials();
    await expectError(res, 'invalid_client', 400);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('unknown-client: the same answer as a wrong secret, for Basic and for post', async () => {
    const unknownBasic = await clientFor(ctx.server, 'basic-client', { client: { id: 'nobody' } }).clientCredentials();
    const wrongBasic = await clientFor(ctx.server, 'basic-client', { client: { secret: 'nope' } }).clientCredentials();
    expect([unknownBasic.status, unknownBasic.body]).toEqual([wrongBasic.status, wrongBasic.body]);
    const unknownPost = await clientFor(ctx.server, 'post-client', { client: { id: 'nobody' } }).clientCredentials();
    const wrongPost = await clientFor(ctx.server, 'post-client', { client: { secret: 'nope' } }).clientCredentials();
    expect([unknownPost.status, unknownPost.body]).toEqual([wrongPost.status, wrongPost.body]);
  });

  it('method-disallowed: a client used with a method it is not registered for → invalid_client', async () => {
    // post-client through Basic: a header attempt, so 401 + Basic challenge.
    const viaBasic = await clientFor(ctx.server, 'post-client', { client: { auth: 'client_secret_basic' } }).clientCredentials();
    await expectError(viaBasic, 'invalid_client', 401);
    expect(viaBasic.headers['www-authenticate']).toBe('Basic realm="OAuth"');
    // basic-client through the body: 400.
    await expectError(await clientFor(ctx.server, 'basic-client', { client: { auth: 'client_secret_post' } }).clientCredentials(), 'invalid_client', 400);
  });

  it('public-client: a client_id alone → 400 invalid_client', async () => {
    await expectError(await clientFor(ctx.server, 'post-client', { client: { auth: 'none' } }).clientCredentials(), 'invalid_client', 400);
  });

  it('client_secret without client_id → invalid_client', async () => {
    await expectError(await raw().post('/oauth/token').type('form').send('grant_type=client_credentials&client_secret=post-secret'), 'invalid_client');
  });
});

describe('two-methods: more than one method → 400 invalid_request, never 401 (RFC 6749 §2.3)', () => {
  it('Basic + client_secret', async () => {
    const res = await clientFor(ctx.server, 'basic-client').clientCredentials({ params: { client_id: 'basic-client', client_secret: 'basic-secret' } });
    await expectError(res, 'invalid_request', 400);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('Basic + client_assertion', async () => {
    const assertion = await createClientAssertion({ clientId: 'jwt-client', key: ctx.server.clients['jwt-client']!.privateJwk!, audience: ctx.server.tokenEndpoint });
    const res = await clientFor(ctx.server, 'basic-client').clientCredentials({
      params: { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion },
    });
    await expectError(res, 'invalid_request', 400);
  });

  it('client_secret + client_assertion', async () => {
    await expectError(await jwt().clientCredentials({ params: { client_secret: 'post-secret' } }), 'invalid_request', 400);
  });

  it('two Authorization headers', async () => {
    const res = await raw()
      .post('/oauth/token')
      .set('Authorization', [basicAuthorization('basic-client', 'basic-secret'), basicAuthorization('basic-client', 'basic-secret')] as unknown as string)
      .type('form')
      .send('grant_type=client_credentials');
    await expectError(res, 'invalid_request', 400);
  });
});

describe('private_key_jwt (RFC 7523 §3)', () => {
  it('ok: an RSA client signing PS256 is accepted', async () => {
    await expectContract(await clientFor(ctx.server, 'rsa-client', { client: { privateKey: rsaPrivateJwk } }).clientCredentials(), { status: 200, scope: 'read' });
  });

  it('ok: an assertion living exactly 300 s is accepted', async () => {
    await expectContract(await jwt().clientCredentials({ assertion: { lifetimeSeconds: 300 } }), { status: 200 });
  });

  const otherKey = generateDpopKey('ES256');
  const SIGNATURE_FAILED = /^client assertion signature does not verify with a private_key_jwt key registered for its iss$/;
  const cases: Array<[string, RegExp, () => Promise<Parameters<ReturnType<typeof jwt>['clientCredentials']>[0]>]> = [
    ['pkjwt-aud: aud is another URL', /aud must be the issuer/, async () => ({ assertion: { audience: 'https://other.example/token' } })],
    ['pkjwt-aud-array: aud is an array holding the issuer', /single string/, async () => ({ assertion: { audience: [ctx.server.issuer] } })],
    ['pkjwt-aud: aud is the issuer with a trailing path', /aud must be the issuer/, async () => ({ assertion: { audience: `${ctx.server.issuer}/other` } })],
    ['pkjwt-expired: exp = now - 300', /expired/, async () => ({ assertion: { expired: true } })],
    ['pkjwt-too-long: exp = now + 3600', /lifetime/, async () => ({ assertion: { lifetimeSeconds: 3600 } })],
    // Just past the 300 s bound, with room for a slow machine: the server measures exp − now when the request arrives.
    ['pkjwt-too-long: exp = now + 310', /lifetime/, async () => ({ assertion: { lifetimeSeconds: 310 } })],
    ['pkjwt-no-exp', /no exp/, async () => ({ assertion: { omit: ['exp'] } })],
    ['pkjwt-no-jti', /no jti/, async () => ({ assertion: { omit: ['jti'] } })],
    ['pkjwt-alg: none', /alg must be one of ES256/, async () => ({ assertion: { alg: 'none' } })],
    ['pkjwt-alg: HS256', /alg must be one of ES256/, async () => ({ assertion: { alg: 'HS256' } })],
    ['pkjwt-key: signed with an unregistered key', /signature/, async () => ({ assertion: { signWith: await otherKey } })],
    ['pkjwt-sig: altered signature', /signature/, async () => ({ assertion: { badSignature: true } })],
    ['pkjwt-sub: sub missing', /sub must equal iss/, async () => ({ assertion: { omit: ['sub'] } })],
    ['pkjwt-sub: sub differs from iss', /sub must equal iss/, async () => ({ assertion: { subject: 'post-client' } })],
    // No registered key to check with: worded (and timed, test/server/timing.test.ts) like a wrong signature, so iss values cannot be probed.
    ['pkjwt-iss: iss of an unknown client', SIGNATURE_FAILED, async () => ({ assertion: { issuer: 'nobody', subject: 'nobody' } })],
    ['pkjwt-iss: iss of a client not registered for private_key_jwt', SIGNATURE_FAILED, async () => ({ assertion: { issuer: 'post-client', subject: 'post-client' } })],
    ['pkjwt-alg: an allowed algorithm the client has no key for (ES384)', SIGNATURE_FAILED, async () => ({ assertion: { signWith: await generateDpopKey('ES384') } })],
    ['pkjwt-kid: a kid naming no registered key', SIGNATURE_FAILED, async () => ({ assertion: { header: { kid: 'no-such-key' } } })],
    ['pkjwt-type: wrong client_assertion_type', /client_assertion_type must be/, async () => ({ assertion: { clientAssertionType: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' } })],
    ['pkjwt-type: client_assertion_type missing', /client_assertion_type is required/, async () => ({ params: { client_assertion_type: null } })],
    ['pkjwt-malformed: client_assertion is not a JWT', /not a signed JWT/, async () => ({ clientAssertion: 'not-a-jwt' })],
    ['pkjwt-client-id: body client_id names another client', /client_id does not match/, async () => ({ params: { client_id: 'post-client' } })],
    ['pkjwt-crit: unknown critical header', /critical header/, async () => ({ assertion: { crit: ['urn:example:unknown'] } })],
  ];
  it.each(cases)('%s → 400 invalid_client', async (_, reason, request) => {
    const res = await jwt().clientCredentials(await request());
    await expectError(res, 'invalid_client', 400);
    // The description names the one check that failed, so each case proves its own rule.
    expect(res.body.error_description).toMatch(reason);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('pkjwt-alg: RS256 with a registered RSA key → invalid_client (alg from the key and the allow-list)', async () => {
    const res = await clientFor(ctx.server, 'rsa-client', { client: { privateKey: rsaPrivateJwk } }).clientCredentials({ assertion: { alg: 'RS256' } });
    await expectError(res, 'invalid_client');
  });

  it('pkjwt-replay: the same assertion twice → the second is invalid_client', async () => {
    const assertion = await createClientAssertion({ clientId: 'jwt-client', key: ctx.server.clients['jwt-client']!.privateJwk!, audience: ctx.server.tokenEndpoint });
    await expectContract(await jwt().clientCredentials({ clientAssertion: assertion }), { status: 200 });
    const replay = await jwt().clientCredentials({ clientAssertion: assertion });
    await expectError(replay, 'invalid_client');
    expect(replay.body.error_description).toMatch(/replay/);
  });

  it('a body client_id equal to iss is accepted', async () => {
    await expectContract(await jwt().clientCredentials({ params: { client_id: 'jwt-client' } }), { status: 200 });
  });
});

describe('a full assertion replay cache (RFC 7523 §3 item 7)', () => {
  // The server's clock, moved by hand: entries expire without the test sleeping.
  let now = Math.floor(Date.now() / 1000) * 1000;
  const full = useReferenceServer({ replayCacheSize: 2, clock: () => now });
  const assertion = (lifetimeSeconds: number) => {
    const iat = Math.floor(now / 1000);
    return createClientAssertion({ clientId: 'jwt-client', key: full.server.clients['jwt-client']!.privateJwk!, audience: full.server.tokenEndpoint, iat, exp: iat + lifetimeSeconds });
  };
  const send = (clientAssertion: string) => clientFor(full.server, 'jwt-client').clientCredentials({ clientAssertion });

  it('refuses new assertions with 503 temporarily_unavailable rather than forget a used one; frees up as entries expire', async () => {
    const first = await assertion(30);
    await expectContract(await send(first), { status: 200 });
    await expectContract(await send(await assertion(60)), { status: 200 });
    // A flood of fresh assertions finds the cache full: each is refused, none pushes `first` out.
    for (let i = 0; i < 5; i++) {
      const busy = await send(await assertion(60));
      expect([busy.status, busy.body]).toEqual([503, { error: 'temporarily_unavailable', error_description: 'replay cache full; retry later' }]);
      expect(busy.headers['retry-after']).toBe('30'); // when `first` expires
      expect([busy.headers['cache-control'], busy.headers.pragma, busy.headers['content-type']]).toEqual(['no-store', 'no-cache', 'application/json']);
    }
    const replay = await send(first);
    await expectError(replay, 'invalid_client');
    expect(replay.body.error_description).toMatch(/replay/);
    // Once `first` has expired it cannot be replayed anyway (the server refuses it as expired), and its slot is free.
    now += 30_000;
    const late = await send(first);
    await expectError(late, 'invalid_client');
    expect(late.body.error_description).toMatch(/expired/);
    await expectContract(await send(await assertion(60)), { status: 200 });
    expect((await send(await assertion(60))).status).toBe(503);
  });
});

describe('a configured issuer (e.g. the public URL behind a proxy)', () => {
  const behind = useReferenceServer({ issuer: 'https://as.example' });
  it('accepts assertions addressed to the issuer or to its token endpoint, as well as to the local URL', async () => {
    expect(behind.server.issuer).toBe('https://as.example');
    for (const audience of ['https://as.example', 'https://as.example/oauth/token', behind.server.tokenEndpoint]) {
      await expectContract(await clientFor(behind.server, 'jwt-client', { client: { audience } }).clientCredentials(), { status: 200 });
    }
    const res = await clientFor(behind.server, 'jwt-client', { client: { audience: 'https://as.example/' } }).clientCredentials();
    await expectError(res, 'invalid_client');
  });

  it('accepts DPoP proofs for the public token endpoint URL', async () => {
    const res = await clientFor(behind.server, 'basic-client', { dpop: true }).clientCredentials({ proof: { htu: 'https://as.example/oauth/token' } });
    await expectContract(res, { status: 200, tokenType: 'DPoP' });
  });
});
