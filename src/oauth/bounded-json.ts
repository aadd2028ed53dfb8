/**
 * JSON parsing with a depth limit (src/oauth/limits.ts MAX_JSON_DEPTH): the
 * nesting is measured by a scan of the text before JSON.parse builds
 * anything, so a hostile body nested 500,000 deep costs one pass over its
 * bytes, not gigabytes of objects.
 */
import { MAX_JSON_DEPTH } from './limits';

export type BoundedJson = { ok: true; value: unknown } | { ok: false; reason: 'not-json' | 'too-deep' };

/** The deepest `[`/`{` nesting of a JSON text, counting only outside strings; stops counting once past `limit`. */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return deepest;
}

/** Parses `text` as JSON unless it is nested deeper than `maxDepth` or is not JSON. */
export function parseBoundedJson(text: string, maxDepth = MAX_JSON_DEPTH): BoundedJson {
  if (jsonDepth(text, maxDepth) > maxDepth) return { ok: false, reason: 'too-deep' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: 'not-json' };
  }
}
