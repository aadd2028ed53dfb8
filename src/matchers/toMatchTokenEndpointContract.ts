import type { TokenEndpointContractOptions } from './types';
import { defineMatcher, describeStatusOption, fromOptions } from './run';

/**
 * `expect(res).toMatchTokenEndpointContract({ status?, strict? })`: any
 * documented outcome (200, 400, 401) that is valid for its status.
 */
export const toMatchTokenEndpointContract = defineMatcher<[options?: TokenEndpointContractOptions]>({
  name: 'toMatchTokenEndpointContract',
  expectation: fromOptions<TokenEndpointContractOptions>(['status', 'strict', 'profile', 'errorCodes'], { kind: 'any' }, (o) => ({ status: o.status, strict: o.strict, profile: o.profile, errorCodes: o.errorCodes })),
  what: (options) => `a documented token endpoint response${options?.status === undefined ? '' : ` (status ${describeStatusOption(options.status, '')})`}, valid for its status`,
});
