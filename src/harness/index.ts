/**
 * The request harness: how tests and the conformance suite talk to a token
 * endpoint. Client authentication (RFC 6749 §2.3.1, RFC 7523), DPoP proofs
 * (RFC 9449) and the nonce retry (RFC 9449 §8), on top of supertest.
 */
export { tokenEndpoint, TokenEndpointClient, CLIENT_AUTH_METHODS, DEFAULT_TIMEOUT_MS } from './client';
export type {
  ClientAuthMethod,
  ClientOptions,
  ClientCredentialsOptions,
  DpopOption,
  HeaderValue,
  ParamValue,
  RawAgent,
  RedactedRequest,
  TokenEndpointOptions,
  TokenExchange,
  TokenRequest,
  HarnessResponse,
} from './client';
export type { TokenEndpointTarget, RequestListener } from './target';
export { basicAuthorization, formUrlEncode } from './basic';
export { createDpopProof, accessTokenHash, stripQueryAndFragment, DPOP_PROOF_TYPE } from './dpop-proof';
export type { DpopProofOptions, DpopProofOverrides, DpopProofClaim } from './dpop-proof';
export { createClientAssertion, CLIENT_ASSERTION_TYPE, DEFAULT_ASSERTION_LIFETIME_SECONDS } from './client-assertion';
export type { ClientAssertionOptions, ClientAssertionOverrides, ClientAssertionClaim } from './client-assertion';
export { generateDpopKey, importSigningKey, jwkThumbprint, privateJwkOf, publicJwkOf, algorithmForJwk, DPOP_KEY_ALGORITHMS } from './keys';
export type { DpopKey, DpopKeyAlgorithm, SigningKeyInput } from './keys';
export type { JwsOverrides } from './jws';
export { decodeAccessToken, accessTokenJkt } from './access-token';
export type { AccessTokenClaims } from './access-token';
export {
  HarnessError,
  InvalidArgumentError,
  InvalidKeyError,
  SigningError,
  HarnessTimeoutError,
  HarnessConnectionRefusedError,
  HarnessConnectionResetError,
  HarnessHostNotFoundError,
  HarnessTransportError,
} from './errors';
