/**
 * A bounded, expiring map of secrets to their records: the reference
 * server's authorization codes and refresh tokens, and under the replay
 * caches (src/server/replay-cache.ts) the seen `jti` values.
 *
 * An entry lives until its own expiry and is never evicted early, so a full store
 * refuses new entries (`'full'`) instead of forgetting a live one. Forgetting
 * would be unsafe here too: a used code or a rotated refresh token is kept
 * so that its reuse is recognised (RFC 6749 §4.1.2, RFC 9700 §4.14.2), and
 * evicting it would let a replay pass as unknown. Memory stays bounded:
 * keys are SHA-256 digests (the server never keeps a code or token as
 * sent), there are at most `maxEntries`, and expired entries are swept in
 * expiry order before every insertion.
 */
import { createHash, randomBytes } from 'node:crypto';

export type StoreOutcome = 'stored' | 'full';

export class ExpiringStore<V> {
  /** digest → record and expiry (ms). */
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  /** Expiries as a binary min-heap, so the sweep finds the next one in O(log n). */
  private readonly heap: Array<{ expiresAt: number; id: string }> = [];

  constructor(
    readonly maxEntries: number,
    private readonly clock: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The live record of `key`, or undefined when unknown or expired. */
  get(key: string): V | undefined {
    const entry = this.entries.get(digest(key));
    return entry !== undefined && entry.expiresAt > this.clock() ? entry.value : undefined;
  }

  /** Whether one more entry fits now (expired ones are swept first). */
  hasRoom(): boolean {
    this.sweep(this.clock());
    return this.entries.size < this.maxEntries;
  }

  /**
   * Stores `value` under `key` until `expiresAt` (ms). Keys are random
   * (`newOpaqueToken`), so a key already present is a broken random
   * source, not a collision to resolve: it is refused as `full`.
   */
  set(key: string, value: V, expiresAt: number): StoreOutcome {
    const id = digest(key);
    const now = this.clock();
    this.sweep(now);
    if (this.entries.has(id) || this.entries.size >= this.maxEntries) return 'full';
    this.entries.set(id, { value, expiresAt });
    this.push({ expiresAt, id });
    return 'stored';
  }

  /** Whole seconds until the soonest entry expires (at least 1): a `Retry-After` value (RFC 9110 §10.2.3). */
  retryAfterSeconds(): number {
    const soonest = this.heap[0];
    if (soonest === undefined) return 1;
    return Math.max(1, Math.ceil((soonest.expiresAt - this.clock()) / 1000));
  }

  /**
   * Drops every expired entry, soonest first. Each entry is removed once, so
   * the cost is O(log n) per entry over its lifetime, however uneven the
   * lifetimes (assertions choose their own `exp`), unlike a sweep in
   * insertion order, which a single long-lived entry at the front would stop.
   */
  private sweep(now: number): void {
    while (this.heap.length > 0 && this.heap[0]!.expiresAt <= now) {
      this.entries.delete(this.pop()!.id);
    }
  }

  private push(item: { expiresAt: number; id: string }): void {
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.expiresAt <= item.expiresAt) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  }

  private pop(): { expiresAt: number; id: string } | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.expiresAt < heap[left]!.expiresAt ? right : left;
      if (heap[child]!.expiresAt >= last.expiresAt) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

/**
 * An authorization code or refresh token: opaque to the client (RFC 6749
 * §1.4, §1.5, §10.10: guessing one must be infeasible), 256 random bits as
 * base64url, 43 characters of the URL-safe alphabet, so it travels in a
 * redirect's query and a form unescaped.
 */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
