/**
 * The redaction marker and its bounds: what every redaction writes where a
 * secret was. Its own module so that redaction by position (redact.ts, used
 * by every matcher's failure path) loads without the scrubber's echo-form
 * machinery, which only a scrub of free text needs.
 */

/** Secrets shorter than this are not searched for in free text: they would match ordinary words. Redact them where they were sent. */
export const MIN_SCRUBBED_LENGTH = 4;

/** How deep scrubs and redactBody copy; deeper values are replaced by a marker (they are shown, never judged). */
export const MAX_REDACT_DEPTH = 64;

/** How many leading characters a marker may quote. */
export const PREFIX_LENGTH = 4;

/** A secret at most this long is short: no marker quotes its first characters (they would be a third of it or more). */
export const SHORT_SECRET_LENGTH = PREFIX_LENGTH * 3;

/** `[redacted "eyJh…", 812 chars]`, or `[redacted, 9 chars]` without a prefix: the one marker format. */
export function marker(length: number, prefix?: string): string {
  return `[redacted${prefix ? ` "${prefix}…"` : ''}, ${length} ${length === 1 ? 'char' : 'chars'}]`;
}
