/**
 * The request harness: how tests talk to a token endpoint. Client
 * authentication (RFC 6749 §2.3.1, RFC 7523, mutual TLS RFC 8705 §2), DPoP proofs (RFC 9449) and the
 * nonce retry (RFC 9449 §8), on top of supertest, for client_credentials,
 * authorization_code with PKCE (RFC 7636) and refresh_token. The signing
 * functions and protocol facts are the shared OAuth layer's (src/oauth),
 * re-exported here for tests that build proofs and assertions by hand.
 */
export { tokenEndpoint, TokenEndpointClient, CLIENT_AUTH_METHODS, DEFAULT_TIMEOUT_MS, AUTHORIZATION_CODE_BREAKS } from './client';
export type {
  AuthorizationCodeBreak,
  AuthorizationCodeOptions,
  ClientAuthMethod,
  ClientOptions,
  ClientCertificateInput,
  ClientCredentialsOptions,
  RefreshTokenOptions,
  TokenRequestOptions,
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
export { authorizeWithReferenceServer } from './authorize';
export type { AuthorizationResult, AuthorizationServerTarget, AuthorizeOptions } from './authorize';
export { createPkcePair, createCodeVerifier, s256Challenge } from '../oauth/pkce';
export type { PkcePair } from '../oauth/pkce';
export { basicAuthorization } from '../oauth/client-auth';
export { createDpopProof, accessTokenHash, stripQueryAndFragment, DPOP_PROOF_TYPE } from '../oauth/dpop-proof';
export type { DpopProofOptions, DpopProofOverrides, DpopProofClaim } from '../oauth/dpop-proof';
export { createClientAssertion, DEFAULT_ASSERTION_LIFETIME_SECONDS } from '../oauth/client-assertion';
export { CLIENT_ASSERTION_TYPE } from '../oauth/protocol';
export type { ClientAssertionOptions, ClientAssertionOverrides, ClientAssertionClaim } from '../oauth/client-assertion';
export { generateDpopKey, importSigningKey, jwkThumbprint, privateJwkOf, publicJwkOf, algorithmForJwk, DPOP_KEY_ALGORITHMS } from '../oauth/keys';
export type { SigningKey, DpopKey, DpopKeyAlgorithm, SigningKeyInput } from '../oauth/keys';
export type { JwsOverrides } from '../oauth/jws';
export { decodeAccessToken, accessTokenJkt } from '../oauth/access-token';
export type { AccessTokenClaims } from '../oauth/access-token';
export {
  HarnessError,
  InvalidArgumentError,
  InvalidKeyError,
  ClientCertificateError,
  SigningError,
  HarnessTimeoutError,
  HarnessConnectionRefusedError,
  HarnessConnectionResetError,
  HarnessHostNotFoundError,
  HarnessTransportError,
} from '../errors';
