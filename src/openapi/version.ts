/**
 * OpenAPI 3.0 vs 3.1. The schemas are written once in 3.0 form; 3.1 uses
 * JSON Schema 2020-12, where a schema's single `example` is deprecated in
 * favour of an `examples` array (OpenAPI 3.1 §4.8.24, JSON Schema
 * Validation 2020-12 §9.5).
 */
export const OPENAPI_VERSIONS = ['3.0.3', '3.1.0'] as const;
export type OpenApiVersion = (typeof OPENAPI_VERSIONS)[number];
export const DEFAULT_OPENAPI_VERSION: OpenApiVersion = '3.0.3';

/** Accepts `3.0`, `3.1`, `3.0.3` or `3.1.0`; anything else is an error naming the value. */
export function normalizeOpenApiVersion(version: string | undefined): OpenApiVersion {
  if (version === undefined) return DEFAULT_OPENAPI_VERSION;
  if (version === '3.0' || version === '3.0.3') return '3.0.3';
  if (version === '3.1' || version === '3.1.0') return '3.1.0';
  throw new RangeError(`unsupported OpenAPI version ${JSON.stringify(version)}: expected 3.0 or 3.1`);
}

/** Returns a deep, mutable copy of a schema in the given version's dialect. */
export function schemaForVersion<T>(schema: T, version: OpenApiVersion): T {
  return convert(schema, version === '3.1.0') as T;
}

function convert(value: unknown, toExamplesArray: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => convert(item, toExamplesArray));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (key === 'example' && toExamplesArray) {
      // Examples are data, not schemas: copy them as they are.
      out.examples = [structuredClone(member)];
    } else if (key === 'example') {
      out.example = structuredClone(member);
    } else {
      out[key] = convert(member, toExamplesArray);
    }
  }
  return out;
}
