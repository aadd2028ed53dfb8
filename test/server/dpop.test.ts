/**
 * DPoP at the reference server (checklist sections 5, 6, 7): every RFC 9449
 * §4.3 item, each failure next to the success it breaks, the replay cache,
 * and the server nonce of §8 with its rotation.
 */
import { describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createDpopProof, generateDpopKey, type ClientCredentialsOptions, type DpopProofOverrides } from '../../src/harness';
import { createDemoClients } from '../../src/server';
import { clientFor, expectContract, expectError, useReferenceServer } from './support';

const ctx = useReferenceServer(async () => ({
  clients: [...(await createDemoClients()), { id: 'dpop-only', secret: 'dpop-secret', authMethods: ['client_secret_basic'], scopes: ['read'], requireDpop: true }],
  replayCacheSize: 1000,
}));
const dpopClient = () => clientFor(ctx.server, 'basic-client', { dpop: true });
const now = () => Math.floor(Date.now() / 1000);

describe('dpop success (checklist section 5)', () => {
  it('dpop-ok, dpop-jkt: 200 DPoP; body cnf.jkt and the JWT access token cnf.jkt are the proof key thumbprint', async () => {
    const client = dpopClient();
    const res = await client.clientCredentials();
    await expectContract(res, { status: 200, tokenType: 'DPoP', dpopKey: client.dpopKey!.publicJwk });
    expect(res.body.cnf.jkt).toBe(client.dpopKey!.thumbprint);
    const { payload } = await jwtVerify(res.body.access_token, createLocalJWKSet(ctx.server.jwks), { issuer: ctx.server.issuer });
    expect(payload.cnf).toEqual({ jkt: client.dpopKey!.thumbprint });
  });

  it('the control for every negative: a DPoP token is never issued without a proof', async () => {
    await expectContract(await clientFor(ctx.server, 'basic-client').clientCredentials(), { status: 200, tokenType: 'Bearer' });
  });

  it.each(['PS256', 'RS256', 'EdDSA', 'ES384'] as const)('accepts a %s proof key', async (alg) => {
    const client = clientFor(ctx.server, 'basic-client', { dpop: await generateDpopKey(alg) });
    const res = await client.clientCredentials();
    await expectContract(res, { status: 200, dpopKey: client.dpopKey!.publicJwk });
  });

  it('dpop-hdr-case: a header named DPOP is accepted', async () => {
    await expectContract(await dpopClient().clientCredentials({ dpopHeaderName: 'DPOP' }), { status: 200, tokenType: 'DPoP' });
  });

  const accepted: Array<[string, DpopProofOverrides]> = [
    ['dpop-extra: extra header and payload members', { header: { kid: 'k1', extra: 'x' }, claims: { foo: 'bar' } }],
    ['dpop-extra: valid nbf and exp', { claims: { nbf: now() - 5, exp: now() + 60 } }],
    ['dpop-iat-skew: iat = now - 10', { iat: now() - 10 }],
    ['dpop-iat-skew: iat = now + 10', { iat: now() + 10 }],
    ['dpop-htu-qf: htu with query and fragment', { htu: 'QUERY' }],
    ['dpop-htu-norm: upper-case scheme and host, explicit default port', { htu: 'NORMALISED' }],
  ];
  it.each(accepted)('%s → accepted', async (_, proof) => {
    const url = new URL(ctx.server.tokenEndpoint);
    const htu = proof.htu === 'QUERY' ? `${ctx.server.tokenEndpoint}?x=1#f` : proof.htu === 'NORMALISED' ? `HTTP://127.0.0.1:${url.port}${url.pathname}` : undefined;
    const res = await dpopClient().clientCredentials({ proof: { ...proof, ...(htu ? { htu } : {}) } });
    await expectContract(res, { status: 200, tokenType: 'DPoP' });
  });

  it('dpop-htu-norm: the default port written out (:80) still names the endpoint', async () => {
    // The server listens on an ephemeral port, so check the comparison on a server whose issuer uses port 80.
    const { createReferenceServer } = await import('../../src/server');
    const server = await createReferenceServer({ issuer: 'http://as.example' });
    try {
      const res = await clientFor(server, 'basic-client', { dpop: true }).clientCredentials({ proof: { htu: 'http://AS.EXAMPLE:80/oauth/%74oken' } });
      await expectContract(res, { status: 200, tokenType: 'DPoP' });
    } finally {
      await server.close();
    }
  });
});

describe('dpop proof negatives → 400 invalid_dpop_proof (checklist section 6)', () => {
  const otherKey = generateDpopKey('ES256');
  const cases: Array<[string, RegExp, () => Promise<ClientCredentialsOptions>]> = [
    ['dpop-multi: two DPoP header fields', /more than one DPoP header/, async () => ({ dpopProof: [await proof(), await proof()] })],
    ['dpop-joined: one header holding "p1, p2"', /single compact JWS/, async () => ({ dpopProof: `${await proof()}, ${await proof()}` })],
    ['dpop-malformed: not a JWS', /single compact JWS/, async () => ({ dpopProof: 'not-a-jwt' })],
    ['dpop-malformed: header is not JSON', /malformed JWS header/, async () => ({ dpopProof: 'bm90IGpzb24.e30.c2ln' })],
    ['dpop-typ: typ missing', /typ must be dpop\+jwt/, async () => ({ proof: { typ: null } })],
    ['dpop-typ: typ jwt', /typ must be dpop\+jwt/, async () => ({ proof: { typ: 'jwt' } })],
    ['dpop-alg-none', /alg must be one of/, async () => ({ proof: { alg: 'none' } })],
    ['dpop-alg-hs256', /alg must be one of/, async () => ({ proof: { alg: 'HS256' } })],
    ['dpop-jwk-missing', /missing jwk/, async () => ({ proof: { omitHeader: ['jwk'] } })],
    ['dpop-jwk-private: jwk includes d', /public key/, async () => ({ proof: { includePrivateJwk: true } })],
    ['dpop-jwk-symmetric: jwk is an oct key', /public key/, async () => ({ proof: { header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } } })],
    ['dpop-sig: altered signature', /signature/, async () => ({ proof: { badSignature: true } })],
    ['dpop-sig: jwk is not the signing key', /signature/, async () => ({ proof: { signWith: await otherKey } })],
    ['dpop-htm: GET', /htm/, async () => ({ proof: { htm: 'GET' } })],
    ['dpop-htm: post (case-sensitive)', /htm/, async () => ({ proof: { htm: 'post' } })],
    ['dpop-htu: another path', /htu does not match/, async () => ({ proof: { htu: `${ctx.server.url}/other` } })],
    ['dpop-htu: another host', /htu does not match/, async () => ({ proof: { htu: ctx.server.tokenEndpoint.replace('127.0.0.1', 'localhost') } })],
    ['dpop-htu: https instead of http', /htu does not match/, async () => ({ proof: { htu: ctx.server.tokenEndpoint.replace('http:', 'https:') } })],
    ['dpop-htu: not a URL', /htu does not match/, async () => ({ proof: { htu: 'oauth/token' } })],
    ['dpop-claim-missing: jti', /missing jti/, async () => ({ proof: { omit: ['jti'] } })],
    ['dpop-claim-missing: htm', /missing htm/, async () => ({ proof: { omit: ['htm'] } })],
    ['dpop-claim-missing: htu', /missing htu/, async () => ({ proof: { omit: ['htu'] } })],
    ['dpop-claim-missing: iat', /missing iat/, async () => ({ proof: { omit: ['iat'] } })],
    ['dpop-iat-old: iat = now - 3600', /iat is more than 60 s in the past/, async () => ({ proof: { iat: now() - 3600 } })],
    ['dpop-iat-old: iat = now - 61', /iat is more than 60 s in the past/, async () => ({ proof: { iat: now() - 61 } })],
    ['dpop-iat-future: iat = now + 3600', /iat is more than 60 s in the future/, async () => ({ proof: { iat: now() + 3600 } })],
    ['dpop-crit: unknown critical header', /critical header/, async () => ({ proof: { crit: ['urn:example:unknown'] } })],
    ['dpop-exp: exp in the past', /expired/, async () => ({ proof: { claims: { exp: now() - 10 } } })],
  ];
  it.each(cases)('%s', async (_, reason, request) => {
    const res = await dpopClient().clientCredentials(await request());
    await expectError(res, 'invalid_dpop_proof');
    expect(res.body.error_description).toMatch(reason);
  });

  it('dpop-multi is rejected before client authentication', async () => {
    const res = await clientFor(ctx.server, 'basic-client', { client: { secret: 'wrong' }, dpop: true }).clientCredentials({ dpopProof: [await proof(), await proof()] });
    await expectError(res, 'invalid_dpop_proof');
  });

  it('dpop-replay: the same proof twice → the second is invalid_dpop_proof', async () => {
    const single = await proof();
    await expectContract(await dpopClient().clientCredentials({ dpopProof: single }), { status: 200, tokenType: 'DPoP' });
    const replay = await dpopClient().clientCredentials({ dpopProof: single });
    await expectError(replay, 'invalid_dpop_proof');
    expect(replay.body.error_description).toMatch(/replay/);
  });

  it('the jti is committed only once the request succeeds: a proof refused for its scope can be used again', async () => {
    const single = await proof();
    await expectError(await dpopClient().clientCredentials({ dpopProof: single, scope: 'admin' }), 'invalid_scope');
    await expectContract(await dpopClient().clientCredentials({ dpopProof: single }), { status: 200, tokenType: 'DPoP' });
  });

  it.each(['dpop-only', 'dpop-client'])('dpop-required-absent: %s (requires DPoP) gets invalid_request without a proof, a DPoP token with one', async (id) => {
    const refused = await clientFor(ctx.server, id).clientCredentials();
    await expectError(refused, 'invalid_request');
    expect(refused.body.error_description).toMatch(/DPoP proof required/);
    await expectContract(await clientFor(ctx.server, id, { dpop: true }).clientCredentials(), { status: 200, tokenType: 'DPoP' });
  });
});

describe('replay cache size cap (RFC 9449 §11.1)', () => {
  // The server's clock, moved by hand: entries expire without the test sleeping.
  let now = Math.floor(Date.now() / 1000) * 1000;
  const small = useReferenceServer({ replayCacheSize: 2, clock: () => now });
  it('full of live proofs: a new proof gets 503 temporarily_unavailable, a used one stays refused until its iat window has passed', async () => {
    const key = await generateDpopKey('ES256');
    const make = () => createDpopProof({ key, htm: 'POST', htu: small.server.tokenEndpoint, iat: Math.floor(now / 1000) });
    const client = clientFor(small.server, 'basic-client', { dpop: key });
    const first = await make();
    await expectContract(await client.clientCredentials({ dpopProof: first }), { status: 200 });
    now += 5_000;
    await expectContract(await client.clientCredentials({ dpopProof: await make() }), { status: 200 });
    for (let i = 0; i < 5; i++) {
      const busy = await client.clientCredentials({ dpopProof: await make() });
      expect([busy.status, busy.body]).toEqual([503, { error: 'temporarily_unavailable', error_description: 'replay cache full; retry later' }]);
      // `first` is remembered for the 60 s window after its iat plus a second: 56 s from now.
      expect(busy.headers['retry-after']).toBe('56');
      expect([busy.headers['cache-control'], busy.headers.pragma]).toEqual(['no-store', 'no-cache']);
    }
    const replay = await client.clientCredentials({ dpopProof: first });
    await expectError(replay, 'invalid_dpop_proof');
    expect(replay.body.error_description).toMatch(/replay/);
    now += 56_000;
    await expectError(await client.clientCredentials({ dpopProof: first }), 'invalid_dpop_proof'); // outside the iat window now
    await expectContract(await client.clientCredentials({ dpopProof: await make() }), { status: 200 });
  });
});

async function proof(overrides: DpopProofOverrides = {}): Promise<string> {
  const key = await sharedKey;
  return createDpopProof({ key, htm: 'POST', htu: ctx.server.tokenEndpoint, ...overrides } as never);
}
const sharedKey = generateDpopKey('ES256');

describe('required nonces (checklist section 7, RFC 9449 §8)', () => {
  const nonceCtx = useReferenceServer({ dpop: { requireNonce: true } });
  const client = (options: Parameters<typeof clientFor>[2] = {}) => clientFor(nonceCtx.server, 'basic-client', { dpop: true, ...options });

  it('nonce-missing: 400 use_dpop_nonce with one DPoP-Nonce header and no challenge', async () => {
    const res = await client().clientCredentials({ nonceRetry: false });
    await expectError(res, 'use_dpop_nonce');
    expect(res.headers['dpop-nonce']).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('nonce-retry: a new proof carrying that nonce succeeds', async () => {
    const c = client();
    const res = await c.clientCredentials();
    expect(res.dpopNonceRetried).toBe(true);
    await expectContract(res, { status: 200, tokenType: 'DPoP', dpopKey: c.dpopKey!.publicJwk });
  });

  it('nonce-wrong: nonce "stale" → use_dpop_nonce with a fresh nonce', async () => {
    const res = await client().clientCredentials({ nonceRetry: false, proof: { nonce: 'stale' } });
    await expectError(res, 'use_dpop_nonce');
    expect(res.headers['dpop-nonce']).not.toBe('stale');
  });

  it('nonce-precedence: a bad htu without a nonce is reported as invalid_dpop_proof', async () => {
    const res = await client().clientCredentials({ nonceRetry: false, proof: { htu: `${nonceCtx.server.url}/other` } });
    await expectError(res, 'invalid_dpop_proof');
  });

  it('the iat window still applies with a valid nonce', async () => {
    const c = client();
    await c.clientCredentials(); // learn the nonce
    const res = await c.clientCredentials({ nonceRetry: false, proof: { iat: now() - 3600 } });
    await expectError(res, 'invalid_dpop_proof');
  });

  it('no proof at all: nonces concern proofs only, so a Bearer token is issued', async () => {
    await expectContract(await clientFor(nonceCtx.server, 'basic-client').clientCredentials(), { status: 200, tokenType: 'Bearer' });
  });
});

describe('nonce rotation (RFC 9449 §8.2)', () => {
  let clock = Date.now();
  const rotating = useReferenceServer({ dpop: { requireNonce: true, nonceLifetimeSeconds: 60, iatWindowSeconds: 600 }, clock: () => clock });

  it('a nonce from the previous period still works and the 200 carries the new one; two periods later it is refused', async () => {
    const c = clientFor(rotating.server, 'basic-client', { dpop: true });
    await expectContract(await c.clientCredentials(), { status: 200 });
    const first = c.dpopNonce!;
    clock += 60_000;
    const rotated = await c.clientCredentials({ nonceRetry: false, proof: { nonce: first } });
    await expectContract(rotated, { status: 200, tokenType: 'DPoP' });
    expect(rotated.headers['dpop-nonce']).toBeDefined();
    expect(rotated.headers['dpop-nonce']).not.toBe(first);
    clock += 120_000;
    await expectError(await c.clientCredentials({ nonceRetry: false, proof: { nonce: first } }), 'use_dpop_nonce');
  });
});

describe('dpop-disabled (RFC 9449 §5: the server may issue Bearer tokens)', () => {
  const off = useReferenceServer({ dpop: { enabled: false } });
  it('a proof is ignored and a Bearer token issued, even two DPoP headers or a DPoP-only client', async () => {
    const client = clientFor(off.server, 'basic-client', { dpop: true });
    await expectContract(await client.clientCredentials(), { status: 200, tokenType: 'Bearer' });
    await expectContract(await client.clientCredentials({ dpopProof: ['a', 'b'] }), { status: 200, tokenType: 'Bearer' });
    await expectContract(await clientFor(off.server, 'dpop-client').clientCredentials(), { status: 200, tokenType: 'Bearer' });
  });

  it('the metadata advertises no DPoP algorithms', async () => {
    const metadata = await clientFor(off.server, 'basic-client').raw().get('/.well-known/oauth-authorization-server');
    expect(metadata.body).not.toHaveProperty('dpop_signing_alg_values_supported');
    expect(off.server.dpopEnabled).toBe(false);
  });
});
