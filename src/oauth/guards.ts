/** Type guards for untrusted JSON-like input (configs, server answers, caller options). */

/** A non-null, non-array object: a JSON object, a record of options. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
