/** The options check every matcher (and configureMatchers) shares. */
import { InvalidExpectationError } from '../errors';

/** Checks an options argument: a plain object with known keys only (catches typos). */
export function checkOptions(options: unknown, allowed: readonly string[]): Readonly<Record<string, unknown>> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidExpectationError(`options must be an object, received ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new InvalidExpectationError(`unknown option ${JSON.stringify(key)} (known: ${allowed.join(', ')})`);
    }
  }
  return options as Record<string, unknown>;
}
