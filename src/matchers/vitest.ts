/// <reference types="vitest" preserve="true" />
/**
 * Vitest entry: the matchers plus the `vitest` module typings.
 *
 *   import { expect } from 'vitest';
 *   import { matchers } from 'attesto-token-contract/vitest';
 *   expect.extend(matchers);
 */
import type { TokenEndpointMatchers } from './types';
// The augmented module must be part of the program; unlike this type-only import, the
// triple-slash reference above survives into the emitted .d.ts.
import type {} from 'vitest';

export * from './index';

declare module 'vitest' {
  // Vitest ≥ 3.2: Matchers types expect(x).toMatch…(), expect.toMatch…() (asymmetric) and expect.extend at once.
  // Type parameter names must match Vitest's own declarations to merge.
  interface Matchers<T = any> extends TokenEndpointMatchers<void, T> {}
  // Older Vitest 3.x: the assertion methods.
  interface Assertion<T = any> extends TokenEndpointMatchers<void, T> {}
}
