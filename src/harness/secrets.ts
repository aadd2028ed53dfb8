/**
 * Keeping secrets out of what the harness shows. supertest's `.expect()`
 * failures quote response bodies and headers, and a server may echo the
 * request (its client secret, its `Authorization` header, its DPoP proof) or
 * return tokens; every such failure passes through `scrubAssertionError`.
 * Which values are secret, in which echo forms, is the shared SecretSet's
 * (src/oauth/secrets.ts).
 */
import type { SecretSet } from '../oauth/secrets';
import { redactBody, redactText } from '../oauth/redact';

/**
 * Scrubs an assertion failure in place, keeping its class and identity:
 * anything token-shaped (`redactText`), then the known secrets, in the
 * message, the stack and supertest's `expected` / `actual`.
 */
export function scrubAssertionError<T>(error: T, secrets: SecretSet): T {
  if (!(error instanceof Error)) return error;
  const clean = (text: string) => secrets.scrub(redactText(text));
  error.message = clean(error.message);
  if (typeof error.stack === 'string') error.stack = clean(error.stack);
  const quoted = error as Error & { expected?: unknown; actual?: unknown };
  for (const member of ['expected', 'actual'] as const) {
    if (member in quoted) quoted[member] = secrets.scrubValue(redactBody(quoted[member]));
  }
  return error;
}
