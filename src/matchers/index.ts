/**
 * The matcher functions, without side effects: register them with
 * `expect.extend(matchers)` in Jest or Vitest, or use
 * `setupFilesAfterEnv: ['attesto-token-contract/jest']`.
 */
import { toMatchBearerTokenResponse } from './toMatchBearerTokenResponse';
import { toMatchDPoPTokenResponse } from './toMatchDPoPTokenResponse';
import { toMatchTokenEndpointContract } from './toMatchTokenEndpointContract';
import { toMatchTokenError } from './toMatchTokenError';
import { toMatchTokenResponse } from './toMatchTokenResponse';

export { toMatchTokenResponse, toMatchBearerTokenResponse, toMatchDPoPTokenResponse, toMatchTokenError, toMatchTokenEndpointContract };
export { configureMatchers, matcherConfiguration, type MatcherConfiguration } from './config';
export type { MatcherContextLike, MatcherResult, TokenEndpointMatcher } from './run';
export type * from './types';

/** All matchers, for `expect.extend(matchers)`. */
export const matchers = {
  toMatchTokenResponse,
  toMatchBearerTokenResponse,
  toMatchDPoPTokenResponse,
  toMatchTokenError,
  toMatchTokenEndpointContract,
};
