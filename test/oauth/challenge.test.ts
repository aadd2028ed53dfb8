/**
 * The one WWW-Authenticate parser (RFC 9110 §11.6.1) the validation core and
 * the suite share: schemes, auth-params (token or quoted-string values),
 * token68, several challenges in one field, case-insensitive names.
 */
import { describe, expect, test } from '@jest/globals';
import { basicChallengesWithoutRealm, challengeSchemes, parseChallenges } from '../../src/oauth/challenge';

describe('parseChallenges', () => {
  test.each([
    ['Basic', [{ scheme: 'Basic', params: {} }]],
    ['Basic realm="x", charset="UTF-8"', [{ scheme: 'Basic', params: { realm: 'x', charset: 'UTF-8' } }]],
    ['Bearer, Basic realm="a"', [{ scheme: 'Bearer', params: {} }, { scheme: 'Basic', params: { realm: 'a' } }]],
    ['Basic realm=x', [{ scheme: 'Basic', params: { realm: 'x' } }]],
    ['basic REALM = "y"', [{ scheme: 'basic', params: { realm: 'y' } }]],
    // A quoted comma does not split, and \" is an escaped quote, not the end.
    ['Basic realm="a, b \\" c", charset=UTF-8', [{ scheme: 'Basic', params: { realm: 'a, b " c', charset: 'UTF-8' } }]],
    ['Bearer realm="p, q", error="invalid_token", Basic realm="b"', [{ scheme: 'Bearer', params: { realm: 'p, q', error: 'invalid_token' } }, { scheme: 'Basic', params: { realm: 'b' } }]],
    ['Newauth abc==, Basic', [{ scheme: 'Newauth', params: {}, token68: 'abc==' }, { scheme: 'Basic', params: {} }]],
    [', ,Basic realm="",', [{ scheme: 'Basic', params: { realm: '' } }]],
    ['DPoP algs="ES256 PS256"', [{ scheme: 'DPoP', params: { algs: 'ES256 PS256' } }]],
  ])('%s', (value, challenges) => {
    expect(parseChallenges(value)).toEqual(challenges);
  });

  test('text that breaks the grammar marks its challenge, and what parsed is kept', () => {
    expect(parseChallenges('Basic realm="x" charset="y"')).toEqual([{ scheme: 'Basic', params: { realm: 'x' }, malformed: true }]);
    expect(parseChallenges('Basic realm="unclosed, charset=x')).toEqual([{ scheme: 'Basic', params: { realm: 'unclosed, charset=x' }, malformed: true }]);
  });

  test('parameter names such as constructor are plain names', () => {
    expect(parseChallenges('Basic constructor=1')[0]!.params).toEqual({ constructor: '1' });
    expect(basicChallengesWithoutRealm('Basic constructor=1, __proto__=2')).toHaveLength(1);
  });

  test('challengeSchemes: parameters are not schemes', () => {
    expect(challengeSchemes('Bearer realm="a, Basic b", error="x", DPoP algs="ES256"')).toEqual(['Bearer', 'DPoP']);
  });
});

describe('basicChallengesWithoutRealm (RFC 7617 §2)', () => {
  test.each([
    ['Basic', 1],
    ['Basic charset="UTF-8"', 1],
    ['basic', 1],
    ['Bearer realm="x", Basic', 1],
    ['Basic realm="x", Basic', 1],
    ['Basic x="realm=y"', 1], // realm inside a quoted value is no parameter
    ['Basic realm', 1], // a token68, not a parameter
    ['Basic realm="x"', 0],
    ['BASIC Realm=x', 0],
    ['Basic realm="a, b", charset="UTF-8"', 0],
    ['Bearer, Basic realm="a"', 0],
    ['Bearer', 0],
    ['Bearer error="invalid_token"', 0],
  ])('%s: %d', (value, count) => {
    expect(basicChallengesWithoutRealm(value)).toHaveLength(count);
  });
});
