import { beforeAll, describe, expect, test } from '@jest/globals';
import { compactVerify, decodeJwt, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import {
  accessTokenHash,
  createDpopProof,
  generateDpopKey,
  HarnessError,
  jwkThumbprint,
  type DpopKey,
  type DpopProofOverrides,
} from '../../src/harness';

const HTU = 'http://127.0.0.1:4000/oauth/token';
let key: DpopKey;
let otherKey: DpopKey;

beforeAll(async () => {
  [key, otherKey] = await Promise.all([generateDpopKey('ES256'), generateDpopKey('ES256')]);
});

function parts(proof: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  return { header: decodeProtectedHeader(proof) as Record<string, unknown>, payload: decodeJwt(proof) as Record<string, unknown> };
}

/** Verifies as a server would (RFC 9449 §4.3 items 4-7): typ, asymmetric alg, public embedded jwk, signature. */
async function verifiesAsDpop(proof: string): Promise<boolean> {
  try {
    await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'] });
    return true;
  } catch {
    return false;
  }
}

describe('createDpopProof (RFC 9449 §4.2)', () => {
  test('header typ dpop+jwt, alg from the key, public jwk only; payload jti, htm, htu, iat', async () => {
    const before = Math.floor(Date.now() / 1000);
    const proof = await createDpopProof({ key, htm: 'POST', htu: HTU });
    const { header, payload } = parts(proof);
    expect(header).toEqual({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk });
    expect(header.jwk).not.toHaveProperty('d');
    expect(Object.keys(payload).sort()).toEqual(['htm', 'htu', 'iat', 'jti']);
    expect(payload).toMatchObject({ htm: 'POST', htu: HTU });
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(await verifiesAsDpop(proof)).toBe(true);
    // Fresh jti per proof (RFC 9449 §11.1).
    expect(parts(await createDpopProof({ key, htm: 'POST', htu: HTU })).payload.jti).not.toBe(payload.jti);
  });

  test('htu drops query and fragment (RFC 9449 §4.2); nonce and ath are added when given', async () => {
    const token = 'opaque-access-token';
    const proof = await createDpopProof({ key, htm: 'POST', htu: `${HTU}?a=1#frag`, nonce: 'n-1', accessToken: token });
    const { payload } = parts(proof);
    expect(payload.htu).toBe(HTU);
    expect(payload.nonce).toBe('n-1');
    // RFC 9449 §4.2: ath = base64url(SHA-256(ASCII(token))); fixed vector computed independently with sha256sum.
    expect(accessTokenHash('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
    expect(payload.ath).toBe(accessTokenHash(token));
    expect(() => accessTokenHash('')).toThrow(HarnessError);
  });

  test.each(['ES256', 'RS256', 'PS256', 'EdDSA'] as const)('%s keys produce proofs that verify with their embedded jwk', async (alg) => {
    const k = alg === 'ES256' ? key : await generateDpopKey(alg);
    const proof = await createDpopProof({ key: k, htm: 'POST', htu: HTU });
    expect(parts(proof).header.alg).toBe(alg);
    expect(await verifiesAsDpop(proof)).toBe(true);
    await expect(jwkThumbprint(parts(proof).header.jwk as never)).resolves.toBe(k.thumbprint);
  });

  test('a private JWK or key object works as the key', async () => {
    const fromKeyObject = await createDpopProof({ key: key.privateKey, htm: 'POST', htu: HTU });
    expect(parts(fromKeyObject).header.jwk).toEqual(key.publicJwk);
    expect(await verifiesAsDpop(fromKeyObject)).toBe(true);
  });

  test('bad options are HarnessErrors', async () => {
    await expect(createDpopProof(undefined as never)).rejects.toThrow(HarnessError);
    await expect(createDpopProof({ key, htm: '', htu: HTU })).rejects.toThrow(/htm/);
    await expect(createDpopProof({ key, htm: 'POST', htu: 'not a url' })).rejects.toThrow(/absolute URI/);
    await expect(createDpopProof({ key: { nope: 1 } as never, htm: 'POST', htu: HTU })).rejects.toThrow(HarnessError);
    await expect(createDpopProof({ key, htm: 'POST', htu: HTU, crit: [] })).rejects.toThrow(/crit/);
  });
});

describe('negative overrides break exactly one thing', () => {
  const now = Math.floor(Date.now() / 1000);
  // [name, override, the header (h.) and payload (p.) members that must differ from the baseline, still verifies?]
  const cases: Array<[string, DpopProofOverrides | 'other-key', string[], boolean]> = [
    ['typ jwt', { typ: 'jwt' }, ['h.typ'], false],
    ['typ missing', { typ: null }, ['h.typ'], false],
    ['alg none', { alg: 'none' }, ['h.alg'], false],
    ['alg HS256', { alg: 'HS256' }, ['h.alg'], false],
    ['no jwk', { omitHeader: ['jwk'] }, ['h.jwk'], false],
    ['private jwk', { includePrivateJwk: true }, ['h.jwk'], false],
    ['bad signature', { badSignature: true }, [], false],
    ['other signing key', 'other-key', [], false],
    ['htm GET', { htm: 'GET' }, ['p.htm'], true],
    ['htu other', { htu: 'http://127.0.0.1:4000/other' }, ['p.htu'], true],
    ['no jti', { omit: ['jti'] }, ['p.jti'], true],
    ['no iat', { omit: ['iat'] }, ['p.iat'], true],
    ['old iat', { iat: now - 3600 }, ['p.iat'], true],
    ['future iat', { iat: now + 3600 }, ['p.iat'], true],
    ['nonce', { nonce: 'stale' }, ['p.nonce'], true],
    ['crit', { crit: ['urn:example:unknown'] }, ['h.crit', 'h.urn:example:unknown'], false],
    ['extra claims', { claims: { nbf: now, exp: now + 60 } }, ['p.nbf', 'p.exp'], true],
  ];

  test.each(cases)('%s', async (_name, option, expectedChanges, stillVerifies) => {
    const overrides: DpopProofOverrides = option === 'other-key' ? { signWith: otherKey } : option;
    const { htm = 'POST', htu = HTU, ...rest } = overrides;
    const fixed = { jti: 'fixed-jti', iat: now };
    const proof = await createDpopProof({ key, ...fixed, ...rest, htm, htu });
    const baseline = await createDpopProof({ key, htm: 'POST', htu: HTU, ...fixed });
    const got = parts(proof);
    const base = parts(baseline);
    const changed = (prefix: string, a: Record<string, unknown>, b: Record<string, unknown>): string[] =>
      Object.keys({ ...a, ...b })
        .filter((name) => JSON.stringify(a[name]) !== JSON.stringify(b[name]))
        .map((name) => `${prefix}${name}`);
    expect([...changed('h.', base.header, got.header), ...changed('p.', base.payload, got.payload)].sort()).toEqual([...expectedChanges].sort());
    expect(await verifiesAsDpop(baseline)).toBe(true);
    expect(await verifiesAsDpop(proof)).toBe(stillVerifies);
  });

  test('a bad signature and a foreign signing key still leave a well-formed proof naming our jwk', async () => {
    for (const overrides of [{ badSignature: true }, { signWith: otherKey }]) {
      const proof = await createDpopProof({ key, htm: 'POST', htu: HTU, ...overrides });
      expect(parts(proof).header).toEqual({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk });
      await expect(compactVerify(proof, key.publicKey)).rejects.toThrow();
    }
    const foreign = await createDpopProof({ key, htm: 'POST', htu: HTU, signWith: otherKey });
    await expect(compactVerify(foreign, otherKey.publicKey)).resolves.toBeDefined();
  });

  test('alg none is unsigned; HS256 is an HMAC over the same content', async () => {
    const none = await createDpopProof({ key, htm: 'POST', htu: HTU, alg: 'none' });
    expect(none.endsWith('.')).toBe(true);
    const secret = new TextEncoder().encode('x'.repeat(32));
    const hs = await createDpopProof({ key, htm: 'POST', htu: HTU, alg: 'HS256', hmacSecret: secret });
    await expect(compactVerify(hs, secret)).resolves.toBeDefined();
    expect(parts(hs).header.jwk).toEqual(key.publicJwk);
  });
});
