/** Signals that a check cannot run with this configuration: the check is skipped with the reason, not failed. */
export class SkipCheck extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipCheck';
  }
}

/**
 * Signals that what a check got says nothing about its rule (a code that
 * had outlived its lifetime before its request went out, under `rate`): the
 * check is inconclusive, neither passed nor failed, as when rate limited.
 */
export class NotJudged extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotJudged';
  }
}
