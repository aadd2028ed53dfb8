import type { TokenEndpointContractOptions } from './types';
import { defineMatcher, fromOptions } from './run';

/**
 * `expect(res).toMatchTokenEndpointContract({ status?, strict? })`: any
 * documented outcome (200, 400, 401) that is valid for its status.
 */
export const toMatchTokenEndpointContract = defineMatcher<[options?: TokenEndpointContractOptions]>({
  name: 'toMatchTokenEndpointContract',
  expectation: fromOptions<TokenEndpointContractOptions>(['status', 'strict'], { kind: 'any' }, (o) => ({ status: o.status, strict: o.strict })),
  what: () => 'a documented token endpoint response, valid for its status',
});
