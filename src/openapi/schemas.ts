/**
 * The five component schemas of the token endpoint, defined once.
 *
 * They mirror `AttestoPhoenix.OpenAPI.TokenEndpoint.schemas/0` (see
 * shared/contract.md) in OpenAPI 3.0 form. Everything else in the package
 * (the OpenAPI 3.1 variant, the Ajv validators, the matchers, the reference
 * server and the TypeScript types below) derives from these values.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { CLIENT_ASSERTION_TYPE } from '../oauth/protocol';

export const SCHEMA_NAMES = {
  request: 'AttestoTokenClientCredentialsRequest',
  tokenResponse: 'AttestoTokenResponse',
  bearerResponse: 'AttestoBearerTokenResponse',
  dpopResponse: 'AttestoDPoPTokenResponse',
  error: 'AttestoTokenError',
} as const;

export type SchemaName = (typeof SCHEMA_NAMES)[keyof typeof SCHEMA_NAMES];

/** `#/components/schemas/<Name>`: the only form of reference the fragment uses. */
export function schemaRef<N extends SchemaName>(name: N): { $ref: `#/components/schemas/${N}` } {
  return { $ref: `#/components/schemas/${name}` };
}

/** The one `client_assertion_type` the contract accepts (RFC 7523 §2.2; defined in src/oauth/protocol.ts). */
export const CLIENT_ASSERTION_TYPE_JWT_BEARER = CLIENT_ASSERTION_TYPE;

export const clientCredentialsRequestSchema = {
  title: SCHEMA_NAMES.request,
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: {
      type: 'string',
      enum: ['client_credentials'],
      description: 'OAuth grant type for RFC 6749 §4.4.',
    },
    scope: {
      type: 'string',
      description: 'Space-delimited requested scope values (RFC 6749 §3.3).',
    },
    client_id: {
      type: 'string',
      description: 'Client identifier when using body client authentication.',
    },
    client_secret: {
      type: 'string',
      writeOnly: true,
      description: 'Client secret when using client_secret_post.',
    },
    client_assertion_type: {
      type: 'string',
      enum: [CLIENT_ASSERTION_TYPE_JWT_BEARER],
      description: 'Client assertion type for private_key_jwt.',
    },
    client_assertion: {
      type: 'string',
      writeOnly: true,
      description: 'Signed client assertion JWT for private_key_jwt.',
    },
  },
  example: {
    grant_type: 'client_credentials',
    scope: 'read',
    client_id: 'client-123',
    client_secret: 'secret',
  },
} as const;

/** The four members shared by Bearer and DPoP token responses (RFC 6749 §5.1). */
function tokenResponseProperties<T extends string>(tokenType: T) {
  return {
    access_token: { type: 'string', description: 'Issued access token.' },
    token_type: {
      type: 'string',
      enum: [tokenType] as const,
      description: 'Token type returned by the authorization server.',
    },
    expires_in: { type: 'integer', minimum: 0, description: 'Lifetime in seconds.' },
    scope: { type: 'string', description: 'Space-delimited granted scope values.' },
  } as const;
}

export const bearerTokenResponseSchema = {
  title: SCHEMA_NAMES.bearerResponse,
  type: 'object',
  required: ['access_token', 'token_type'],
  properties: tokenResponseProperties('Bearer'),
  example: {
    access_token: 'eyJhbGciOi...',
    token_type: 'Bearer',
    expires_in: 3600,
    scope: 'read',
  },
} as const;

export const dpopTokenResponseSchema = {
  title: SCHEMA_NAMES.dpopResponse,
  type: 'object',
  required: ['access_token', 'token_type', 'cnf'],
  properties: {
    ...tokenResponseProperties('DPoP'),
    cnf: {
      type: 'object',
      required: ['jkt'],
      properties: {
        jkt: {
          type: 'string',
          description: 'JWK SHA-256 thumbprint binding the token to the DPoP proof key.',
        },
      },
    },
  },
  example: {
    access_token: 'eyJhbGciOi...',
    token_type: 'DPoP',
    expires_in: 3600,
    scope: 'read',
    cnf: { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' },
  },
} as const;

export const tokenResponseSchema = {
  title: SCHEMA_NAMES.tokenResponse,
  oneOf: [schemaRef(SCHEMA_NAMES.bearerResponse), schemaRef(SCHEMA_NAMES.dpopResponse)],
} as const;

/** Error codes of RFC 6749 §5.2 plus the two DPoP codes of RFC 9449 §5 and §8. */
export const TOKEN_ERROR_CODES = [
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
] as const;

export const tokenErrorSchema = {
  title: SCHEMA_NAMES.error,
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'string',
      enum: TOKEN_ERROR_CODES,
      description: 'OAuth 2.0 / DPoP error code.',
    },
    error_description: {
      type: 'string',
      description: 'Human-readable diagnostic message.',
    },
  },
  example: {
    error: 'invalid_request',
    error_description: 'grant_type must be sent in the request body, not the query string',
  },
} as const;

/** The component schemas as defined, in OpenAPI 3.0 form (frozen: copy before changing). */
export const COMPONENT_SCHEMAS = deepFreeze({
  [SCHEMA_NAMES.request]: clientCredentialsRequestSchema,
  [SCHEMA_NAMES.tokenResponse]: tokenResponseSchema,
  [SCHEMA_NAMES.bearerResponse]: bearerTokenResponseSchema,
  [SCHEMA_NAMES.dpopResponse]: dpopTokenResponseSchema,
  [SCHEMA_NAMES.error]: tokenErrorSchema,
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

// TypeScript types derived from the schemas, never written twice.
export type TokenClientCredentialsRequest = FromSchema<typeof clientCredentialsRequestSchema>;
export type BearerTokenResponse = FromSchema<typeof bearerTokenResponseSchema>;
export type DPoPTokenResponse = FromSchema<typeof dpopTokenResponseSchema>;
export type TokenResponse = BearerTokenResponse | DPoPTokenResponse;
export type TokenError = FromSchema<typeof tokenErrorSchema>;
export type TokenErrorCode = (typeof TOKEN_ERROR_CODES)[number];
export type TokenType = TokenResponse['token_type'];

/** The statuses the operation documents (200, 400, 401); here with the schemas so validation reads them without the operation builder. */
export type DocumentedStatus = 200 | 400 | 401;
export const DOCUMENTED_STATUSES: readonly DocumentedStatus[] = [200, 400, 401];
