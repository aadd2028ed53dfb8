/**
 * The server's building blocks, each shown to accept what it should and to
 * refuse what breaks it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair } from 'jose';
import { decodeBasicCredentials, secretsEqual } from '../../src/server/client-auth';
import { createDemoClients, resolveServerConfig, rsaModulusBits, ServerConfigError, type ReferenceClientConfig } from '../../src/server/config';
import { parseServerConfig } from '../../src/server/config-file';
import { createReferenceServer } from '../../src/server';
import { echo, safeDescription } from '../../src/server/errors';
import { htuMatches, normalizeHtu } from '../../src/server/htu';
import { DpopNonces } from '../../src/server/nonce';
import { ReplayCache } from '../../src/server/replay-cache';
import { firstDuplicateTopLevelKey, parseParameters, rejectQueryParameters, requestMediaType } from '../../src/server/request';
import { grantScopes } from '../../src/server/scope';

describe('ReplayCache', () => {
  it('refuses a key seen before, until it expires', () => {
    let now = 1_000_000;
    const cache = new ReplayCache(10, () => now);
    expect(cache.add('a', now + 1000)).toBe('recorded');
    expect(cache.add('a', now + 1000)).toBe('replay');
    now += 1000;
    expect(cache.has('a')).toBe(false);
    expect(cache.add('a', now + 1000)).toBe('recorded');
  });

  it('full of live entries: refuses new keys and forgets none, so nothing recorded can be replayed (RFC 7523 §3 item 7)', () => {
    let now = 0;
    const cache = new ReplayCache(100, () => now);
    for (let i = 0; i < 100; i++) expect(cache.add(`k${i}`, 1_000_000 + i)).toBe('recorded');
    for (let i = 0; i < 10_000; i++) expect(cache.add(`flood${i}`, 2_000_000)).toBe('full');
    expect(cache.size).toBe(100);
    for (let i = 0; i < 100; i++) expect(cache.add(`k${i}`, 1_000_000 + i)).toBe('replay');
    now = 999_999;
    expect(cache.has('k0')).toBe(true);
  });

  it('a full cache says when the first entry expires (Retry-After), then takes new keys once it has', () => {
    let now = 0;
    const cache = new ReplayCache(3, () => now);
    cache.add('a', 30_000);
    cache.add('b', 12_500);
    cache.add('c', 60_000);
    expect(cache.add('d', 60_000)).toBe('full');
    expect(cache.retryAfterSeconds()).toBe(13);
    now = 12_499;
    expect(cache.add('d', 60_000)).toBe('full');
    expect(cache.retryAfterSeconds()).toBe(1);
    now = 12_500; // b's credential can no longer be accepted
    expect(cache.add('d', 60_000)).toBe('recorded');
    expect(cache.size).toBe(3);
    expect(cache.add('a', 60_000)).toBe('replay');
  });

  it('sweeps in expiry order: a long-lived first entry does not keep expired later ones in the cache', () => {
    let now = 0;
    const cache = new ReplayCache(50, () => now);
    cache.add('long', 1_000_000);
    for (let i = 0; i < 49; i++) cache.add(`short${i}`, 10);
    now = 20;
    expect(cache.add('new', 100)).toBe('recorded');
    expect(cache.size).toBe(2);
    expect(cache.has('long')).toBe(true);
  });

  it('rejects a nonsensical size', () => {
    expect(() => new ReplayCache(0)).toThrow(RangeError);
  });
});

describe('DpopNonces', () => {
  it('accepts its current nonce, accepts the previous period as stale, then refuses it', () => {
    let now = 1_000_000_000;
    const nonces = new DpopNonces(60, () => now);
    const first = nonces.current();
    expect(first).toMatch(/^[A-Za-z0-9_-]+$/); // NQCHAR only (RFC 9449 §8.1)
    expect(nonces.check(first)).toBe('fresh');
    now += 60_000;
    expect(nonces.current()).not.toBe(first);
    expect(nonces.check(first)).toBe('stale');
    now += 60_000;
    expect(nonces.check(first)).toBe('invalid');
  });

  it('refuses forged and foreign nonces', () => {
    const a = new DpopNonces(300);
    const b = new DpopNonces(300);
    expect(a.check('stale')).toBe('invalid');
    expect(a.check('')).toBe('invalid');
    expect(a.check(b.current())).toBe('invalid');
  });
});

describe('normalizeHtu (RFC 9449 §4.3 item 9, RFC 3986 §6.2.2-6.2.3)', () => {
  const endpoint = new Set([normalizeHtu('https://as.example.com/oauth/token')!]);
  it.each([
    'https://as.example.com/oauth/token',
    'HTTPS://AS.EXAMPLE.COM/oauth/token',
    'https://as.example.com:443/oauth/token',
    'https://as.example.com/oauth/token?x=1#f',
    'https://as.example.com/oauth/./token',
    'https://as.example.com/%6Fauth/token',
  ])('matches %s', (htu) => expect(htuMatches(htu, endpoint)).toBe(true));

  it.each([
    'http://as.example.com/oauth/token',
    'https://other.example.com/oauth/token',
    'https://as.example.com:8443/oauth/token',
    'https://as.example.com/oauth/token/',
    'https://as.example.com/OAUTH/token',
    'https://user:pw@as.example.com/oauth/token',
    '/oauth/token',
    'not a url',
    'ftp://as.example.com/oauth/token',
  ])('does not match %s', (htu) => expect(htuMatches(htu, endpoint)).toBe(false));

  it('upper-cases percent-encodings it keeps', () => {
    expect(normalizeHtu('http://127.0.0.1:80/a%2fb')).toBe('http://127.0.0.1/a%2Fb');
  });
});

describe('Basic credentials (RFC 6749 §2.3.1)', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  it('form-url-decodes the id and the secret', () => {
    expect(decodeBasicCredentials(b64('my%20client:p%3Ass+word'))).toEqual(['my client', 'p:ss word']);
    expect(decodeBasicCredentials(b64('id:sec:ret'))).toEqual(['id', 'sec:ret']);
    expect(decodeBasicCredentials(b64('id:'))).toEqual(['id', '']);
  });
  it.each([
    ['not base64', 'not-base64!!'],
    ['no colon', b64('idonly')],
    ['empty id', b64(':secret')],
    ['bad percent-encoding', b64('id:%zz')],
    ['empty', ''],
  ])('refuses %s', (_, token) => expect(decodeBasicCredentials(token)).toBeUndefined());

  it('compares secrets of any length', () => {
    expect(secretsEqual('a', 'a')).toBe(true);
    expect(secretsEqual('a', 'ab')).toBe(false);
  });
});

describe('request framing', () => {
  it('accepts form and JSON media types, case-insensitively, with a UTF-8 charset', () => {
    expect(requestMediaType('application/x-www-form-urlencoded')).toBe('form');
    expect(requestMediaType('Application/X-WWW-Form-Urlencoded; charset=UTF-8')).toBe('form');
    expect(requestMediaType('application/json')).toBe('json');
  });
  it.each([undefined, '', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=iso-8859-1'])(
    'refuses Content-Type %p with invalid_request',
    (type) => expect(() => requestMediaType(type)).toThrow(expect.objectContaining({ code: 'invalid_request' })),
  );
  it.each(['grant_type', 'client_id', 'client_secret', 'scope', 'client_assertion'])('refuses %s in the query string', (name) => {
    expect(() => rejectQueryParameters(`${name}=x`)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
  it('ignores other query parameters', () => expect(() => rejectQueryParameters('foo=bar')).not.toThrow());

  it('treats empty form values as omitted and refuses repeated ones', () => {
    expect([...parseParameters(Buffer.from('grant_type=client_credentials&scope=&foo=bar'), 'form')]).toEqual([
      ['grant_type', 'client_credentials'],
      ['foo', 'bar'],
    ]);
    expect(() => parseParameters(Buffer.from('scope=a&scope=b'), 'form')).toThrow(/more than once/);
  });

  it('parses JSON objects; refuses malformed JSON, non-objects, non-string known members and repeated names', () => {
    expect(parseParameters(Buffer.from('{"grant_type":"client_credentials","extra":{"x":1}}'), 'json').get('grant_type')).toBe('client_credentials');
    for (const body of ['{', '[]', '"x"', '{"scope":1}', '{"grant_type":"a","grant_type":"b"}']) {
      expect(() => parseParameters(Buffer.from(body), 'json')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
  });

  it('finds repeated top-level JSON names only', () => {
    expect(firstDuplicateTopLevelKey('{"a":1,"b":{"a":2},"c":[{"a":3}]}')).toBeUndefined();
    expect(firstDuplicateTopLevelKey('{"a":"x\\"","b":1, "\\u0061" : 2}')).toBe('a');
  });
});

describe('error_description characters (RFC 6749 §5.2)', () => {
  it('replaces everything outside %x20-21 / %x23-5B / %x5D-7E', () => {
    const text = safeDescription('a"b\\c\u00e9\n\u0007~ !#[]');
    expect(text).toBe('a?b?c???~ !#[]');
    expect(echo('x'.repeat(100))).toHaveLength(45);
  });
});

describe('scope (RFC 6749 §3.3)', () => {
  const known = new Set(['read', 'write', 'admin']);
  const client = { scopes: ['read', 'write'] } as never;
  it('grants what is asked, or the client default when nothing is', () => {
    expect(grantScopes('write read write', client, known)).toEqual(['write', 'read']);
    expect(grantScopes(undefined, client, known)).toEqual(['read', 'write']);
    expect(grantScopes('  ', client, known)).toEqual(['read', 'write']);
  });
  it.each(['delete', 'admin', 'read "x', 'read\u00e9'])('refuses %p with invalid_scope', (scope) => {
    expect(() => grantScopes(scope, client, known)).toThrow(expect.objectContaining({ code: 'invalid_scope' }));
  });
});

describe('configuration', () => {
  it('resolves the demo configuration with the documented defaults', async () => {
    const config = await resolveServerConfig();
    expect([...config.clients.keys()]).toEqual(['basic-client', 'post-client', 'jwt-client', 'no-grant-client', 'dpop-client', 'public-client', 'code-client']);
    expect(config.clients.get('dpop-client')!.requireDpop).toBe(true);
    expect(config).toMatchObject({ tokenLifetimeSeconds: 900, maxBodyBytes: 65_536, iatWindowSeconds: 60, requireNonce: false, path: '/oauth/token', host: '127.0.0.1', port: 0 });
    expect(config).toMatchObject({ codeLifetimeSeconds: 60, refreshTokenRotation: true, refreshTokenGraceSeconds: 60, refreshTokenLifetimeSeconds: 86_400, grantStoreSize: 10_000, demoUser: 'demo-user' });
    expect([...config.clients.get('no-grant-client')!.grantTypes]).toEqual([]);
    expect([...config.clients.get('basic-client')!.grantTypes]).toEqual(['client_credentials']);
    const publicClient = config.clients.get('public-client')!;
    expect({ isPublic: publicClient.isPublic, authMethods: [...publicClient.authMethods], grantTypes: [...publicClient.grantTypes] }).toEqual({ isPublic: true, authMethods: [], grantTypes: ['authorization_code', 'refresh_token'] });
    expect([...config.clients.get('code-client')!.grantTypes]).toEqual(['authorization_code', 'refresh_token']);
  });

  it('gives the demo jwt-client a public JWKS and keeps the private JWK apart', async () => {
    const jwt = (await createDemoClients()).find((c) => c.id === 'jwt-client')!;
    expect(jwt.jwks!.keys[0]).not.toHaveProperty('d');
    expect(jwt.privateJwk).toHaveProperty('d');
  });

  // jose refuses to generate a 1024-bit RSA key, which is the point; node:crypto still can.
  const rsa1024 = async () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['a non-object', async () => 'x', /config must be an object/],
    ['a client without id', async () => ({ clients: [{ authMethods: ['client_secret_basic'], secret: 's' }] }), /clients\[0\]\.id/],
    ['an unknown auth method', async () => ({ clients: [{ id: 'a', authMethods: ['client_secret_jwt'], secret: 's' }] }), /authMethods/],
    ['a secret method without secret', async () => ({ clients: [{ id: 'a', authMethods: ['client_secret_post'] }] }), /secret is required/],
    ['private_key_jwt without jwks', async () => ({ clients: [{ id: 'a', authMethods: ['private_key_jwt'] }] }), /jwks/],
    ['a private key in jwks', async () => ({ clients: [{ id: 'a', authMethods: ['private_key_jwt'], jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } }] }), /public key/],
    ['an RSA key under 2048 bits', async () => ({ clients: [{ id: 'a', authMethods: ['private_key_jwt'], jwks: { keys: [await rsa1024()] } }] }), /2048/],
    ['an HMAC key', async () => ({ clients: [{ id: 'a', authMethods: ['private_key_jwt'], jwks: { keys: [{ kty: 'oct', x: 'a' }] } }] }), /allows none/],
    ['an unknown client scope', async () => ({ clients: [{ id: 'a', authMethods: ['client_secret_post'], secret: 's', scopes: ['delete'] }] }), /not in the server's scopes/],
    ['a duplicate client id', async () => ({ clients: [1, 2].map(() => ({ id: 'a', authMethods: ['client_secret_post'], secret: 's' })) }), /registered twice/],
    ['a bad lifetime', async () => ({ tokenLifetimeSeconds: -1 }), /tokenLifetimeSeconds/],
    ['a bad port', async () => ({ port: 70000 }), /port/],
    ['an issuer with a query', async () => ({ issuer: 'https://as.example?x=1' }), /issuer/],
    ['a path without slash', async () => ({ path: 'token' }), /path/],
  ];
  it.each(cases)('refuses %s with a ServerConfigError naming it', async (_, make, message) => {
    const config = (await make()) as ReferenceClientConfig;
    await expect(resolveServerConfig(config as never)).rejects.toThrow(ServerConfigError);
    await expect(resolveServerConfig(config as never)).rejects.toThrow(message);
  });

  it('createReferenceServer refuses a non-object config with a ServerConfigError, not a TypeError', async () => {
    for (const bad of [null, 'x', [1]]) await expect(createReferenceServer(bad as never)).rejects.toThrow(ServerConfigError);
    await expect(createReferenceServer({ clients: 'x' as never })).rejects.toThrow(/clients must be an array/);
  });

  it('measures RSA modulus sizes', async () => {
    expect(rsaModulusBits(await exportJWK((await generateKeyPair('PS256', { modulusLength: 2048 })).publicKey))).toBe(2048);
  });

  it('parses config files and refuses unknown members (typos)', () => {
    expect(parseServerConfig('{"tokenLifetimeSeconds": 60}', 'c.json')).toEqual({ tokenLifetimeSeconds: 60 });
    expect(parseServerConfig('dpop:\n  requireNonce: true\n', 'c.yaml')).toEqual({ dpop: { requireNonce: true } });
    expect(() => parseServerConfig('{"tokenLifetime": 60}', 'c.json')).toThrow(/unknown member "tokenLifetime"/);
    expect(() => parseServerConfig('{"dpop": {"requireNonces": true}}', 'c.json')).toThrow(/dpop: unknown member/);
    expect(() => parseServerConfig('{"clients": [{"id": "a", "secrets": "x"}]}', 'c.json')).toThrow(/clients\[0\]: unknown member/);
    expect(() => parseServerConfig('{', 'c.json')).toThrow(/not valid JSON/);
    expect(() => parseServerConfig('[1]', 'c.json')).toThrow(/must be an object/);
  });
});
