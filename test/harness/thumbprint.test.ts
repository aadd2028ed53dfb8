import { describe, expect, test } from '@jest/globals';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { generateDpopKey, HarnessError, importSigningKey, jwkThumbprint } from '../../src/harness';

// RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
const RFC7638_JWK: JWK = {
  kty: 'RSA',
  n:
    '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6' +
    '4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9' +
    '1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};
const RFC7638_THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('jwkThumbprint (RFC 7638)', () => {
  test('matches the RFC 7638 §3.1 example, ignoring optional members (alg, kid)', async () => {
    await expect(jwkThumbprint(RFC7638_JWK)).resolves.toBe(RFC7638_THUMBPRINT);
    const { alg: _alg, kid: _kid, ...required } = RFC7638_JWK;
    await expect(jwkThumbprint(required)).resolves.toBe(RFC7638_THUMBPRINT);
  });

  test('a one-character change in a required member changes the thumbprint', async () => {
    const altered = { ...RFC7638_JWK, e: 'AQAC' };
    await expect(jwkThumbprint(altered)).resolves.not.toBe(RFC7638_THUMBPRINT);
  });

  test('a private JWK, its public half, a key object and a DpopKey agree', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const publicJwk = await exportJWK(publicKey);
    const key = await importSigningKey(privateJwk);
    const expected = await jwkThumbprint(publicJwk);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect(jwkThumbprint(privateJwk)).resolves.toBe(expected);
    await expect(jwkThumbprint(publicKey)).resolves.toBe(expected);
    await expect(jwkThumbprint(key)).resolves.toBe(expected);
    expect(key.thumbprint).toBe(expected);
  });

  test('generated keys of every supported algorithm carry their own thumbprint and a public-only JWK', async () => {
    for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA'] as const) {
      const key = await generateDpopKey(alg);
      expect(key.alg).toBe(alg);
      expect(key.publicJwk).not.toHaveProperty('d');
      await expect(jwkThumbprint(key.publicJwk)).resolves.toBe(key.thumbprint);
    }
  });

  test('bad input is a clear HarnessError, not a TypeError', async () => {
    for (const bad of [undefined, null, 'eyJ...', 42, {}, { kty: 'RSA' }]) {
      const error = await jwkThumbprint(bad as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HarnessError);
      expect((error as HarnessError).code).toMatch(/INVALID_ARGUMENT|INVALID_KEY/);
    }
  });
});

describe('generateDpopKey / importSigningKey', () => {
  test('unsupported algorithms and public or symmetric keys are refused clearly', async () => {
    await expect(generateDpopKey('HS256' as never)).rejects.toThrow(/unsupported algorithm/);
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    await expect(importSigningKey(await exportJWK(publicKey))).rejects.toThrow(/no private members/);
    await expect(importSigningKey(publicKey)).rejects.toThrow(/expected a private key/);
    await expect(importSigningKey({ kty: 'oct', k: 'c2VjcmV0', d: 'x' } as JWK)).rejects.toThrow(/symmetric/);
    await expect(importSigningKey('not a key' as never)).rejects.toThrow(HarnessError);
  });

  test('the algorithm is inferred from the JWK (curve, OKP, RSA) unless given', async () => {
    const p384 = await importSigningKey(await exportJWK((await generateKeyPair('ES384', { extractable: true })).privateKey));
    expect(p384.alg).toBe('ES384');
    const ed = await importSigningKey(await exportJWK((await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })).privateKey));
    expect(ed.alg).toBe('EdDSA');
    const rsaJwk = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey);
    expect((await importSigningKey(rsaJwk)).alg).toBe('PS256');
    expect((await importSigningKey(rsaJwk, 'RS256')).alg).toBe('RS256');
  });
});
