/**
 * Jest setup entry: `setupFilesAfterEnv: ['attesto-token-contract/jest']`.
 * Registers the matchers on Jest's global `expect` and carries the typings
 * for the global `jest` namespace (`@types/jest`) and for
 * `import { expect } from '@jest/globals'` (the `expect` package).
 */
import { configureMatchers, matchers } from './index';
import type { TokenEndpointMatchers, TokenResponseOptions, BearerTokenResponseOptions, DPoPTokenResponseOptions, TokenErrorOptions, TokenEndpointContractOptions } from './types';
import type { TokenErrorCode } from '../openapi';
import type { RfcTokenErrorCode } from '../oauth/protocol';
// The augmented module must be part of the program; a type-only import emits nothing.
import type {} from 'expect';
import { NoTestFrameworkError } from '../errors';

export { matchers, configureMatchers };
export type { MatcherConfiguration } from './config';

const globalExpect = (globalThis as { expect?: { extend?: unknown } }).expect;
if (globalExpect === undefined || typeof globalExpect.extend !== 'function') {
  throw new NoTestFrameworkError(
    "attesto-token-contract/jest must be loaded by Jest (setupFilesAfterEnv: ['attesto-token-contract/jest']); " +
      "no global expect was found. Elsewhere, call expect.extend(matchers) with matchers from 'attesto-token-contract/matchers'.",
  );
}
(globalExpect.extend as (matchers: object) => void)(matchers);

/** Asymmetric forms: `expect.toMatchTokenResponse()` inside `toEqual`, `toHaveBeenCalledWith`, … */
interface TokenEndpointAsymmetricMatchers<A> {
  toMatchTokenResponse(options?: TokenResponseOptions): A;
  toMatchBearerTokenResponse(options?: BearerTokenResponseOptions): A;
  toMatchDPoPTokenResponse(options?: DPoPTokenResponseOptions): A;
  toMatchTokenError(code?: TokenErrorCode, options?: TokenErrorOptions): A;
  toMatchTokenError(code: TokenErrorCode | RfcTokenErrorCode, options: TokenErrorOptions & { profile: 'rfc' }): A;
  toMatchTokenError(code: string, options: TokenErrorOptions & { errorCodes: readonly string[] }): A;
  toMatchTokenEndpointContract(options?: TokenEndpointContractOptions): A;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // Type parameters must be named as in @types/jest to merge.
    interface Matchers<R, T = {}> extends TokenEndpointMatchers<R, T> {}
    interface Expect extends TokenEndpointAsymmetricMatchers<any> {}
    interface InverseAsymmetricMatchers extends TokenEndpointAsymmetricMatchers<any> {}
  }
}

declare module 'expect' {
  interface Matchers<R extends void | Promise<void>, T = unknown> extends TokenEndpointMatchers<R, T> {}
  interface AsymmetricMatchers extends TokenEndpointAsymmetricMatchers<any> {}
}
