import type { TokenEndpointExpectation } from '../src/validate';
import type { DPoPTokenResponseOptions } from './types';
import { checkOptions, hintArgs, runMatcher, type MatcherContextLike, type MatcherResult, type MatcherSpec } from './run';

const OPTIONS = ['key', 'scope', 'strict'] as const;
const DEFAULT: TokenEndpointExpectation = Object.freeze({ kind: 'success', tokenType: 'DPoP' });

const spec: MatcherSpec<DPoPTokenResponseOptions | undefined> = {
  name: 'toMatchDPoPTokenResponse',
  expectation(options) {
    if (options === undefined) return DEFAULT;
    const o = checkOptions(options, OPTIONS) as DPoPTokenResponseOptions;
    return { kind: 'success', tokenType: 'DPoP', dpopKey: o.key, scope: o.scope, strict: o.strict };
  },
  hintExpected: (options) => hintArgs(options),
  what: (options) => `a valid DPoP token response (200, AttestoDPoPTokenResponse${options?.key ? ', cnf.jkt = thumbprint of the given key' : ''})`,
};

/**
 * `expect(res).toMatchDPoPTokenResponse({ key?, scope?, strict? })`: a valid
 * token response with `token_type` "DPoP" (RFC 9449 §5); with `key`,
 * `cnf.jkt` must be its RFC 7638 thumbprint (RFC 9449 §6.1), and the
 * matcher is async: `await expect(res).toMatchDPoPTokenResponse({ key })`.
 */
export function toMatchDPoPTokenResponse(
  this: MatcherContextLike | void,
  received: unknown,
  options?: DPoPTokenResponseOptions,
): MatcherResult | Promise<MatcherResult> {
  return runMatcher(this, spec, received, options, undefined);
}
