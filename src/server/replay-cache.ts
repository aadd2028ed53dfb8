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
import { ExpiringStore } from './expiring-store';

/** `recorded`: first use; `replay`: seen and not expired; `full`: first use, but no room until an entry expires. */
export type ReplayCacheOutcome = 'recorded' | 'replay' | 'full';

/** The seen identifiers, in the server's one bounded expiring store (digests, expiry-ordered sweep, never an early eviction). */
export class ReplayCache {
  private readonly store: ExpiringStore<true>;

  constructor(
    readonly maxEntries: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.store = new ExpiringStore<true>(maxEntries, clock);
  }

  get size(): number {
    return this.store.size;
  }

  /** True if `key` was recorded and has not expired yet. */
  has(key: string): boolean {
    return this.store.get(key) !== undefined;
  }

  /**
   * Records `key` until `expiresAt` (ms). The check and the record are one
   * step, so two concurrent requests cannot both pass. A key already expired
   * at `expiresAt` needs no record: the credential can no longer be accepted.
   */
  add(key: string, expiresAt: number): ReplayCacheOutcome {
    if (this.has(key)) return 'replay';
    if (expiresAt <= this.clock()) return 'recorded';
    return this.store.set(key, true, expiresAt) === 'stored' ? 'recorded' : 'full';
  }

  /** Whole seconds until the soonest entry expires and frees a slot (at least 1): a `Retry-After` value (RFC 9110 §10.2.3). */
  retryAfterSeconds(): number {
    return this.store.retryAfterSeconds();
  }
}
