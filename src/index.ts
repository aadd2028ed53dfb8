/**
 * attesto-token-contract: contract tests for OAuth 2.0 token endpoints.
 *
 * - the OpenAPI fragment and schema export (./openapi)
 */
export * from './openapi';
export { VERSION } from './version';
export * from './redact';
export * from './server';
export * from './validate';
export * from './harness';
export * from './conformance';
