/** Bounds every request to a token endpoint keeps, in the harness and the suite alike. */

/** Per-request deadline for a complete response. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The largest response body read. A token endpoint answers in a few hundred
 * bytes; a server streaming without end must not exhaust memory.
 */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
