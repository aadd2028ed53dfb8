/**
 * The reference server's success responses, framing, grant and scope rules
 * (checklist sections 1, 2 and 4), each positive case next to the negative
 * that breaks it. Every response goes through the validation core.
 */
import { describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { basicAuthorization } from '../../src/harness';
import { clientFor, expectContract, expectError, useReferenceServer } from './support';

const ctx = useReferenceServer();
const FORM = 'application/x-www-form-urlencoded';
const basic = () => basicAuthorization('basic-client', 'basic-secret');
const raw = () => clientFor(ctx.server, 'basic-client').raw();

describe('success (checklist section 1)', () => {
  it('ok-basic: 200 Bearer with a signed RFC 9068 JWT access token, expires_in and scope', async () => {
    const res = await clientFor(ctx.server, 'basic-client').clientCredentials();
    await expectContract(res, { status: 200, tokenType: 'Bearer', scope: 'read write' });
    expect(res.body.expires_in).toBe(900);
    expect(res.body).not.toHaveProperty('refresh_token'); // RFC 6749 §4.4.3
    expect(res.body).not.toHaveProperty('cnf');
    const token = res.body.access_token as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const { payload } = await jwtVerify(token, createLocalJWKSet(ctx.server.jwks), { issuer: ctx.server.issuer, audience: ctx.server.issuer, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'basic-client', client_id: 'basic-client', scope: 'read write' });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(typeof payload.jti).toBe('string');
    expect(payload).not.toHaveProperty('cnf');
  });

  it('the JWKS and RFC 8414 metadata are served and describe the endpoint', async () => {
    const metadata = await raw().get('/.well-known/oauth-authorization-server');
    expect(metadata.status).toBe(200);
    expect(metadata.body).toMatchObject({
      issuer: ctx.server.issuer,
      token_endpoint: ctx.server.tokenEndpoint,
      // The demo clients include authorization_code ones (src/server/config.ts createDemoClients).
      grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'],
      authorization_endpoint: ctx.server.authorizationEndpoint,
    });
    const jwks = await raw().get('/jwks');
    expect(jwks.body).toEqual(ctx.server.jwks);
    expect(jwks.headers['cache-control']).toBe('no-store');
  });

  it('ok-post and ok-pkjwt: 200 for client_secret_post and private_key_jwt (aud = token endpoint or issuer)', async () => {
    await expectContract(await clientFor(ctx.server, 'post-client').clientCredentials({ scope: 'read' }), { status: 200, scope: 'read' });
    await expectContract(await clientFor(ctx.server, 'jwt-client').clientCredentials({ scope: 'write' }), { status: 200, scope: 'write' });
    const byIssuer = clientFor(ctx.server, 'jwt-client', { client: { audience: ctx.server.issuer } });
    await expectContract(await byIssuer.clientCredentials(), { status: 200, scope: 'read write' });
  });

  it('ok-basic-bodyid: Basic plus the same client_id in the body is accepted; a different one is invalid_request', async () => {
    const client = clientFor(ctx.server, 'basic-client');
    await expectContract(await client.clientCredentials({ params: { client_id: 'basic-client' } }), { status: 200 });
    await expectError(await client.clientCredentials({ params: { client_id: 'post-client' } }), 'invalid_request');
  });

  it('ok-json-body: the same parameters as JSON are accepted (attesto_phoenix extension)', async () => {
    const res = await clientFor(ctx.server, 'post-client').clientCredentials({ contentType: 'json', scope: 'read' });
    await expectContract(res, { status: 200, scope: 'read' });
  });

  it('param-unknown: unknown parameters are ignored (RFC 6749 §3.2)', async () => {
    await expectContract(await clientFor(ctx.server, 'basic-client').clientCredentials({ params: { foo: 'bar' } }), { status: 200 });
  });

  it('param-empty: scope= is treated as omitted, so the client default is granted', async () => {
    await expectContract(await clientFor(ctx.server, 'basic-client').clientCredentials({ scope: '' }), { status: 200, scope: 'read write' });
  });
});

describe('transport and format (checklist section 2)', () => {
  it('method-get: GET → 405, Allow: POST, an OAuth error body, no-store and no-cache', async () => {
    for (const method of ['get', 'put', 'delete'] as const) {
      const res = await raw()[method]('/oauth/token').set('Authorization', basic());
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.body.error).toBe('invalid_request');
      expect(res.body).not.toHaveProperty('access_token');
    }
  });

  it('ct-missing and ct-wrong → invalid_request, before client authentication (even with a bad Basic header)', async () => {
    const noType = await raw().post('/oauth/token').set('Authorization', basic()).send(Buffer.from('grant_type=client_credentials'));
    await expectError(noType, 'invalid_request');
    expect(noType.body.error_description).toMatch(/missing Content-Type/);
    for (const type of ['text/plain', 'multipart/form-data; boundary=x']) {
      const res = await raw().post('/oauth/token').set('Authorization', 'Basic bm9wZTpub3Bl').set('Content-Type', type).send('grant_type=client_credentials');
      await expectError(res, 'invalid_request');
    }
  });

  it('body-badjson → 400 invalid_request with the OAuth envelope', async () => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).set('Content-Type', 'application/json').send('{');
    await expectError(res, 'invalid_request');
  });

  it.each(['client_secret', 'client_id', 'grant_type', 'scope'])('query-creds: %s in the query string → invalid_request', async (name) => {
    const res = await raw().post(`/oauth/token?${name}=x`).set('Authorization', basic()).type('form').send('grant_type=client_credentials');
    await expectError(res, 'invalid_request');
    expect(res.body.error_description).toContain(name);
  });

  it('query-creds control: the same request without the query parameter succeeds', async () => {
    await expectContract(await raw().post('/oauth/token?foo=bar').set('Authorization', basic()).type('form').send('grant_type=client_credentials'), { status: 200 });
  });

  it.each([
    ['grant_type', 'grant_type=client_credentials&grant_type=client_credentials'],
    ['scope', 'grant_type=client_credentials&scope=read&scope=write'],
    ['client_id', 'grant_type=client_credentials&client_id=basic-client&client_id=basic-client'],
  ])('dup-param: %s twice → invalid_request (RFC 6749 §3.2)', async (_, body) => {
    await expectError(await raw().post('/oauth/token').set('Authorization', basic()).type('form').send(body), 'invalid_request');
  });

  it('dup-param in a JSON body → invalid_request', async () => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).set('Content-Type', 'application/json').send('{"grant_type":"client_credentials","scope":"read","scope":"write"}');
    await expectError(res, 'invalid_request');
  });

  it.each([
    ['a quote', 'a"b'],
    ['a backslash', 'a\\b'],
    ['non-ASCII', 'gr\u00e4nt\u2603'],
    ['a control character', 'a\u0007b'],
  ])('errdesc-chars: a grant_type with %s is echoed only in RFC 6749 §5.2 characters', async (_, grantType) => {
    const res = await clientFor(ctx.server, 'basic-client').clientCredentials({ params: { grant_type: grantType } });
    await expectError(res, 'unsupported_grant_type');
  });

  it('bodies over 64 KiB → 413 from the Content-Length alone, with no-store', async () => {
    const res = await raw().post('/oauth/token').set('Authorization', basic()).type('form').send(`grant_type=client_credentials&pad=${'x'.repeat(70_000)}`);
    expect(res.status).toBe(413);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    expect(res.body.error).toBe('invalid_request');
  });

  it('a chunked body that grows past the limit → 413 once the limit is crossed, and the server stays up', async () => {
    const url = new URL(ctx.server.tokenEndpoint);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'Content-Type': FORM, Authorization: basic() } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', reject);
      req.write('grant_type=client_credentials&pad=');
      // 80 KiB in chunks, never ended: the server must answer without waiting for the end.
      for (let i = 0; i < 20; i++) req.write('x'.repeat(4096));
    });
    expect(status).toBe(413);
    await expectContract(await clientFor(ctx.server, 'basic-client').clientCredentials(), { status: 200 });
  });

  it('a body just under the limit is read and parsed', async () => {
    const pad = 'x'.repeat(65_536 - 'grant_type=client_credentials&pad='.length);
    await expectContract(await raw().post('/oauth/token').set('Authorization', basic()).type('form').send(`grant_type=client_credentials&pad=${pad}`), { status: 200 });
  });

  it('an absolute-form request target (RFC 9112 §3.2.2) reaches the token endpoint', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(ctx.server.tokenEndpoint);
      const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: ctx.server.tokenEndpoint, headers: { 'Content-Type': FORM, Authorization: basic() } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end('grant_type=client_credentials');
    });
    expect(status).toBe(200);
  });

  it('other paths → 404 JSON with no-store', async () => {
    const res = await raw().post('/token').set('Authorization', basic()).type('form').send('grant_type=client_credentials');
    expect(res.status).toBe(404);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('grant and scope (checklist section 4)', () => {
  it('grant-missing: valid client, no grant_type (or an empty one) → invalid_request', async () => {
    const client = clientFor(ctx.server, 'basic-client');
    await expectError(await client.clientCredentials({ params: { grant_type: null } }), 'invalid_request');
    await expectError(await client.clientCredentials({ params: { grant_type: '' } }), 'invalid_request');
  });

  it('grant-missing is checked after authentication: bad credentials give invalid_client first', async () => {
    const client = clientFor(ctx.server, 'basic-client', { client: { secret: 'wrong' } });
    await expectError(await client.clientCredentials({ params: { grant_type: null } }), 'invalid_client', 401);
  });

  it.each(['password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer'])('grant-unsupported: %s → unsupported_grant_type', async (grantType) => {
    await expectError(await clientFor(ctx.server, 'basic-client').clientCredentials({ params: { grant_type: grantType } }), 'unsupported_grant_type');
  });

  it.each(['authorization_code', 'refresh_token'])('grant-not-for-client: %s, supported but not registered for basic-client → unauthorized_client', async (grantType) => {
    const res = await clientFor(ctx.server, 'basic-client').clientCredentials({ params: { grant_type: grantType } });
    await expectError(res, 'unauthorized_client');
    expect(res.body.error_description).toBe(`client is not authorized to use the ${grantType} grant`);
  });

  it('grant-not-for-client: a client registered for no grant → unauthorized_client (RFC 6749 §5.2)', async () => {
    await expectError(await clientFor(ctx.server, 'no-grant-client').clientCredentials(), 'unauthorized_client');
  });

  it.each([
    ['an unknown scope', 'delete'],
    ['a scope allowed to no client', 'admin'],
    ['one bad scope among good ones', 'read admin'],
  ])('scope-invalid: %s → invalid_scope', async (_, scope) => {
    await expectError(await clientFor(ctx.server, 'basic-client').clientCredentials({ scope }), 'invalid_scope');
  });

  it('a narrower scope is granted as asked', async () => {
    await expectContract(await clientFor(ctx.server, 'basic-client').clientCredentials({ scope: 'write' }), { status: 200, scope: 'write' });
  });
});
