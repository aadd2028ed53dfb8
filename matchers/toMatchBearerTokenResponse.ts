import type { BearerTokenResponseOptions } from './types';
import { checkOptions, hintArgs, runMatcher, type MatcherContextLike, type MatcherResult } from './run';

const OPTIONS = ['scope', 'strict'] as const;

/** `expect(res).toMatchBearerTokenResponse({ scope?, strict? })`: a valid token response with `token_type` "Bearer" (RFC 6750). */
export function toMatchBearerTokenResponse(
  this: MatcherContextLike | void,
  received: unknown,
  options?: BearerTokenResponseOptions,
): MatcherResult | Promise<MatcherResult> {
  return runMatcher(
    this,
    { name: 'toMatchBearerTokenResponse', hintExpected: () => hintArgs(options), what: () => 'a valid Bearer token response (200, AttestoBearerTokenResponse)' },
    received,
    () => {
      const o = checkOptions(options, OPTIONS) as BearerTokenResponseOptions;
      return { kind: 'success', tokenType: 'Bearer', scope: o.scope, strict: o.strict };
    },
  );
}
