import { InvalidExpectationError } from '../errors';
import type { TokenErrorCode } from '../openapi/schemas';
import type { RfcTokenErrorCode } from '../oauth/protocol';
import type { TokenErrorOptions } from './types';
import { defineMatcher, describeStatusOption, fromOptions } from './run';

const errorOptions = fromOptions<TokenErrorOptions>(['status', 'description', 'strict', 'profile', 'errorCodes'], { kind: 'error' }, (o) => ({
  status: o.status,
  errorDescription: o.description,
  strict: o.strict,
  profile: o.profile,
  errorCodes: o.errorCodes,
}));

/**
 * `expect(res).toMatchTokenError(code?, { status?, description?, strict? })`:
 * a documented error status (400/401, RFC 6749 §5.2), a valid
 * `AttestoTokenError` with the given code, `WWW-Authenticate` on 401 and
 * `DPoP-Nonce` with `use_dpop_nonce` (RFC 9449 §8).
 */
export const toMatchTokenError = defineMatcher<[code?: TokenErrorCode | RfcTokenErrorCode | (string & {}), options?: TokenErrorOptions]>({
  name: 'toMatchTokenError',
  expectation(code, options) {
    if (code !== undefined && typeof code !== 'string') {
      throw new InvalidExpectationError('the error code must be a string such as "invalid_client" (or omitted)');
    }
    const expectation = errorOptions(options);
    return code === undefined ? expectation : { ...expectation, error: code };
  },
  what: (code, options) => `a valid token error response (${describeStatusOption(options?.status, '400/401')}, AttestoTokenError${typeof code === 'string' ? `, error "${code}"` : ''})`,
});
