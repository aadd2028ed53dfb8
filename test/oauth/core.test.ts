/**
 * The shared OAuth layer (src/oauth): the one nonce policy, transport-error
 * vocabulary, client authentication and secret set the harness and the
 * suite both use.
 */
import { describe, expect, test } from '@jest/globals';
import { applyClientAuth, basicAuthorization } from '../../src/oauth/client-auth';
import { nonceChallenge, nonceOf, NonceTracker } from '../../src/oauth/dpop-nonce';
import { isErrorDescription, isNonce, isScopeToken, toErrorDescription } from '../../src/oauth/grammar';
import { CLIENT_ASSERTION_TYPE } from '../../src/oauth/protocol';
import { SecretSet } from '../../src/oauth/secrets';
import { classifyTransportError, isCertificateProblem, RequestTimeout } from '../../src/oauth/transport-error';
import { InvalidArgumentError } from '../../src/errors';

describe('the DPoP nonce policy (RFC 9449 §8)', () => {
  test('two joined fields ("a, b") and an empty value are no nonce; a comma inside one is fine; a malformed one is still used (a check judges its grammar)', () => {
    expect(nonceOf('abc,def')).toBe('abc,def');
    expect(nonceOf('abc, def')).toBeUndefined();
    expect(nonceOf('')).toBeUndefined();
    expect(nonceOf('quote"d')).toBe('quote"d');
    expect(isNonce('quote"d')).toBe(false);
    expect(nonceOf(undefined)).toBeUndefined();
  });

  test('a challenge is use_dpop_nonce on 400 (or 401) with a well-formed DPoP-Nonce; anything else is not', () => {
    const body = { error: 'use_dpop_nonce' };
    expect(nonceChallenge({ status: 400, body, nonceHeader: 'n1' })).toBe('n1');
    expect(nonceChallenge({ status: 401, body, nonceHeader: 'n1' })).toBe('n1');
    expect(nonceChallenge({ status: 400, body, nonceHeader: undefined })).toBeUndefined();
    expect(nonceChallenge({ status: 400, body, nonceHeader: 'a, b' })).toBeUndefined();
    expect(nonceChallenge({ status: 400, body: { error: 'invalid_dpop_proof' }, nonceHeader: 'n1' })).toBeUndefined();
    expect(nonceChallenge({ status: 200, body, nonceHeader: 'n1' })).toBeUndefined();
  });

  test('the tracker keeps the latest well-formed nonce, from any response (§8.2)', () => {
    const nonces = new NonceTracker();
    nonces.observe('first');
    nonces.observe(undefined);
    nonces.observe('not one, joined');
    expect(nonces.current).toBe('first');
    nonces.observe('second');
    expect(nonces.current).toBe('second');
    nonces.set(undefined);
    expect(nonces.current).toBeUndefined();
  });
});

describe('grammars', () => {
  test('error_description (RFC 6749 §5.2) refuses " and \\ and non-ASCII; the sanitiser makes any text fit', () => {
    expect(isErrorDescription('client authentication failed')).toBe(true);
    for (const bad of ['a"b', 'a\\b', 'gr\u00e4nt', 'tab\there', '']) expect(isErrorDescription(bad)).toBe(false);
    expect(toErrorDescription('a"b\\c\u00e4')).toBe('a?b?c?');
    expect(isErrorDescription(toErrorDescription('a"b\\c\u00e4 \u2603'))).toBe(true);
  });

  test('scope tokens and nonces share the NQCHAR set (no space, no " or \\)', () => {
    expect(isScopeToken('read:all')).toBe(true);
    expect(isScopeToken('read all')).toBe(false);
    expect(isNonce('a\\b')).toBe(false);
  });
});

describe('client authentication (RFC 6749 §2.3.1, RFC 7523 §2.2)', () => {
  test('each method adds what it should and nothing else', () => {
    expect(applyClientAuth('client_secret_basic', { id: 'c', secret: 's' })).toEqual({ headers: [['Authorization', basicAuthorization('c', 's')]], params: [] });
    expect(applyClientAuth('client_secret_post', { id: 'c', secret: 's' })).toEqual({ headers: [], params: [['client_id', 'c'], ['client_secret', 's']] });
    expect(applyClientAuth('private_key_jwt', { id: 'c', assertion: 'eyJ.x.y' })).toEqual({
      headers: [],
      params: [['client_assertion_type', CLIENT_ASSERTION_TYPE], ['client_assertion', 'eyJ.x.y']],
    });
    expect(applyClientAuth('none', { id: 'c' })).toEqual({ headers: [], params: [['client_id', 'c']] });
    // RFC 8705 §2: the certificate authenticates; the request names the client, and carries no secret even when one is given.
    for (const method of ['tls_client_auth', 'self_signed_tls_client_auth'] as const) {
      expect(applyClientAuth(method, { id: 'c', secret: 's' })).toEqual({ headers: [], params: [['client_id', 'c']] });
    }
  });

  test('a missing credential is an InvalidArgumentError naming the method, never a silent empty one', () => {
    expect(() => applyClientAuth('client_secret_basic', { id: 'c' })).toThrow(InvalidArgumentError);
    expect(() => applyClientAuth('private_key_jwt', { id: 'c' })).toThrow(/private_key_jwt needs a signed client assertion/);
  });

  test('Basic form-encodes id and secret before base64 (RFC 6749 §2.3.1)', () => {
    const value = basicAuthorization('a:b', 's p%');
    expect(Buffer.from(value.slice('Basic '.length), 'base64').toString('utf8')).toBe('a%3Ab:s+p%25');
  });
});

describe('transport errors', () => {
  test('node codes become one kind and words with the code', () => {
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toEqual({ kind: 'refused', code: 'ECONNREFUSED', words: 'connection refused (ECONNREFUSED)' });
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 'HPE_INVALID_CONSTANT' })).kind).toBe('malformed');
    expect(classifyTransportError(new Error('socket hang up')).kind).toBe('reset');
    // The system's connect timeout is not the caller's deadline.
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toEqual({ kind: 'other', code: 'ETIMEDOUT', words: 'connection timed out (ETIMEDOUT)' });
    expect(classifyTransportError(new RequestTimeout(250))).toEqual({ kind: 'timeout', code: undefined, words: 'timeout after 250 ms' });
    expect(classifyTransportError({ timeout: 100, code: 'ECONNABORTED' }).kind).toBe('timeout');
    const cert = classifyTransportError(Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }));
    expect(cert.kind).toBe('tls');
    expect(isCertificateProblem(cert)).toBe(true);
    expect(isCertificateProblem('connection reset (ECONNRESET)')).toBe(false);
  });
});

describe('SecretSet', () => {
  test('a secret is scrubbed raw, form-encoded and percent-encoded; short values are left alone', () => {
    const secrets = new SecretSet().add('s3cr et/+').add('abc');
    const text = `raw s3cr et/+ form ${new URLSearchParams({ v: 's3cr et/+' }).toString().slice(2)} pct ${encodeURIComponent('s3cr et/+')} short abc`;
    const out = secrets.scrub(text);
    expect(out).not.toContain('s3cr et/+');
    expect(out).not.toContain('s3cr+et%2F%2B');
    expect(out).not.toContain('s3cr%20et%2F%2B');
    expect(out).toContain('short abc');
  });

  test('an Authorization value registers its credential and, for Basic, the decoded secret', () => {
    const secrets = new SecretSet().addAuthorization(basicAuthorization('client', 'hunter22'));
    expect(secrets.scrub('echo hunter22 and client:hunter22')).not.toMatch(/hunter22/);
  });

  test('tokens and echoed secret members of a response, and every private JWK member, multi-prime oth included', () => {
    const secrets = new SecretSet()
      .addResponse({ access_token: 'at-value-1234', refresh_token: 'rt-value-1234', client_secret: 'echoed-secret', token_type: 'Bearer' })
      .addJwk({ kty: 'RSA', n: 'public-n', d: 'private-d-1234', oth: [{ r: 'prime-r-1234', d: 'oth-d-1234', t: 'oth-t-1234' }] });
    const out = secrets.scrub('at-value-1234 rt-value-1234 echoed-secret private-d-1234 oth-d-1234 public-n Bearer');
    expect(out).not.toMatch(/at-value|rt-value|echoed-secret|private-d|oth-d/);
    expect(out).toContain('public-n');
    expect(out).toContain('Bearer');
  });

  test('member names are scrubbed too, and a 40 KB secret needs no regular expression', () => {
    const huge = `tok${'x'.repeat(40_000)}`;
    const secrets = new SecretSet().add(huge).add('name-secret');
    const out = secrets.scrubValue({ details: { 'name-secret': 'rejected', value: `a ${huge} b` } }) as { details: Record<string, string> };
    expect(JSON.stringify(out)).not.toContain('name-secret');
    expect(JSON.stringify(out)).not.toContain(huge);
  });

  test('the longest secret is replaced first, so a secret holding another is replaced whole', () => {
    const secrets = new SecretSet().add('abcd').add('abcdefgh-long');
    // No prefix: "abcd" would be the whole of the shorter secret.
    expect(secrets.scrub('abcdefgh-long')).toBe('[redacted, 13 chars]');
  });

  test('secret parameters of a form, a JSON text or an object', () => {
    const secrets = new SecretSet().addParameters('grant_type=client_credentials&client_secret=form-secret').addParameters('{"client_assertion":"json-assertion"}').addParameters({ password: 'obj-password' });
    expect(secrets.scrub('form-secret json-assertion obj-password client_credentials')).toMatch(/^(\[redacted[^\]]*\] ){3}client_credentials$/);
  });
});
