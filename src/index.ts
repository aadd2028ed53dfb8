/**
 * attesto-token-contract: contract tests for OAuth 2.0 token endpoints.
 *
 * The root entry is the light one: the OpenAPI fragment, the validation core,
 * the error family and the redaction functions. It must not load supertest,
 * the harness, the reference server or the conformance suite (they cost a
 * third of a second at require time and most users need only a validator);
 * those have their own subpaths:
 *
 * - `attesto-token-contract/matchers`, `/jest`, `/vitest`: the matchers
 * - `attesto-token-contract/harness`: requests, DPoP proofs, client auth
 * - `attesto-token-contract/server`: the reference token server
 * - `attesto-token-contract/conformance`: the live conformance suite
 * - `attesto-token-contract/errors`: the error family alone
 *
 * test/package/consumer.test.ts proves from the installed tarball that this
 * entry loads none of them.
 */
export * from './openapi';
export * from './validate';
export { VERSION } from './version';
export * from './errors';
// Only what a user redacts with; the secret-name sets, depth limit and JWT
// sniffing stay internal so they can change without a breaking release.
export { redactValue, redactBody, redactHeaders, redactText, scrubText } from './oauth/redact';
