import type { OpenAPIV3 } from 'openapi-types';
import {
  COMPONENT_SCHEMAS,
  OPERATION_DEFAULTS,
  SCHEMA_NAMES,
  TOKEN_ERROR_CODES,
  dpopHeaderParameter,
  operation,
  requestBody,
  responses,
  schemas,
} from '../../src/openapi';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

describe('operation()', () => {
  it('has the contract defaults', () => {
    const op = operation();
    expect(op.tags).toEqual(['OAuth 2.0']);
    expect(op.operationId).toBe('attestoPhoenixTokenCreate');
    expect(op.summary).toBe('Issue an OAuth access token');
    expect(op.description).toMatch(/^Issues an OAuth 2\.0 access token\./);
    for (const topic of ['client_credentials', 'HTTP Basic', 'body client credentials', 'private_key_jwt', 'scope', 'DPoP proof header']) {
      expect(op.description).toContain(topic);
    }
    expect(op).not.toHaveProperty('security');
    expect(Object.keys(op).sort()).toEqual(['description', 'operationId', 'parameters', 'requestBody', 'responses', 'summary', 'tags']);
  });

  it('applies each option override and passes security through untouched', () => {
    const security: OpenAPIV3.SecurityRequirementObject[] = [{ clientBasic: [] }, { clientJwt: ['read'] }];
    const op = operation({ tags: ['Auth'], operationId: 'createToken', summary: 'S', description: 'D', security });
    expect(op).toMatchObject({ tags: ['Auth'], operationId: 'createToken', summary: 'S', description: 'D', security });
    expect(op.security).not.toBe(security); // a copy: the caller's array stays theirs
    security[0]!.clientBasic!.push('x');
    expect(op.security).toEqual([{ clientBasic: [] }, { clientJwt: ['read'] }]);
  });

  it('never names host security schemes by itself', () => {
    expect(JSON.stringify(operation())).not.toMatch(/securitySchemes|"security"/);
  });

  it('rejects options of the wrong type with a precise error', () => {
    expect(() => operation({ tags: 'x' as never })).toThrow('"tags" must be an array of strings');
    expect(() => operation({ operationId: 3 as never })).toThrow('"operationId" must be a string');
    expect(() => operation({ security: {} as never })).toThrow('"security" must be an array');
  });

  it('returns fresh values: mutating one result does not leak into the next', () => {
    const first = operation();
    first.tags!.push('mutated');
    (first.responses['200'] as { description: string }).description = 'mutated';
    expect(operation().tags).toEqual(['OAuth 2.0']);
    expect((operation().responses['200'] as { description: string }).description).toMatch(/^Access token response/);
    expect(OPERATION_DEFAULTS.tags).toEqual(['OAuth 2.0']);
  });

  it('declares exactly one parameter: the optional DPoP header', () => {
    expect(operation().parameters).toEqual([
      {
        name: 'DPoP',
        in: 'header',
        required: false,
        description: 'DPoP proof JWT for sender-constrained token requests (RFC 9449 §4.2).',
        schema: { type: 'string' },
      },
    ]);
    expect(dpopHeaderParameter()).toEqual(operation().parameters![0]);
  });
});

describe('requestBody()', () => {
  it('is required and accepts form and JSON bodies with the request schema', () => {
    expect(requestBody()).toEqual({
      description: 'OAuth 2.0 token request body (RFC 6749 §3.2).',
      required: true,
      content: {
        'application/x-www-form-urlencoded': { schema: ref('AttestoTokenClientCredentialsRequest') },
        'application/json': { schema: ref('AttestoTokenClientCredentialsRequest') },
      },
    });
  });
});

describe('responses()', () => {
  const res = responses() as Record<string, any>;

  it('is keyed by 200, 400 and 401 only', () => {
    expect(Object.keys(res).sort()).toEqual(['200', '400', '401']);
  });

  it('200: token response, no headers', () => {
    expect(res[200]).toEqual({
      description: 'Access token response (RFC 6749 §5.1; RFC 9449 for DPoP).',
      content: { 'application/json': { schema: ref('AttestoTokenResponse') } },
    });
  });

  it('400: error body and the DPoP-Nonce header', () => {
    expect(res[400].description).toBe('OAuth token endpoint error.');
    expect(res[400].content).toEqual({ 'application/json': { schema: ref('AttestoTokenError') } });
    expect(Object.keys(res[400].headers)).toEqual(['DPoP-Nonce']);
    expect(res[400].headers['DPoP-Nonce']).toEqual({
      description: 'Fresh nonce returned with `use_dpop_nonce` (RFC 9449 §8).',
      schema: { type: 'string' },
    });
  });

  it('401: error body, WWW-Authenticate and DPoP-Nonce headers', () => {
    expect(res[401].description).toBe('Client authentication or DPoP challenge.');
    expect(res[401].content).toEqual({ 'application/json': { schema: ref('AttestoTokenError') } });
    expect(Object.keys(res[401].headers).sort()).toEqual(['DPoP-Nonce', 'WWW-Authenticate']);
    expect(res[401].headers['WWW-Authenticate']).toEqual({
      description: 'Client-authentication challenge for 401 errors.',
      schema: { type: 'string' },
    });
  });
});

describe('schemas()', () => {
  const all = schemas() as Record<string, any>;

  it('returns exactly the five named component schemas', () => {
    expect(Object.keys(all).sort()).toEqual(
      ['AttestoBearerTokenResponse', 'AttestoDPoPTokenResponse', 'AttestoTokenClientCredentialsRequest', 'AttestoTokenError', 'AttestoTokenResponse'],
    );
    expect(Object.values(SCHEMA_NAMES).sort()).toEqual(Object.keys(all).sort());
    for (const [name, schema] of Object.entries(all)) expect(schema.title).toBe(name);
  });

  it('AttestoTokenClientCredentialsRequest', () => {
    const s = all.AttestoTokenClientCredentialsRequest;
    expect(s.type).toBe('object');
    expect(s.required).toEqual(['grant_type']);
    expect(Object.keys(s.properties).sort()).toEqual(
      ['client_assertion', 'client_assertion_type', 'client_id', 'client_secret', 'grant_type', 'scope'],
    );
    expect(s.properties.grant_type).toMatchObject({ type: 'string', enum: ['client_credentials'] });
    expect(s.properties.scope).toMatchObject({ type: 'string' });
    expect(s.properties.client_id).toMatchObject({ type: 'string' });
    expect(s.properties.client_secret).toMatchObject({ type: 'string', writeOnly: true });
    expect(s.properties.client_assertion_type).toMatchObject({
      type: 'string',
      enum: ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
    });
    expect(s.properties.client_assertion).toMatchObject({ type: 'string', writeOnly: true });
    expect(s.properties.client_id.writeOnly).toBeUndefined();
    expect(s.example).toEqual({ grant_type: 'client_credentials', scope: 'read', client_id: 'client-123', client_secret: 'secret' });
  });

  it('AttestoTokenResponse is a oneOf of the Bearer and DPoP responses', () => {
    expect(all.AttestoTokenResponse).toEqual({
      title: 'AttestoTokenResponse',
      oneOf: [ref('AttestoBearerTokenResponse'), ref('AttestoDPoPTokenResponse')],
    });
  });

  it.each([
    ['AttestoBearerTokenResponse', 'Bearer', ['access_token', 'token_type']],
    ['AttestoDPoPTokenResponse', 'DPoP', ['access_token', 'token_type', 'cnf']],
  ])('%s', (name, tokenType, required) => {
    const s = all[name];
    expect(s.type).toBe('object');
    expect(s.required).toEqual(required);
    expect(s.properties.access_token).toMatchObject({ type: 'string' });
    expect(s.properties.token_type).toMatchObject({ type: 'string', enum: [tokenType] });
    expect(s.properties.expires_in).toMatchObject({ type: 'integer', minimum: 0 });
    expect(s.properties.scope).toMatchObject({ type: 'string' });
    expect(s.example).toMatchObject({ access_token: 'eyJhbGciOi...', token_type: tokenType, expires_in: 3600, scope: 'read' });
  });

  it('the DPoP response requires cnf.jkt', () => {
    const s = all.AttestoDPoPTokenResponse;
    expect(s.properties.cnf).toMatchObject({ type: 'object', required: ['jkt'], properties: { jkt: { type: 'string' } } });
    expect(s.example.cnf).toEqual({ jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
    expect(all.AttestoBearerTokenResponse.properties.cnf).toBeUndefined();
  });

  it('AttestoTokenError has the ten error codes in contract order', () => {
    const s = all.AttestoTokenError;
    expect(s.required).toEqual(['error']);
    expect(s.properties.error.enum).toEqual([
      'invalid_request',
      'invalid_client',
      'invalid_grant',
      'unauthorized_client',
      'unsupported_grant_type',
      'invalid_scope',
      'server_error',
      'temporarily_unavailable',
      'invalid_dpop_proof',
      'use_dpop_nonce',
    ]);
    expect(TOKEN_ERROR_CODES).toEqual(s.properties.error.enum);
    expect(s.properties.error_description).toMatchObject({ type: 'string' });
    expect(s.example).toEqual({
      error: 'invalid_request',
      error_description: 'grant_type must be sent in the request body, not the query string',
    });
  });

  it('no schema sets additionalProperties (extra members are allowed)', () => {
    expect(JSON.stringify(all)).not.toContain('additionalProperties');
  });

  it('3.1: examples arrays instead of example, otherwise the same', () => {
    const v31 = schemas({ openapi: '3.1.0' }) as Record<string, any>;
    expect(JSON.stringify(v31)).not.toContain('"example"');
    for (const name of Object.keys(all)) {
      const { example, ...rest30 } = all[name];
      const { examples, ...rest31 } = v31[name];
      expect(rest31).toEqual(rest30);
      expect(examples).toEqual(example === undefined ? undefined : [example]);
    }
    expect(schemas({ openapi: '3.1' })).toEqual(v31);
  });

  it('returns mutable copies; the definitions themselves are frozen', () => {
    const copy = schemas() as Record<string, any>;
    copy.AttestoTokenError.required.push('x');
    expect((schemas() as Record<string, any>).AttestoTokenError.required).toEqual(['error']);
    expect(Object.isFrozen(COMPONENT_SCHEMAS.AttestoTokenError.required)).toBe(true);
  });

  it('refuses an unknown OpenAPI version', () => {
    expect(() => schemas({ openapi: '2.0' as never })).toThrow('unsupported OpenAPI version "2.0"');
  });
});
