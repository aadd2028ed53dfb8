import { interruptibleDelay } from './interrupt';

/**
 * Pacing of one run (config `rate`, `--rate N`): requests leave at most
 * `rate` per second, each at least 1/rate s after the one before left, in
 * the order they asked. Every request waits its turn at the HTTP client (the
 * probe, a check's requests, nonce round trips, the resend after a 429 or
 * a lost keep-alive connection), so a staging server's rate limit sees a
 * steady client, whatever the concurrency. No burst is allowed: the mean
 * rate over any stretch of the run stays within one request of `rate`.
 */
export class Pacer {
  /** Milliseconds between two requests. */
  readonly intervalMs: number;
  /** When the last request left (performance.now()). */
  private last = Number.NEGATIVE_INFINITY;
  /** The turn of the request that asked last: turns are taken one after another. */
  private tail: Promise<void> = Promise.resolve();

  constructor(readonly rate: number) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a finite number greater than 0 (got ${rate})`);
    this.intervalMs = 1000 / rate;
  }

  /**
   * Resolves when the caller's request may leave: `intervalMs` after the
   * previous one actually left (not after its planned slot, so a late timer
   * never lets two requests leave close together). Rejects with
   * RunInterrupted as soon as `signal` aborts.
   */
  wait(signal?: AbortSignal): Promise<void> {
    const turn = this.tail.then(async () => {
      // A timer may fire a little early against a fresh clock (libuv's cached loop time): wait until the time has come.
      for (let left = this.last + this.intervalMs - performance.now(); left > 0; left = this.last + this.intervalMs - performance.now()) {
        await interruptibleDelay(Math.ceil(left), signal);
      }
      this.last = performance.now();
    });
    // An interrupted turn must not hold up the ones behind it (they end at once too, on the same signal).
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}
