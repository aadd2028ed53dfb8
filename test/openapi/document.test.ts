import type { OpenAPIV3 } from 'openapi-types';
import { FragmentConflictError, document, mergeInto, operation, pathItem, schemas } from '../../src/openapi';
import { validateWithIndependentValidator } from './independent-validator';

describe('document()', () => {
  it('3.0 and 3.1 documents validate with an independent OpenAPI validator', () => {
    const docs = [
      document(),
      document({ openapi: '3.1.0' }),
      document({ openapi: '3.0', path: '/token', servers: [{ url: 'https://auth.example.com' }], security: [{ basic: [] }] }),
      document({ openapi: '3.1', info: { title: 'Host', version: '9.9.9' }, tags: ['Auth'] }),
    ];
    const results = validateWithIndependentValidator(docs);
    expect(results.map((r) => [r.version, r.valid, r.errors])).toEqual([
      ['3.0', true, []],
      ['3.1', true, []],
      ['3.0', true, []],
      ['3.1', true, []],
    ]);
  });

  it('the validator does reject broken variants (so the check above can fail)', () => {
    const noDescription = document() as any;
    delete noDescription.paths['/oauth/token'].post.responses['200'].description;
    const examplesIn30 = document() as any;
    examplesIn30.components.schemas = schemas({ openapi: '3.1.0' });
    const results = validateWithIndependentValidator([noDescription, examplesIn30]);
    expect(results.map((r) => r.valid)).toEqual([false, false]);
  });

  it('holds the path, the operation and the five schemas, all refs resolvable', () => {
    const doc = document({ path: '/token', operationId: 'x' }) as any;
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(['/token']);
    expect(Object.keys(doc.paths['/token'])).toEqual(['post']);
    expect(doc.paths['/token'].post).toEqual(operation({ operationId: 'x' }));
    expect(doc.components.schemas).toEqual(schemas());
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g)!;
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect(doc.components.schemas).toHaveProperty([r.split('/').pop()!]);
  });

  it('uses the default path, info and no servers unless given', () => {
    const doc = document() as any;
    expect(Object.keys(doc.paths)).toEqual(['/oauth/token']);
    expect(doc.info.title).toBe('OAuth 2.0 token endpoint');
    expect(doc).not.toHaveProperty('servers');
    expect(document({ info: { title: 'T', version: '2' } }).info).toEqual({ title: 'T', version: '2' });
  });

  it('rejects a path without a leading slash and an unknown version', () => {
    expect(() => document({ path: 'oauth/token' })).toThrow('path must be a string starting with "/"');
    expect(() => document({ openapi: '3.2' as never })).toThrow('unsupported OpenAPI version');
  });

  it('pathItem() holds only post', () => {
    expect(pathItem({ summary: 'S' })).toEqual({ post: operation({ summary: 'S' }) });
  });
});

describe('mergeInto()', () => {
  const host = (): OpenAPIV3.Document => ({
    openapi: '3.0.3',
    info: { title: 'Host API', version: '1.2.3' },
    paths: {
      '/users': { get: { operationId: 'listUsers', responses: { 200: { description: 'ok' } } } },
      '/oauth/token': { parameters: [{ name: 'X-Trace', in: 'header', schema: { type: 'string' } }] },
    },
    components: {
      schemas: { User: { type: 'object' } },
      securitySchemes: { basic: { type: 'http', scheme: 'basic' } },
    },
  });

  it('keeps host content, adds ours, and does not mutate the input', () => {
    const input = host();
    const before = structuredClone(input);
    const merged = mergeInto(input, { security: [{ basic: [] }] }) as any;
    expect(input).toEqual(before);
    expect(merged.info).toEqual(before.info);
    expect(merged.paths['/users']).toEqual(before.paths['/users']);
    expect(merged.paths['/oauth/token'].parameters).toEqual(before.paths['/oauth/token']!.parameters);
    expect(merged.paths['/oauth/token'].post).toEqual(operation({ security: [{ basic: [] }] }));
    expect(merged.components.securitySchemes).toEqual(before.components!.securitySchemes);
    expect(merged.components.schemas.User).toEqual({ type: 'object' });
    expect(Object.keys(merged.components.schemas).sort()).toEqual(['User', ...Object.keys(schemas())].sort());
    expect(validateWithIndependentValidator([merged])[0]!.valid).toBe(true);
  });

  it('follows the host version (3.1 gets examples arrays) and a custom path', () => {
    const merged = mergeInto({ openapi: '3.1.0', info: { title: 'H', version: '1' } }, { path: '/token' }) as any;
    expect(merged.paths['/token'].post.operationId).toBe('attestoPhoenixTokenCreate');
    expect(merged.components.schemas).toEqual(schemas({ openapi: '3.1.0' }));
  });

  it('is idempotent: merging twice gives the same document', () => {
    const once = mergeInto(host());
    expect(mergeInto(once)).toEqual(once);
  });

  it('refuses a different schema under one of our names, naming it', () => {
    const h = host();
    h.components!.schemas!.AttestoTokenError = { type: 'object', required: ['code'] };
    expect(() => mergeInto(h)).toThrow(FragmentConflictError);
    expect(() => mergeInto(h)).toThrow('different component schema named "AttestoTokenError"');
  });

  it('refuses a different operation at POST path, naming it', () => {
    const h = host();
    h.paths['/oauth/token'] = { post: { responses: { 200: { description: 'mine' } } } };
    expect(() => mergeInto(h)).toThrow('already has a different operation at POST /oauth/token');
    try {
      mergeInto(h);
    } catch (error) {
      expect((error as FragmentConflictError).location).toBe('#/paths/~1oauth~1token/post');
    }
  });

  it('refuses a clashing operationId elsewhere in the host, and accepts another one', () => {
    const h = host();
    h.paths['/users']!.get!.operationId = 'attestoPhoenixTokenCreate';
    expect(() => mergeInto(h)).toThrow('already uses operationId "attestoPhoenixTokenCreate" at GET /users');
    expect(() => mergeInto(h, { operationId: 'createToken' })).not.toThrow();
  });

  it('rejects a non-document and an unsupported host version', () => {
    expect(() => mergeInto(null as never)).toThrow('expects an OpenAPI document object');
    expect(() => mergeInto({ openapi: '2.0' } as never)).toThrow('supports OpenAPI 3.0 and 3.1');
  });
});
