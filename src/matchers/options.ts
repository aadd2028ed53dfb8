/** The options check every matcher (and configureMatchers) shares. */
import { InvalidExpectationError } from '../errors';

/** Checks an options argument: a plain object with known keys only (catches typos). */
/** Options that ask for a binding, and where their value comes from when it is missing. */
const BINDING_OPTIONS = {
  dpopKey: 'give the DPoP key the token must be bound to (a harness client has its key after its first DPoP request, or `await client.ready()`)',
  key: 'give the DPoP key the token must be bound to (a harness client has its key after its first DPoP request, or `await client.ready()`)',
  certificate: 'give the client certificate the token must be bound to (PEM, DER, an X509Certificate or its thumbprint)',
} as const;

export function checkOptions(options: unknown, allowed: readonly string[]): Readonly<Record<string, unknown>> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidExpectationError(`options must be an object, received ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new InvalidExpectationError(`unknown option ${JSON.stringify(key)} (known: ${allowed.join(', ')})`);
    }
    // A binding asked for with nothing to bind to would check nothing: a test that cannot fail.
    if (key in BINDING_OPTIONS && (options as Record<string, unknown>)[key] === undefined) {
      throw new InvalidExpectationError(`${key} is undefined: ${BINDING_OPTIONS[key as keyof typeof BINDING_OPTIONS]}`);
    }
  }
  return options as Record<string, unknown>;
}
