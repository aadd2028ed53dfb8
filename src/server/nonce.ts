/**
 * Server-provided DPoP nonces (RFC 9449 §8). Nonces are stateless: each one
 * is a time slot plus an HMAC of it under a per-process secret, so the
 * "nonce cache" costs no memory at all and cannot be flooded. A nonce is
 * valid during its own slot and the next one; the server rotates to a new
 * nonce every `lifetimeSeconds` and hands it out on the next response
 * (RFC 9449 §8.2).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class DpopNonces {
  private readonly secret = randomBytes(32);

  constructor(
    private readonly lifetimeSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The current nonce: base64url, so every character is an NQCHAR (RFC 9449 §8.1). */
  current(): string {
    return this.forSlot(this.slot());
  }

  /** `fresh`: from the current slot; `stale`: from the previous slot (still accepted, a new one should be sent); `invalid`. */
  check(nonce: string): 'fresh' | 'stale' | 'invalid' {
    const slot = this.slot();
    if (this.matches(nonce, slot)) return 'fresh';
    if (this.matches(nonce, slot - 1)) return 'stale';
    return 'invalid';
  }

  private slot(): number {
    return Math.floor(this.clock() / 1000 / this.lifetimeSeconds);
  }

  private forSlot(slot: number): string {
    const slotBytes = Buffer.alloc(8);
    slotBytes.writeBigUInt64BE(BigInt(Math.max(0, slot)));
    const mac = createHmac('sha256', this.secret).update(slotBytes).digest().subarray(0, 16);
    return Buffer.concat([slotBytes, mac]).toString('base64url');
  }

  private matches(nonce: string, slot: number): boolean {
    const expected = Buffer.from(this.forSlot(slot));
    const given = Buffer.from(nonce);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
