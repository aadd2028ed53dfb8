/**
 * Whole documents: a path item, a complete OpenAPI document, and merging the
 * fragment into a host's existing document.
 */
import { isDeepStrictEqual } from 'node:util';
import type { OpenAPIV3, OpenAPIV3_1 } from 'openapi-types';
import { operation, pickOperationOptions, schemas, type Operation, type OperationOptions, type VersionOption } from './operation';
import { normalizeOpenApiVersion, type OpenApiVersion } from './version';
import { FragmentConflictError } from '../errors';
import { DEFAULT_TOKEN_PATH } from '../oauth/protocol';

export { FragmentConflictError };

export { DEFAULT_TOKEN_PATH };

export const DEFAULT_INFO: Readonly<OpenAPIV3.InfoObject> = Object.freeze({
  title: 'OAuth 2.0 token endpoint',
  version: '1.0.0',
  description: 'The attesto token endpoint contract (RFC 6749 §4.4 client_credentials, RFC 9449 DPoP).',
});

export type PathItem = { post: Operation };

/** The path item for the token endpoint: only `post` (RFC 6749 §3.2). */
export function pathItem(options: OperationOptions = {}): PathItem {
  return { post: operation(pickOperationOptions(options)) };
}

export interface DocumentOptions extends OperationOptions, VersionOption {
  /** Where the operation lives; default `/oauth/token`. */
  path?: string;
  info?: OpenAPIV3.InfoObject;
  servers?: OpenAPIV3.ServerObject[];
}

export type TokenEndpointDocument = (OpenAPIV3.Document | OpenAPIV3_1.Document) & {
  openapi: OpenApiVersion;
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, OpenAPIV3.SchemaObject> };
};

/** A complete OpenAPI document holding the token endpoint and its five schemas. */
export function document(options: DocumentOptions = {}): TokenEndpointDocument {
  const version = normalizeOpenApiVersion(options.openapi);
  const path = checkedPath(options.path ?? DEFAULT_TOKEN_PATH);
  const doc: Record<string, unknown> = {
    openapi: version,
    info: structuredClone(options.info ?? DEFAULT_INFO),
  };
  if (options.servers !== undefined) doc.servers = structuredClone(options.servers);
  doc.paths = { [path]: pathItem(options) };
  doc.components = { schemas: schemas({ openapi: version }) };
  return doc as TokenEndpointDocument;
}

/** Any OpenAPI 3.0/3.1 document object (typed loosely: hosts build them in many ways). */
export type HostDocument = OpenAPIV3.Document | OpenAPIV3_1.Document | { openapi?: string; [member: string]: unknown };

export interface MergeOptions extends OperationOptions {
  path?: string;
}

/** Raised by mergeInto when the host already defines something else under one of our names. */

/**
 * Returns a copy of `host` with the token endpoint path and the five component
 * schemas added. The input is never mutated. Identical existing entries are
 * accepted (merging twice is harmless); different ones are refused with an
 * error naming the conflict. Schemas follow the host's `openapi` version.
 */
export function mergeInto<D extends HostDocument>(host: D, options: MergeOptions = {}): D {
  if (host === null || typeof host !== 'object' || Array.isArray(host)) {
    throw new TypeError('mergeInto expects an OpenAPI document object');
  }
  const hostVersion = typeof host.openapi === 'string' ? host.openapi : '3.0.3';
  if (!/^3\.[01]\.\d+$/.test(hostVersion)) {
    throw new RangeError(`mergeInto supports OpenAPI 3.0 and 3.1 documents, not ${JSON.stringify(hostVersion)}`);
  }
  const version: OpenApiVersion = hostVersion.startsWith('3.1') ? '3.1.0' : '3.0.3';
  const path = checkedPath(options.path ?? DEFAULT_TOKEN_PATH);
  const merged = structuredClone(host) as Record<string, any>;
  const ours = pathItem(options);

  merged.paths ??= {};
  const existingItem = merged.paths[path];
  if (existingItem?.post !== undefined && !sameJson(existingItem.post, ours.post)) {
    throw new FragmentConflictError(`the host document already has a different operation at POST ${path}`, `#/paths/${pointerEscape(path)}/post`);
  }
  const clash = findOperationId(merged.paths, ours.post.operationId!, path);
  if (clash) {
    throw new FragmentConflictError(
      `the host document already uses operationId "${ours.post.operationId}" at ${clash}; pass another operationId`,
      clash,
    );
  }
  merged.paths[path] = { ...(existingItem ?? {}), post: ours.post };

  merged.components ??= {};
  merged.components.schemas ??= {};
  for (const [name, schema] of Object.entries(schemas({ openapi: version }))) {
    const existing = merged.components.schemas[name];
    if (existing !== undefined && !sameJson(existing, schema)) {
      throw new FragmentConflictError(
        `the host document already has a different component schema named "${name}"`,
        `#/components/schemas/${name}`,
      );
    }
    merged.components.schemas[name] = schema;
  }
  return merged as D;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function findOperationId(paths: Record<string, any>, operationId: string, ourPath: string): string | undefined {
  for (const [path, item] of Object.entries(paths)) {
    if (!item || typeof item !== 'object') continue;
    for (const method of HTTP_METHODS) {
      if (path === ourPath && method === 'post') continue;
      if (item[method]?.operationId === operationId) return `${method.toUpperCase()} ${path}`;
    }
  }
  return undefined;
}

/**
 * Structural equality of JSON values. Going through JSON first makes objects
 * from another realm (vm contexts, Jest) compare by content, not prototype.
 */
function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

function checkedPath(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new TypeError(`path must be a string starting with "/", got ${JSON.stringify(path)}`);
  }
  return path;
}

// RFC 6901 §3: "~" and "/" inside a reference token.
function pointerEscape(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
