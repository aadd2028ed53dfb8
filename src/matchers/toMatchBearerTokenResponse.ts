import type { BearerTokenResponseOptions } from './types';
import { defineMatcher, fromOptions } from './run';

/** `expect(res).toMatchBearerTokenResponse({ scope?, strict? })`: a valid token response with `token_type` "Bearer" (RFC 6750). */
export const toMatchBearerTokenResponse = defineMatcher<[options?: BearerTokenResponseOptions]>({
  name: 'toMatchBearerTokenResponse',
  expectation: fromOptions<BearerTokenResponseOptions>(['scope', 'strict', 'profile'], { kind: 'success', tokenType: 'Bearer' }, (o) => ({ scope: o.scope, strict: o.strict, profile: o.profile })),
  what: () => 'a valid Bearer token response (200, AttestoBearerTokenResponse)',
});
