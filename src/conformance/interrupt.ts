/**
 * Stopping a run (SIGINT, SIGTERM, RunOptions.signal): no check starts
 * after the signal, and a check waiting (a 429's Retry-After, its turn under
 * `rate`) or with a request in flight stops at once instead of finishing
 * its wait; it is reported as skipped, "run interrupted", never as a
 * failure of the server.
 */

/** A skipped check's message when the run was stopped before or while it ran. */
export const INTERRUPTED_MESSAGE = 'run interrupted';

/** Thrown inside a check when the run's signal aborts it. */
export class RunInterrupted extends Error {
  constructor() {
    super(INTERRUPTED_MESSAGE);
    this.name = 'RunInterrupted';
  }
}

/** Resolves after `ms`, or rejects with RunInterrupted as soon as `signal` aborts (the timer is cleared: nothing keeps the process alive). */
export function interruptibleDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(new RunInterrupted());
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RunInterrupted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
