/**
 * header.www-authenticate.basic-realm: a Basic challenge without realm is a
 * problem on any response that carries it (RFC 7617 §2), in the validation
 * core and through the matchers.
 */
import { describe, expect, test } from '@jest/globals';
import '../../src/matchers/jest';
import { RULES, validateTokenEndpointResponse } from '../../src/validate';

const headers = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };
const refusal = (challenge: string, status = 401) => ({ status, headers: { ...headers, 'www-authenticate': challenge }, body: { error: 'invalid_client' } });
const rules = (challenge: string, status = 401) => validateTokenEndpointResponse(refusal(challenge, status), { error: 'invalid_client' }).problems.map((p) => p.rule);

describe('a Basic challenge names a realm', () => {
  test.each(['Basic', 'Basic charset="UTF-8"', 'Bearer realm="x", Basic', 'Basic realm="a", Basic'])('%s: the realm problem, once', (challenge) => {
    expect(rules(challenge)).toEqual([RULES.basicRealm]);
  });

  test('the problem cites RFC 7617 §2 and carries the header as received', () => {
    const [problem] = validateTokenEndpointResponse(refusal('Basic'), { error: 'invalid_client' }).problems;
    expect(problem).toMatchObject({ where: 'header', pointer: '/www-authenticate', rule: 'header.www-authenticate.basic-realm', received: 'Basic' });
    expect(problem!.message).toContain('RFC 7617 §2');
  });

  test.each(['Basic realm="OAuth"', 'basic REALM=x', 'Basic realm="a, b", charset="UTF-8"', 'Bearer, Basic realm="a"', 'Bearer', 'DPoP algs="ES256"'])('%s: no problem', (challenge) => {
    expect(rules(challenge)).toEqual([]);
  });

  test('on any response that carries the challenge, not only a 401', () => {
    expect(rules('Basic', 400)).toEqual([RULES.basicRealm]);
    expect(rules('Basic realm="x"', 400)).toEqual([]);
  });

  test('through the matchers', () => {
    expect(() => expect(refusal('Basic charset="UTF-8"')).toMatchTokenError('invalid_client')).toThrow(/\[header\.www-authenticate\.basic-realm\]/);
    expect(refusal('Bearer, Basic realm="a, b"')).toMatchTokenError('invalid_client');
    expect(refusal('Basic')).not.toMatchTokenEndpointContract();
  });
});
