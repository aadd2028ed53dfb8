/**
 * The search behind every scrub (SecretSet, scrubText, scrubValue): each
 * registered secret's echo forms (src/oauth/echo-forms.ts) indexed by their
 * first four UTF-16 units, so one pass over a text finds every form at
 * once. No secret is ever built into a regular expression: a 40 KB token
 * would exceed V8's limit, and the error's message would quote the pattern.
 *
 * Every occurrence of every form is found, overlapping ones included, and
 * each run of overlapping occurrences becomes one marker: two secrets that
 * share characters in a text leave no part of either behind, whichever is
 * longer.
 */
import { echoForms } from './echo-forms';
import { MAX_REDACT_DEPTH, MIN_SCRUBBED_LENGTH, PREFIX_LENGTH, SHORT_SECRET_LENGTH, marker } from './marker';

export { MAX_REDACT_DEPTH, MIN_SCRUBBED_LENGTH, PREFIX_LENGTH, SHORT_SECRET_LENGTH, marker };

// A quoted prefix must not break the marker's own shape (redact.ts MARKER: no quote or
// backslash) nor carry control characters or half of a surrogate pair.
const QUOTABLE_PREFIX = /^[^"\\\u0000-\u001f\u007f-\u009f\ud800-\udfff]+$/;

/**
 * The forms that start with the same four units; those of eight units or
 * more also by their next four (every `\u`-escaped form starts with `\u00`,
 * so a text full of escapes would otherwise try them all at each one).
 */
interface Bucket {
  readonly short: Pattern[];
  readonly long: Map<number, Pattern[]>;
}

const KEY_LENGTH = 4;

interface Pattern {
  readonly text: string;
  /** Whether a marker may quote its first characters: false when any secret it is a form of is short. */
  quotable: boolean;
  // Checked before comparing the whole form: forms of tokens from one issuer share long prefixes.
  readonly last: number;
  readonly middle: number;
}

/** Something that scrubs with a prebuilt Scrubber (a SecretSet): scrubText and scrubValue use it as is. */
export const SCRUBBER: unique symbol = Symbol('scrubber');
export interface HasScrubber {
  [SCRUBBER](): Scrubber;
}

export class Scrubber {
  private readonly secrets = new Set<string>();
  /** Secrets of SHORT_SECRET_LENGTH characters or fewer: no marker may quote their first characters. */
  private readonly short = new Set<string>();
  private readonly patterns = new Map<string, Pattern>();
  private readonly buckets = new Map<number, Bucket>();

  /**
   * Registers a secret and its echo forms. A secret shorter than
   * MIN_SCRUBBED_LENGTH is not searched for; like any short secret, it is
   * kept out of markers' prefixes (a longer secret may start with it).
   */
  add(secret: string): this {
    if (secret.length === 0 || this.secrets.has(secret)) return this;
    this.secrets.add(secret);
    if (secret.length <= SHORT_SECRET_LENGTH) this.short.add(secret);
    if (secret.length < MIN_SCRUBBED_LENGTH) return this;
    const quotable = secret.length > SHORT_SECRET_LENGTH;
    for (const form of echoForms(secret)) this.addForm(form, quotable);
    return this;
  }

  /** Takes over every secret and form of another scrubber, without computing them again. */
  merge(other: Scrubber): this {
    for (const secret of other.secrets) this.secrets.add(secret);
    for (const secret of other.short) this.short.add(secret);
    for (const pattern of other.patterns.values()) this.addForm(pattern.text, pattern.quotable);
    return this;
  }

  /** Whether `text` is exactly one of the forms searched for. */
  hasForm(text: string): boolean {
    return this.patterns.has(text);
  }

  /** How many distinct forms are searched for. */
  get forms(): number {
    return this.patterns.size;
  }

  private addForm(text: string, quotable: boolean): void {
    // Shorter forms (base64 fragments of a 4-character secret can be 4 long, nothing shorter) would match ordinary text.
    if (text.length < MIN_SCRUBBED_LENGTH) return;
    const known = this.patterns.get(text);
    if (known) {
      known.quotable &&= quotable;
      return;
    }
    const pattern: Pattern = { text, quotable, last: text.charCodeAt(text.length - 1), middle: text.charCodeAt(text.length >> 1) };
    this.patterns.set(text, pattern);
    const key = keyAt(text, 0);
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { short: [], long: new Map() }));
    if (text.length < 2 * KEY_LENGTH) bucket.short.push(pattern);
    else {
      const next = keyAt(text, KEY_LENGTH);
      const list = bucket.long.get(next);
      if (list) list.push(pattern);
      else bucket.long.set(next, [pattern]);
    }
  }

  /** `text` with every run of overlapping occurrences of the registered forms replaced by one marker. */
  scrub(text: string): string {
    if (this.buckets.size === 0 || text.length < MIN_SCRUBBED_LENGTH) return text;
    let out = '';
    let copied = 0;
    let start = -1;
    let end = -1;
    let quotable = false;
    const limit = text.length - KEY_LENGTH;
    for (let at = 0; at <= limit; at++) {
      const bucket = this.buckets.get(keyAt(text, at));
      if (bucket === undefined) continue;
      const long = at + 2 * KEY_LENGTH <= text.length ? bucket.long.get(keyAt(text, at + KEY_LENGTH)) : undefined;
      for (const pattern of long === undefined ? bucket.short : bucket.short.length === 0 ? long : [...bucket.short, ...long]) {
        const length = pattern.text.length;
        if (at + length > text.length || text.charCodeAt(at + length - 1) !== pattern.last || text.charCodeAt(at + (length >> 1)) !== pattern.middle) continue;
        if (!text.startsWith(pattern.text, at)) continue;
        if (start !== -1 && at < end) {
          end = Math.max(end, at + length);
          // A short secret's form among the quoted characters: quote none.
          if (at < start + PREFIX_LENGTH && !pattern.quotable) quotable = false;
          continue;
        }
        if (start !== -1) {
          out += text.slice(copied, start) + this.marker(text, start, end, quotable);
          copied = end;
        }
        start = at;
        end = at + length;
        quotable = pattern.quotable;
      }
    }
    if (start === -1) return text;
    return out + text.slice(copied, start) + this.marker(text, start, end, quotable) + text.slice(end);
  }

  /**
   * The marker of `text[start, end)`. Its prefix is quoted only when no
   * short secret's form starts among the quoted characters (`quotable`,
   * from the scan), and the quoted characters neither hold a secret too
   * short to be searched for nor are the first characters of a short
   * secret (one a longer secret happens to start like).
   */
  private marker(text: string, start: number, end: number, quotable: boolean): string {
    const prefix = text.slice(start, start + PREFIX_LENGTH);
    let shown = quotable && QUOTABLE_PREFIX.test(prefix);
    if (shown) for (const secret of this.short) if (secret.length < MIN_SCRUBBED_LENGTH ? prefix.includes(secret) : secret.startsWith(prefix)) shown = false;
    return marker(end - start, shown ? prefix : undefined);
  }

  /** A deep copy of a JSON-like value with every string scrubbed, member names included. */
  scrubValue(value: unknown): unknown {
    const walk = (member: unknown, depth: number): unknown => {
      if (typeof member === 'string') return this.scrub(member);
      if (member === null || typeof member !== 'object') return member;
      if (depth >= MAX_REDACT_DEPTH) return '[nested too deep]';
      if (Array.isArray(member)) return member.map((item) => walk(item, depth + 1));
      return Object.fromEntries(Object.entries(member).map(([key, item]) => [this.scrub(key), walk(item, depth + 1)]));
    };
    return walk(value, 0);
  }
}

/** A hash of the KEY_LENGTH (4) UTF-16 units at `at` (collisions are told apart by comparing the form). */
function keyAt(text: string, at: number): number {
  const low = text.charCodeAt(at) | (text.charCodeAt(at + 1) << 16);
  const high = text.charCodeAt(at + 2) | (text.charCodeAt(at + 3) << 16);
  return (Math.imul(low, 0x9e3779b1) ^ high) | 0;
}

// Scrubbers built for plain lists (views pass `[...secretSet]` line after line while the set
// grows), most recent first. A list that extends a cached one, element by element, extends that
// scrubber: only the new secrets' forms are computed. This keeps up to four lists of secrets in
// memory until the next calls replace them.
const RECENT_LISTS = 4;
const recent: Array<{ list: readonly string[]; scrubber: Scrubber }> = [];

/** The scrubber for a SecretSet (its own) or for a plain list of secrets (built once, then reused while the list only grows). */
export function scrubberFor(secrets: Iterable<string | undefined>): Scrubber {
  if (hasScrubber(secrets)) return secrets[SCRUBBER]();
  const list: string[] = [];
  for (const secret of secrets) if (typeof secret === 'string' && secret.length > 0) list.push(secret);
  for (let i = 0; i < recent.length; i++) {
    const entry = recent[i]!;
    if (entry.list.length > list.length || !entry.list.every((secret, k) => secret === list[k])) continue;
    for (let k = entry.list.length; k < list.length; k++) entry.scrubber.add(list[k]!);
    recent.splice(i, 1);
    recent.unshift({ list, scrubber: entry.scrubber });
    return entry.scrubber;
  }
  const scrubber = new Scrubber();
  for (const secret of list) scrubber.add(secret);
  recent.unshift({ list, scrubber });
  recent.length = Math.min(recent.length, RECENT_LISTS);
  return scrubber;
}

function hasScrubber(value: unknown): value is HasScrubber {
  return typeof value === 'object' && value !== null && SCRUBBER in value;
}
