import { InvalidExpectationError, type TokenEndpointExpectation } from '../src/validate';
import type { TokenErrorCode } from '../src/openapi';
import type { TokenErrorOptions } from './types';
import { checkOptions, hintArgs, runMatcher, type MatcherContextLike, type MatcherResult, type MatcherSpec } from './run';

const OPTIONS = ['status', 'description', 'strict'] as const;
const DEFAULT: TokenEndpointExpectation = Object.freeze({ kind: 'error' });

const spec: MatcherSpec<TokenErrorCode | undefined, TokenErrorOptions | undefined> = {
  name: 'toMatchTokenError',
  expectation(code, options) {
    if (code !== undefined && typeof code !== 'string') {
      throw new InvalidExpectationError('the error code must be a string such as "invalid_client" (or omitted)');
    }
    if (code === undefined && options === undefined) return DEFAULT;
    const o = checkOptions(options, OPTIONS) as TokenErrorOptions;
    return { kind: 'error', error: code, status: o.status, errorDescription: o.description, strict: o.strict };
  },
  hintExpected: (code, options) => hintArgs(code, options),
  what: (code) => `a valid token error response (400/401, AttestoTokenError${typeof code === 'string' ? `, error "${code}"` : ''})`,
};

/**
 * `expect(res).toMatchTokenError(code?, { status?, description?, strict? })`:
 * a documented error status (400/401, RFC 6749 §5.2), a valid
 * `AttestoTokenError` with the given code, `WWW-Authenticate` on 401 and
 * `DPoP-Nonce` with `use_dpop_nonce` (RFC 9449 §8).
 */
export function toMatchTokenError(
  this: MatcherContextLike | void,
  received: unknown,
  code?: TokenErrorCode,
  options?: TokenErrorOptions,
): MatcherResult | Promise<MatcherResult> {
  return runMatcher(this, spec, received, code, options);
}
