/**
 * Who reports a core problem: the check that declares it in `owns`
 * (types.ts `Ownership`), so one deviation seen in many responses is
 * reported once, by its owner, instead of by every check that saw it.
 */
import type { Problem } from '../validate';
import type { CheckDescriptor } from './types';

export class OwnershipIndex {
  private readonly rules = new Map<string, string>();
  private readonly pointers: Array<[string, string]> = [];

  constructor(checks: readonly CheckDescriptor[]) {
    for (const check of checks) {
      for (const rule of check.owns?.rules ?? []) this.rules.set(rule, check.id);
      for (const pointer of check.owns?.pointers ?? []) this.pointers.push([pointer, check.id]);
    }
  }

  /** The id of the check that owns `problem`, if one does. */
  ownerOf(problem: Problem): string | undefined {
    const byRule = this.rules.get(problem.rule);
    if (byRule !== undefined) return byRule;
    if (problem.rule !== 'body.schema') return undefined;
    return this.pointers.find(([pointer]) => problem.pointer === pointer || problem.pointer.startsWith(`${pointer}/`))?.[1];
  }
}
