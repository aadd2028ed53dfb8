/** Signals that a check cannot run with this configuration: the check is skipped with the reason, not failed. */
export class SkipCheck extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipCheck';
  }
}
