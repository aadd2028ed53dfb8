import { expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { accessTokenJkt, decodeAccessToken, generateDpopKey, HarnessError } from '../../src/harness';

test('decodeAccessToken reads a JWT access token (cnf.jkt), and returns undefined for opaque or encrypted tokens', async () => {
  const key = await generateDpopKey('ES256');
  const jwt = await new SignJWT({ scope: 'read', cnf: { jkt: key.thumbprint } })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
    .setSubject('client')
    .sign(key.privateKey);
  expect(decodeAccessToken(jwt)).toMatchObject({ sub: 'client', scope: 'read', cnf: { jkt: key.thumbprint } });
  expect(accessTokenJkt(jwt)).toBe(key.thumbprint);

  expect(decodeAccessToken('2YotnFZFEjr1zCsicMWpAA')).toBeUndefined(); // RFC 6749 §4.4.3 example token
  expect(decodeAccessToken('aaa.bbb.ccc')).toBeUndefined(); // three segments, payload not JSON
  expect(decodeAccessToken('h.e.i.c.t')).toBeUndefined(); // JWE compact form: unreadable
  expect(accessTokenJkt('2YotnFZFEjr1zCsicMWpAA')).toBeUndefined();
  expect(() => decodeAccessToken(undefined as never)).toThrow(HarnessError);
});
