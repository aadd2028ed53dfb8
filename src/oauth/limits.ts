/** Bounds every request to a token endpoint keeps, in the harness and the suite alike. */

/** Per-request deadline for a complete response. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The largest response body read. A token endpoint answers in a few hundred
 * bytes; a server streaming without end must not exhaust memory.
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The most of a response body the suite keeps (and judges). A token
 * endpoint's answers are a few hundred bytes; a run keeps every exchange for
 * its observers and its report, so a target answering megabytes each time
 * must not grow a run past a bounded size. What comes after is not read.
 */
export const MAX_KEPT_BODY_BYTES = 64 * 1024;

/**
 * The deepest JSON nesting parsed. A token response is two levels deep
 * (`cnf.jkt`); a body nested hundreds of thousands deep costs gigabytes once
 * parsed and overflows every recursive walk, so it is kept as text.
 */
export const MAX_JSON_DEPTH = 64;
