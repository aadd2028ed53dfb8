/**
 * The `POST /oauth/token` operation, mirroring
 * `AttestoPhoenix.OpenAPI.TokenEndpoint.operation/1`, `request_body/0`,
 * `responses/0` and `schemas/0`.
 */
import type { OpenAPIV3, OpenAPIV3_1 } from 'openapi-types';
import { DPOP_NONCE_HEADER, FORM_MEDIA_TYPE, JSON_MEDIA_TYPE } from '../oauth/protocol';
import { COMPONENT_SCHEMAS, DOCUMENTED_STATUSES, SCHEMA_NAMES, schemaRef, type DocumentedStatus } from './schemas';
import { DEFAULT_OPENAPI_VERSION, normalizeOpenApiVersion, schemaForVersion, type OpenApiVersion } from './version';

/** The request and response media types (src/oauth/protocol.ts). */
export const MEDIA_TYPE_FORM = FORM_MEDIA_TYPE;
export const MEDIA_TYPE_JSON = JSON_MEDIA_TYPE;

export const OPERATION_DEFAULTS = Object.freeze({
  tags: Object.freeze(['OAuth 2.0']) as readonly string[],
  operationId: 'attestoPhoenixTokenCreate',
  summary: 'Issue an OAuth access token',
  description:
    'Issues an OAuth 2.0 access token. This operation documents the\n' +
    '`client_credentials` grant request, including HTTP Basic client\n' +
    'authentication, body client credentials, `private_key_jwt`, optional\n' +
    '`scope`, and an optional DPoP proof header.\n',
});

export interface OperationOptions {
  tags?: readonly string[];
  operationId?: string;
  summary?: string;
  description?: string;
  /**
   * Host-supplied security requirements, passed through as given. The
   * fragment never names security-scheme components itself.
   */
  security?: OpenAPIV3.SecurityRequirementObject[];
}

export interface VersionOption {
  /** `3.0.3` (default) or `3.1.0`; `3.0` and `3.1` are accepted too. */
  openapi?: OpenApiVersion | '3.0' | '3.1';
}

/** Typed as OpenAPI 3.0; the same operation object is valid in 3.1 documents. */
export type Operation = OpenAPIV3.OperationObject;
export type Schema = OpenAPIV3.SchemaObject | OpenAPIV3_1.SchemaObject;

const OPERATION_OPTION_KEYS = ['tags', 'operationId', 'summary', 'description', 'security'] as const;

/** Picks the operation options out of a larger options object (document(), pathItem()). */
export function pickOperationOptions(options: OperationOptions): OperationOptions {
  const picked: OperationOptions = {};
  for (const key of OPERATION_OPTION_KEYS) {
    if (options[key] !== undefined) (picked as Record<string, unknown>)[key] = options[key];
  }
  return picked;
}

/** The `DPoP` request header parameter (RFC 9449 §4.2). */
export function dpopHeaderParameter(): OpenAPIV3.ParameterObject {
  return {
    name: 'DPoP',
    in: 'header',
    required: false,
    description: 'DPoP proof JWT for sender-constrained token requests (RFC 9449 §4.2).',
    schema: { type: 'string' },
  };
}

/** The token request body for the media types the token endpoint accepts. */
export function requestBody(): OpenAPIV3.RequestBodyObject {
  return {
    description: 'OAuth 2.0 token request body (RFC 6749 §3.2).',
    required: true,
    content: {
      [MEDIA_TYPE_FORM]: { schema: schemaRef(SCHEMA_NAMES.request) },
      [MEDIA_TYPE_JSON]: { schema: schemaRef(SCHEMA_NAMES.request) },
    },
  };
}

function stringHeader(description: string): OpenAPIV3.HeaderObject {
  return { description, schema: { type: 'string' } };
}

const dpopNonceHeader = () => stringHeader('Fresh nonce returned with `use_dpop_nonce` (RFC 9449 §8).');

function errorResponse(description: string, headers: Record<string, OpenAPIV3.HeaderObject>): OpenAPIV3.ResponseObject {
  return { description, headers, content: { [MEDIA_TYPE_JSON]: { schema: schemaRef(SCHEMA_NAMES.error) } } };
}

export { DOCUMENTED_STATUSES, type DocumentedStatus };

/** Token endpoint responses keyed by HTTP status. */
export function responses(): Record<DocumentedStatus, OpenAPIV3.ResponseObject> {
  return {
    200: {
      description: 'Access token response (RFC 6749 §5.1; RFC 9449 for DPoP).',
      content: { [MEDIA_TYPE_JSON]: { schema: schemaRef(SCHEMA_NAMES.tokenResponse) } },
    },
    400: errorResponse('OAuth token endpoint error.', { [DPOP_NONCE_HEADER]: dpopNonceHeader() }),
    401: errorResponse('Client authentication or DPoP challenge.', {
      'WWW-Authenticate': stringHeader('Client-authentication challenge for 401 errors.'),
      [DPOP_NONCE_HEADER]: dpopNonceHeader(),
    }),
  };
}

/** The OpenAPI operation for `POST /oauth/token`. */
export function operation(options: OperationOptions = {}): Operation {
  assertOperationOptions(options);
  const op: Operation = {
    tags: [...(options.tags ?? OPERATION_DEFAULTS.tags)],
    operationId: options.operationId ?? OPERATION_DEFAULTS.operationId,
    summary: options.summary ?? OPERATION_DEFAULTS.summary,
    description: options.description ?? OPERATION_DEFAULTS.description,
    parameters: [dpopHeaderParameter()],
    requestBody: requestBody(),
    responses: responses(),
  };
  if (options.security !== undefined) op.security = structuredClone(options.security);
  return op;
}

/** The five component schemas, keyed by name, in the requested version's dialect. */
export function schemas(options: VersionOption = {}): Record<string, Schema> {
  const version = normalizeOpenApiVersion(options.openapi ?? DEFAULT_OPENAPI_VERSION);
  return schemaForVersion(COMPONENT_SCHEMAS, version) as unknown as Record<string, Schema>;
}

function assertOperationOptions(options: OperationOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('operation options must be an object');
  }
  if (options.tags !== undefined && (!Array.isArray(options.tags) || !options.tags.every((t) => typeof t === 'string'))) {
    throw new TypeError('operation option "tags" must be an array of strings');
  }
  for (const key of ['operationId', 'summary', 'description'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') {
      throw new TypeError(`operation option "${key}" must be a string`);
    }
  }
  if (options.security !== undefined && !Array.isArray(options.security)) {
    throw new TypeError('operation option "security" must be an array of security requirement objects');
  }
}
