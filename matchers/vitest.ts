/**
 * Vitest entry: the matchers plus the `vitest` module typings.
 *
 *   import { expect } from 'vitest';
 *   import { matchers } from 'attesto-token-contract/vitest';
 *   expect.extend(matchers);
 */
import type { TokenEndpointMatchers, TokenResponseOptions, BearerTokenResponseOptions, DPoPTokenResponseOptions, TokenErrorOptions, TokenEndpointContractOptions } from './types';
import type { TokenErrorCode } from '../src/openapi';
// The augmented module must be part of the program; a type-only import emits nothing.
import type {} from 'vitest';

export * from './index';

interface TokenEndpointAsymmetricMatchers {
  toMatchTokenResponse(options?: TokenResponseOptions): any;
  toMatchBearerTokenResponse(options?: BearerTokenResponseOptions): any;
  toMatchDPoPTokenResponse(options?: DPoPTokenResponseOptions): any;
  toMatchTokenError(code?: TokenErrorCode, options?: TokenErrorOptions): any;
  toMatchTokenEndpointContract(options?: TokenEndpointContractOptions): any;
}

declare module 'vitest' {
  // Type parameter names must match Vitest's own declaration to merge.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface Assertion<T = any> extends TokenEndpointMatchers<void> {}
  interface AsymmetricMatchersContaining extends TokenEndpointAsymmetricMatchers {}
}
