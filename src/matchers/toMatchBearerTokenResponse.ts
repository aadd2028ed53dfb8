import type { BearerTokenResponseOptions } from './types';
import { defineMatcher, fromOptions } from './run';

/** `expect(res).toMatchBearerTokenResponse({ scope?, strict?, certificate? })`: a valid token response with `token_type` "Bearer" (RFC 6750); with `certificate`, bound to it (RFC 8705 §3.1). */
export const toMatchBearerTokenResponse = defineMatcher<[options?: BearerTokenResponseOptions]>({
  name: 'toMatchBearerTokenResponse',
  expectation: fromOptions<BearerTokenResponseOptions>(['scope', 'strict', 'profile', 'certificate'], { kind: 'success', tokenType: 'Bearer' }, (o) => ({ scope: o.scope, strict: o.strict, profile: o.profile, certificate: o.certificate })),
  what: (options) => `a valid Bearer token response (200, AttestoBearerTokenResponse${options?.certificate ? ', bound to the given client certificate' : ''})`,
});
