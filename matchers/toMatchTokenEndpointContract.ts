import type { TokenEndpointContractOptions } from './types';
import { checkOptions, hintArgs, runMatcher, type MatcherContextLike, type MatcherResult } from './run';

const OPTIONS = ['status', 'strict'] as const;

/**
 * `expect(res).toMatchTokenEndpointContract({ status?, strict? })`: any
 * documented outcome (200, 400, 401) that is valid for its status.
 */
export function toMatchTokenEndpointContract(
  this: MatcherContextLike | void,
  received: unknown,
  options?: TokenEndpointContractOptions,
): MatcherResult | Promise<MatcherResult> {
  return runMatcher(
    this,
    { name: 'toMatchTokenEndpointContract', hintExpected: () => hintArgs(options), what: () => 'a documented token endpoint response, valid for its status' },
    received,
    () => {
      const o = checkOptions(options, OPTIONS) as TokenEndpointContractOptions;
      return { kind: 'any', status: o.status, strict: o.strict };
    },
  );
}
