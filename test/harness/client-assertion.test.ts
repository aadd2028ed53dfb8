import { beforeAll, describe, expect, test } from '@jest/globals';
import { compactVerify, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { createClientAssertion, generateDpopKey, HarnessError, type DpopKey } from '../../src/harness';

const AUD = 'http://127.0.0.1:4000/oauth/token';
let key: DpopKey;
let otherKey: DpopKey;

beforeAll(async () => {
  [key, otherKey] = await Promise.all([generateDpopKey('ES256'), generateDpopKey('ES256')]);
});

describe('createClientAssertion (RFC 7523 §3)', () => {
  test('iss = sub = client id, aud, unique jti, iat now, exp within 300 s, signed with the key', async () => {
    const assertion = await createClientAssertion({ clientId: 'jwt-client', key, audience: AUD });
    const { payload, protectedHeader } = await jwtVerify(assertion, key.publicKey, {
      issuer: 'jwt-client',
      subject: 'jwt-client',
      audience: AUD,
      algorithms: ['ES256'],
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
    expect(payload.exp! - payload.iat!).toBe(60);
    const again = decodeJwt(await createClientAssertion({ clientId: 'jwt-client', key, audience: AUD }));
    expect(again.jti).not.toBe(payload.jti);
  });

  test('a kid in the JWK is copied into the header; RSA keys sign PS256 unless told otherwise', async () => {
    const rsa = await generateDpopKey('PS256');
    const withKid = { ...rsa, publicJwk: { ...rsa.publicJwk, kid: 'k1' } };
    expect(decodeProtectedHeader(await createClientAssertion({ clientId: 'c', key: withKid, audience: AUD }))).toEqual({ alg: 'PS256', kid: 'k1' });
    expect(decodeProtectedHeader(await createClientAssertion({ clientId: 'c', key: rsa.privateKey, audience: AUD, alg: 'RS256' })).alg).toBe('RS256');
  });

  test('overrides each break one claim or the signature', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = async (overrides: object) =>
      decodeJwt(await createClientAssertion({ clientId: 'jwt-client', key, audience: AUD, jti: 'j', iat: now, ...overrides }));
    const base = await claims({});
    expect(await claims({ expired: true, iat: undefined })).toEqual({ ...base, iat: now - 360, exp: now - 300 });
    expect(await claims({ audience: 'https://other.example/token' })).toEqual({ ...base, aud: 'https://other.example/token' });
    expect(await claims({ audience: [AUD] })).toEqual({ ...base, aud: [AUD] });
    expect(await claims({ jti: 'used-before' })).toEqual({ ...base, jti: 'used-before' });
    const { sub: _sub, ...withoutSub } = base;
    expect(await claims({ omit: ['sub'] })).toEqual(withoutSub);
    expect(await claims({ subject: 'someone-else' })).toEqual({ ...base, sub: 'someone-else' });
    expect(await claims({ lifetimeSeconds: 3600 })).toEqual({ ...base, exp: now + 3600 });

    const foreign = await createClientAssertion({ clientId: 'jwt-client', key, audience: AUD, signWith: otherKey });
    await expect(compactVerify(foreign, key.publicKey)).rejects.toThrow();
    await expect(compactVerify(foreign, otherKey.publicKey)).resolves.toBeDefined();
    const bad = await createClientAssertion({ clientId: 'jwt-client', key, audience: AUD, badSignature: true });
    await expect(compactVerify(bad, key.publicKey)).rejects.toThrow();
    const none = await createClientAssertion({ clientId: 'jwt-client', key, audience: AUD, alg: 'none' });
    expect(decodeProtectedHeader(none).alg).toBe('none');
    expect(none.endsWith('.')).toBe(true);
    const hs = await createClientAssertion({ clientId: 'jwt-client', key, audience: AUD, alg: 'HS256', hmacSecret: 'a-shared-secret-of-32-bytes-long!' });
    await expect(compactVerify(hs, new TextEncoder().encode('a-shared-secret-of-32-bytes-long!'))).resolves.toBeDefined();
  });

  test('bad options are HarnessErrors', async () => {
    await expect(createClientAssertion({ clientId: '', key, audience: AUD })).rejects.toThrow(HarnessError);
    await expect(createClientAssertion({ clientId: 'c', key, audience: 42 as never })).rejects.toThrow(/audience/);
    await expect(createClientAssertion({ clientId: 'c', key: undefined as never, audience: AUD })).rejects.toThrow(/key is required/);
    await expect(createClientAssertion({ clientId: 'c', key, audience: AUD, lifetimeSeconds: Number.NaN })).rejects.toThrow(/lifetimeSeconds/);
  });
});
