import type { DPoPTokenResponseOptions } from './types';
import { defineMatcher, fromOptions } from './run';

/**
 * `expect(res).toMatchDPoPTokenResponse({ key?, scope?, strict? })`: a valid
 * token response with `token_type` "DPoP" (RFC 9449 §5); with `key`,
 * `cnf.jkt` must be its RFC 7638 thumbprint (RFC 9449 §6.1), and the
 * matcher is async: `await expect(res).toMatchDPoPTokenResponse({ key })`.
 */
export const toMatchDPoPTokenResponse = defineMatcher<[options?: DPoPTokenResponseOptions]>({
  name: 'toMatchDPoPTokenResponse',
  expectation: fromOptions<DPoPTokenResponseOptions>(['key', 'scope', 'strict', 'profile'], { kind: 'success', tokenType: 'DPoP' }, (o) => ({ dpopKey: o.key, scope: o.scope, strict: o.strict, profile: o.profile })),
  what: (options) => `a valid DPoP token response (200, AttestoDPoPTokenResponse${options?.key ? ', cnf.jkt = thumbprint of the given key' : ''})`,
});
