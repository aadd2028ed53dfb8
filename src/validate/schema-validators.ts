/**
 * Ajv validators for the fragment's component schemas: compiled once, on
 * first use, then shared (compile once, validate many).
 *
 * The schemas come from src/openapi in their OpenAPI 3.0 form. Ajv runs in
 * strict mode; the OpenAPI-only keywords are handled explicitly:
 * - annotations without validation meaning (`example`, `xml`,
 *   `externalDocs`) are registered as annotation keywords;
 * - `readOnly`, `writeOnly` and `deprecated` are JSON Schema metadata Ajv
 *   already knows;
 * - `nullable` and `discriminator` change validation in OpenAPI 3.0; the
 *   fragment uses neither, and compiling refuses them rather than silently
 *   validating differently.
 * `$ref`s (`#/components/schemas/<Name>`) are rewritten to the schema ids
 * used inside this Ajv instance.
 */
import { InternalError } from '../errors';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import {
  schemas,
  SCHEMA_NAMES,
  type BearerTokenResponse,
  type DPoPTokenResponse,
  type SchemaName,
  type TokenClientCredentialsRequest,
  type TokenError,
  type TokenResponse,
} from '../openapi';

const ID_BASE = 'https://attesto-token-contract.invalid/schemas/';
const COMPONENT_REF = /^#\/components\/schemas\/([A-Za-z0-9._-]+)$/;
const OPENAPI_ANNOTATIONS = ['example', 'xml', 'externalDocs'] as const;
const OPENAPI_SEMANTIC_KEYWORDS = ['nullable', 'discriminator'] as const;

export interface ContractValidators {
  /** `AttestoTokenResponse`: the `oneOf` of Bearer and DPoP. */
  tokenResponse: ValidateFunction<TokenResponse>;
  bearerResponse: ValidateFunction<BearerTokenResponse>;
  dpopResponse: ValidateFunction<DPoPTokenResponse>;
  error: ValidateFunction<TokenError>;
  request: ValidateFunction<TokenClientCredentialsRequest>;
}

let compiled: ContractValidators | undefined;

/** The compiled validators (compiled on the first call only). */
export function contractValidators(): ContractValidators {
  return (compiled ??= compileValidators());
}

/** The validator of one component schema by name, e.g. `schemaValidator('AttestoTokenError')`. */
export function schemaValidator(name: SchemaName): ValidateFunction<unknown> {
  const validators = contractValidators();
  switch (name) {
    case SCHEMA_NAMES.tokenResponse:
      return validators.tokenResponse;
    case SCHEMA_NAMES.bearerResponse:
      return validators.bearerResponse;
    case SCHEMA_NAMES.dpopResponse:
      return validators.dpopResponse;
    case SCHEMA_NAMES.error:
      return validators.error;
    case SCHEMA_NAMES.request:
      return validators.request;
    default:
      throw new RangeError(`unknown component schema ${JSON.stringify(name)}`);
  }
}

function compileValidators(): ContractValidators {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  for (const keyword of OPENAPI_ANNOTATIONS) ajv.addKeyword({ keyword });

  for (const [name, schema] of Object.entries(schemas({ openapi: '3.0.3' }))) {
    ajv.addSchema({ ...toAjvSchema(schema, name), $id: ID_BASE + name });
  }
  const get = <T>(name: SchemaName): ValidateFunction<T> => {
    const validate = ajv.getSchema<T>(ID_BASE + name);
    if (!validate) throw new InternalError(`internal: schema ${name} did not compile`);
    return validate as ValidateFunction<T>;
  };
  return {
    tokenResponse: get<TokenResponse>(SCHEMA_NAMES.tokenResponse),
    bearerResponse: get<BearerTokenResponse>(SCHEMA_NAMES.bearerResponse),
    dpopResponse: get<DPoPTokenResponse>(SCHEMA_NAMES.dpopResponse),
    error: get<TokenError>(SCHEMA_NAMES.error),
    request: get<TokenClientCredentialsRequest>(SCHEMA_NAMES.request),
  };
}

/** A copy with component `$ref`s pointing at our ids; refuses keywords Ajv would misread. Exported for tests. */
export function toAjvSchema(value: unknown, at: string): Record<string, unknown> {
  return convert(value, at) as Record<string, unknown>;
}

function convert(value: unknown, at: string): unknown {
  if (Array.isArray(value)) return value.map((item, index) => convert(item, `${at}/${index}`));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if ((OPENAPI_SEMANTIC_KEYWORDS as readonly string[]).includes(key)) {
      throw new InternalError(`schema ${at} uses the OpenAPI keyword "${key}", which this validator does not implement`);
    }
    if (key === 'example') {
      out[key] = member; // data, not a schema
    } else if (key === '$ref' && typeof member === 'string') {
      const match = COMPONENT_REF.exec(member);
      if (!match) throw new InternalError(`schema ${at} has an unsupported $ref ${JSON.stringify(member)}`);
      out[key] = ID_BASE + match[1];
    } else {
      out[key] = convert(member, `${at}/${key}`);
    }
  }
  return out;
}
