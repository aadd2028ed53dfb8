/**
 * One run plan, used by the runner, the CLI (`--list`) and the Jest entry
 * (which must register its tests before anything runs): which checks are
 * selected, which of them can run with the configuration's capabilities
 * (and on which target), which are skipped and why, and which are listed as
 * expected failures.
 */
import { isPlainText } from '../config-schema';
import { ConfigError } from '../errors';
import { describeCapability, type Capability } from './capabilities';
import type { Check } from './checks/define';
import { CHECK_GROUPS } from './types';

export interface PlanInput {
  /** Check ids or group names to run; absent or empty: all. */
  only?: readonly string[] | undefined;
  /** Check ids or group names to leave out. */
  skip?: readonly string[] | undefined;
  /** Check ids listed as expected failures (with their reasons). */
  expectedFailures?: ReadonlyMap<string, string> | undefined;
  /** What the main target's configuration provides. */
  capabilities: ReadonlySet<Capability>;
  /**
   * What a second target provides for checks the main one cannot run by
   * construction (the default run's DPoP-off reference server).
   */
  companion?: ReadonlySet<Capability> | undefined;
}

export interface SkippedCheck {
  check: Check;
  /** `needs a client_secret_post client, DPoP support (--dpop)`. */
  reason: string;
  missing: readonly Capability[];
}

export interface RunPlan {
  /** Every selected check, in catalogue order (skipped ones included). */
  selected: readonly Check[];
  /** Runnable on the main target, by scheduling mode (types.ts `Check.mode`). */
  concurrent: readonly Check[];
  ordered: readonly Check[];
  observers: readonly Check[];
  /** Runnable only on the companion target. */
  elsewhere: readonly Check[];
  skipped: readonly SkippedCheck[];
  expectedFailures: ReadonlyMap<string, string>;
  capabilities: ReadonlySet<Capability>;
}

/** Every id and group name `only`, `skip` and `expectedFailures` may use. */
export function knownSelectors(catalogue: readonly Check[]): Set<string> {
  return new Set<string>([...catalogue.map((c) => c.id), ...CHECK_GROUPS]);
}

/** Plans a run of `catalogue`; a selector or expected failure naming no check is a ConfigError (a typo must not silently drop a check). */
export function planRun(input: PlanInput, catalogue: readonly Check[]): RunPlan {
  const expectedFailures = input.expectedFailures ?? new Map<string, string>();
  const known = knownSelectors(catalogue);
  for (const [field, ids] of [
    ['only', input.only ?? []],
    ['skip', input.skip ?? []],
    ['expectedFailures', [...expectedFailures.keys()]],
  ] as const) {
    const unknown = ids.filter((id) => !known.has(id));
    // A typo is quoted; text that may be a secret (a line of the wrong file) is not (src/config-schema.ts isPlainText).
    if (unknown.length > 0) throw new ConfigError(`${field}: unknown check id ${unknown.map((id) => (isPlainText(id) ? JSON.stringify(id) : `(${id.length} characters, not shown)`)).join(', ')}`);
  }
  const matches = (check: Check, selectors: readonly string[]) => selectors.includes(check.id) || selectors.includes(check.group);
  const only = input.only ?? [];
  const selected = catalogue.filter((check) => (only.length === 0 || matches(check, only)) && !matches(check, input.skip ?? []));

  const runnable: Check[] = [];
  const elsewhere: Check[] = [];
  const skipped: SkippedCheck[] = [];
  for (const check of selected) {
    const missing = check.requires.filter((cap) => !input.capabilities.has(cap));
    if (missing.length === 0) runnable.push(check);
    else if (input.companion && missing.every((cap) => input.companion!.has(cap))) elsewhere.push(check);
    else skipped.push({ check, missing, reason: `needs ${missing.map(describeCapability).join(', ')}` });
  }
  return {
    selected,
    concurrent: runnable.filter((c) => (c.mode ?? 'concurrent') === 'concurrent'),
    ordered: runnable.filter((c) => c.mode === 'ordered'),
    observers: runnable.filter((c) => c.mode === 'observer'),
    elsewhere,
    skipped,
    expectedFailures,
    capabilities: input.capabilities,
  };
}
