/**
 * A bounded, expiring set of seen identifiers: the replay caches for DPoP
 * proof `jti` (RFC 9449 §11.1) and client assertion `jti` (RFC 7523 §3 item 7).
 *
 * Memory stays bounded under load: keys are stored as SHA-256 digests (a
 * 16 KiB `jti` costs what a short one does), every entry expires, expired
 * entries are swept as new ones arrive, and past `maxEntries` the entry that
 * expires first is evicted. Eviction only happens after the caller has verified a
 * signature, so flooding the cache needs valid client credentials or keys.
 */
import { createHash } from 'node:crypto';

export class ReplayCache {
  /** key → expiry (ms). A Map iterates in insertion order, which the sweep relies on. */
  private readonly entries = new Map<string, number>();

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
    return this.hasDigest(digest(key));
  }

  private hasDigest(id: string): boolean {
    const expiry = this.entries.get(id);
    if (expiry === undefined) return false;
    if (expiry > this.clock()) return true;
    this.entries.delete(id);
    return false;
  }

  /**
   * Records `key` until `expiresAt` (ms). Returns false when the key is
   * already present and unexpired, i.e. a replay; the check and the record
   * are one step so two concurrent requests cannot both pass.
   */
  add(key: string, expiresAt: number): boolean {
    const id = digest(key);
    if (this.hasDigest(id)) return false;
    this.sweep();
    if (this.entries.size >= this.maxEntries) this.evictSoonest();
    this.entries.set(id, expiresAt);
    return true;
  }

  /** Drops expired entries from the front (oldest insertions) until one is still alive. */
  private sweep(): void {
    const now = this.clock();
    let budget = 64; // bounded work per call; the rest is swept by later calls
    for (const [key, expiry] of this.entries) {
      if (budget-- === 0) break;
      if (expiry > now) break;
      this.entries.delete(key);
    }
  }

  private evictSoonest(): void {
    let soonestKey: string | undefined;
    let soonest = Infinity;
    let scanned = 0;
    // Lifetimes are bounded and similar, so the soonest expiry sits near the
    // front; scanning a prefix keeps `add` O(1) amortised.
    for (const [key, expiry] of this.entries) {
      if (expiry < soonest) {
        soonest = expiry;
        soonestKey = key;
      }
      if (++scanned >= 32) break;
    }
    if (soonestKey !== undefined) this.entries.delete(soonestKey);
  }
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
