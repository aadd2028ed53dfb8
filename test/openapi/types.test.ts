import type { BearerTokenResponse, DPoPTokenResponse, TokenError, TokenErrorCode, TokenResponse } from '../../src/openapi';

// The types are derived from the schemas (json-schema-to-ts); `npm test`
// type-checks this file, so each @ts-expect-error fails the run if a type
// drifts from its schema.
describe('types derived from the schemas', () => {
  it('accept the contract examples and reject what the schemas reject', () => {
    const bearer: BearerTokenResponse = { access_token: 'a', token_type: 'Bearer', expires_in: 1, scope: 'read' };
    const dpop: DPoPTokenResponse = { access_token: 'a', token_type: 'DPoP', cnf: { jkt: 'x' } };
    const error: TokenError = { error: 'use_dpop_nonce' };
    // @ts-expect-error token_type is case-sensitive in the contract
    const lower: TokenResponse = { access_token: 'a', token_type: 'bearer' };
    // @ts-expect-error a DPoP response requires cnf
    const noCnf: DPoPTokenResponse = { access_token: 'a', token_type: 'DPoP' };
    // @ts-expect-error unknown error code
    const code: TokenErrorCode = 'invalid_target';
    // @ts-expect-error expires_in is a number
    const stringExpiry: BearerTokenResponse = { access_token: 'a', token_type: 'Bearer', expires_in: '1' };
    expect([bearer, dpop, error, lower, noCnf, code, stringExpiry]).toHaveLength(7);
  });
});
