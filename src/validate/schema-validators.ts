/**
 * Ajv validators for the fragment's component schemas, precompiled: Ajv
 * standalone code generated at build time from the schemas in src/openapi
 * (src/validate/compile-validators.ts; `npm run generate:validators`), so
 * loading the validator loads no Ajv compiler and compiles nothing. The
 * generated module is committed; test/validate/precompiled.test.ts fails when
 * it is not what the schemas generate.
 */
import type { ErrorObject } from 'ajv';
import * as precompiled from './precompiled/validators';
import {
  SCHEMA_NAMES,
  type BearerTokenResponse,
  type DPoPTokenResponse,
  type SchemaName,
  type TokenClientCredentialsRequest,
  type TokenError,
  type TokenResponse,
} from '../openapi/schemas';

/**
 * An Ajv validate function as Ajv standalone code exports it: called with the
 * data, true when valid, otherwise `errors` says why (Ajv's ErrorObjects,
 * with `allErrors`). Unlike a runtime-compiled ValidateFunction it carries
 * no `schema` or `schemaEnv`.
 */
export interface ContractValidateFunction<T> {
  (data: unknown): data is T;
  errors?: ErrorObject[] | null;
}

export interface ContractValidators {
  /** `AttestoTokenResponse`: the `oneOf` of Bearer and DPoP. */
  tokenResponse: ContractValidateFunction<TokenResponse>;
  bearerResponse: ContractValidateFunction<BearerTokenResponse>;
  dpopResponse: ContractValidateFunction<DPoPTokenResponse>;
  error: ContractValidateFunction<TokenError>;
  request: ContractValidateFunction<TokenClientCredentialsRequest>;
}

const VALIDATORS: ContractValidators = Object.freeze({
  tokenResponse: precompiled.tokenResponse as ContractValidateFunction<TokenResponse>,
  bearerResponse: precompiled.bearerResponse as ContractValidateFunction<BearerTokenResponse>,
  dpopResponse: precompiled.dpopResponse as ContractValidateFunction<DPoPTokenResponse>,
  error: precompiled.error as ContractValidateFunction<TokenError>,
  request: precompiled.request as ContractValidateFunction<TokenClientCredentialsRequest>,
});

/** The validators (one shared set; nothing is compiled at run time). */
export function contractValidators(): ContractValidators {
  return VALIDATORS;
}

/** The validator of one component schema by name, e.g. `schemaValidator('AttestoTokenError')`. */
export function schemaValidator(name: SchemaName): ContractValidateFunction<unknown> {
  switch (name) {
    case SCHEMA_NAMES.tokenResponse:
      return VALIDATORS.tokenResponse;
    case SCHEMA_NAMES.bearerResponse:
      return VALIDATORS.bearerResponse;
    case SCHEMA_NAMES.dpopResponse:
      return VALIDATORS.dpopResponse;
    case SCHEMA_NAMES.error:
      return VALIDATORS.error;
    case SCHEMA_NAMES.request:
      return VALIDATORS.request;
    default:
      throw new RangeError(`unknown component schema ${JSON.stringify(name)}`);
  }
}
