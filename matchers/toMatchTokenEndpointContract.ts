import type { TokenEndpointExpectation } from '../src/validate';
import type { TokenEndpointContractOptions } from './types';
import { checkOptions, hintArgs, runMatcher, type MatcherContextLike, type MatcherResult, type MatcherSpec } from './run';

const OPTIONS = ['status', 'strict'] as const;
const DEFAULT: TokenEndpointExpectation = Object.freeze({ kind: 'any' });

const spec: MatcherSpec<TokenEndpointContractOptions | undefined> = {
  name: 'toMatchTokenEndpointContract',
  expectation(options) {
    if (options === undefined) return DEFAULT;
    const o = checkOptions(options, OPTIONS) as TokenEndpointContractOptions;
    return { kind: 'any', status: o.status, strict: o.strict };
  },
  hintExpected: (options) => hintArgs(options),
  what: () => 'a documented token endpoint response, valid for its status',
};

/**
 * `expect(res).toMatchTokenEndpointContract({ status?, strict? })`: any
 * documented outcome (200, 400, 401) that is valid for its status.
 */
export function toMatchTokenEndpointContract(
  this: MatcherContextLike | void,
  received: unknown,
  options?: TokenEndpointContractOptions,
): MatcherResult | Promise<MatcherResult> {
  return runMatcher(this, spec, received, options, undefined);
}
