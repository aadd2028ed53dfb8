import type { TokenEndpointExpectation } from '../src/validate';
import type { TokenResponseOptions } from './types';
import { checkOptions, hintArgs, runMatcher, type MatcherContextLike, type MatcherResult, type MatcherSpec } from './run';

const OPTIONS = ['tokenType', 'scope', 'dpopKey', 'strict'] as const;
const DEFAULT: TokenEndpointExpectation = Object.freeze({ kind: 'success' });

const spec: MatcherSpec<TokenResponseOptions | undefined> = {
  name: 'toMatchTokenResponse',
  expectation(options) {
    if (options === undefined) return DEFAULT;
    const o = checkOptions(options, OPTIONS) as TokenResponseOptions;
    return { kind: 'success', tokenType: o.tokenType, scope: o.scope, dpopKey: o.dpopKey, strict: o.strict };
  },
  hintExpected: (options) => hintArgs(options),
  what: (options) =>
    `a valid token response (200, AttestoTokenResponse${options?.tokenType ? `, token_type ${options.tokenType}` : ''}${options?.dpopKey ? ', bound to the given DPoP key' : ''})`,
};

/**
 * `expect(res).toMatchTokenResponse({ tokenType?, scope?, dpopKey?, strict? })`:
 * status 200, JSON, `Cache-Control: no-store` and `Pragma: no-cache`
 * (RFC 6749 §5.1), and a body valid against `AttestoTokenResponse`.
 */
export function toMatchTokenResponse(
  this: MatcherContextLike | void,
  received: unknown,
  options?: TokenResponseOptions,
): MatcherResult | Promise<MatcherResult> {
  return runMatcher(this, spec, received, options, undefined);
}
