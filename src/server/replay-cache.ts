/**
 * A bounded, expiring set of seen identifiers: the replay caches for DPoP
 * proof `jti` (RFC 9449 §11.1) and client assertion `jti` (RFC 7523 §3 item 7).
 *
 * A replay cache must never forget an entry while the credential it protects
 * could still be accepted, or a flood of fresh credentials would push a used
 * one out and let it be replayed. So an entry lives until the caller-given
 * expiry (the assertion's `exp`, the end of the proof's `iat` window), and
 * when `maxEntries` live entries are held a new key is refused (`'full'`),
 * never recorded by evicting a live one. Memory stays bounded all the same:
 * keys are stored as SHA-256 digests (a 16 KiB `jti` costs what a short one
 * does), there are never more than `maxEntries` of them, and expired entries
 * are swept in expiry order before every insertion, so a full cache frees up
 * as time passes.
 */
import { createHash } from 'node:crypto';

/** `recorded`: first use; `replay`: seen and not expired; `full`: first use, but no room until an entry expires. */
export type ReplayCacheOutcome = 'recorded' | 'replay' | 'full';

export class ReplayCache {
  /** digest → expiry (ms). */
  private readonly entries = new Map<string, number>();
  /** The same entries as a binary min-heap on expiry, so the sweep finds the next one to expire in O(log n). */
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

  /** True if `key` was recorded and has not expired yet. */
  has(key: string): boolean {
    const expiry = this.entries.get(digest(key));
    return expiry !== undefined && expiry > this.clock();
  }

  /**
   * Records `key` until `expiresAt` (ms). The check and the record are one
   * step, so two concurrent requests cannot both pass. A key already expired
   * at `expiresAt` needs no record: the credential can no longer be accepted.
   */
  add(key: string, expiresAt: number): ReplayCacheOutcome {
    const id = digest(key);
    const now = this.clock();
    this.sweep(now);
    // After the sweep every entry left is live.
    if (this.entries.has(id)) return 'replay';
    if (expiresAt <= now) return 'recorded';
    if (this.entries.size >= this.maxEntries) return 'full';
    this.entries.set(id, expiresAt);
    this.push({ expiresAt, id });
    return 'recorded';
  }

  /** Whole seconds until the soonest entry expires and frees a slot (at least 1): a `Retry-After` value (RFC 9110 §10.2.3). */
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

function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
