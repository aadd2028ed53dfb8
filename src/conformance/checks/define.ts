import type { Check } from '../types';

/** Identity function that type-checks one check object. */
export function check(definition: Check): Check {
  return Object.freeze(definition);
}
