import type { TokenEndpointExpectation } from '../src/validate';
import type { BearerTokenResponseOptions } from './types';
import { checkOptions, hintArgs, runMatcher, type MatcherContextLike, type MatcherResult, type MatcherSpec } from './run';

const OPTIONS = ['scope', 'strict'] as const;
const DEFAULT: TokenEndpointExpectation = Object.freeze({ kind: 'success', tokenType: 'Bearer' });

const spec: MatcherSpec<BearerTokenResponseOptions | undefined> = {
  name: 'toMatchBearerTokenResponse',
  expectation(options) {
    if (options === undefined) return DEFAULT;
    const o = checkOptions(options, OPTIONS) as BearerTokenResponseOptions;
    return { kind: 'success', tokenType: 'Bearer', scope: o.scope, strict: o.strict };
  },
  hintExpected: (options) => hintArgs(options),
  what: () => 'a valid Bearer token response (200, AttestoBearerTokenResponse)',
};

/** `expect(res).toMatchBearerTokenResponse({ scope?, strict? })`: a valid token response with `token_type` "Bearer" (RFC 6750). */
export function toMatchBearerTokenResponse(
  this: MatcherContextLike | void,
  received: unknown,
  options?: BearerTokenResponseOptions,
): MatcherResult | Promise<MatcherResult> {
  return runMatcher(this, spec, received, options, undefined);
}
