/**
 * Validation of token endpoint responses against the contract: the core the
 * matchers, the harness and the conformance suite share.
 */
export { validateTokenEndpointResponse, validateTokenEndpointResponseAsync, checkExpectation, isDocumentedStatus, type TokenEndpointExpectation } from './validate';
export { normalizeResponse, fromFetch, isFetchResponse, UnsupportedResponseError, type TokenEndpointResponse, type NormalizedResponse, type BodyKind } from './normalize';
export { RULES, RULE_SOURCES, LEVELS, PROFILES, CONTRACT_REFERENCE, InvalidExpectationError, type Problem, type RuleId, type RuleSource, type Level, type ValidationProfile, type ValidationResult } from './problem';
export { dpopKeyThumbprint, type DpopKeyInput } from './thumbprint';
export type { CertificateInput } from './certificate';
export { contractValidators, schemaValidator, type ContractValidators } from './schema-validators';
export { formatProblem, formatProblems, formatResponse } from './format';
export { hasNoStore, hasNoCache, isJsonMediaType, isDpopNonce, headerValue } from './headers';
