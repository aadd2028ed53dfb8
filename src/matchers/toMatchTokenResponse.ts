import type { TokenResponseOptions } from './types';
import { defineMatcher, fromOptions } from './run';

/**
 * `expect(res).toMatchTokenResponse({ tokenType?, scope?, dpopKey?, certificate?, refreshToken?, strict? })`:
 * status 200, JSON, `Cache-Control: no-store` and `Pragma: no-cache`
 * (RFC 6749 §5.1), and a body valid against `AttestoTokenResponse`; with
 * `certificate`, the access token bound to it (RFC 8705 §3.1).
 */
export const toMatchTokenResponse = defineMatcher<[options?: TokenResponseOptions]>({
  name: 'toMatchTokenResponse',
  expectation: fromOptions<TokenResponseOptions>(['tokenType', 'scope', 'dpopKey', 'certificate', 'refreshToken', 'strict', 'profile'], { kind: 'success' }, (o) => ({
    certificate: o.certificate,
    profile: o.profile,
    tokenType: o.tokenType,
    scope: o.scope,
    dpopKey: o.dpopKey,
    refreshToken: o.refreshToken,
    strict: o.strict,
  })),
  what: (options) =>
    `a valid token response (200, AttestoTokenResponse${options?.tokenType ? `, token_type ${options.tokenType}` : ''}${options?.dpopKey ? ', bound to the given DPoP key' : ''}${options?.certificate ? ', bound to the given client certificate' : ''}${options?.refreshToken === true ? ', with a refresh_token' : options?.refreshToken === false ? ', without a refresh_token' : ''})`,
});
