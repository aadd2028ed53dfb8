/**
 * How findings become a check status under a profile, and how the list of
 * expected failures turns a status into `expected-failure` or
 * `unexpected-pass` (the OpenID conformance suite's model).
 */
import { FAIL_ON, LEVELS, type CheckStatus, type FailOn, type FailurePolicy, type Finding, type Level, type Profile } from './types';

/** A profile alone, or the policy of a run (its profile and the lowest failing level). */
export type PolicyLike = Profile | Pick<FailurePolicy, 'profile' | 'failOn'>;

/** The lowest failing level of a profile when `--fail-on` is not given: as the profile says. */
export function defaultFailOn(profile: Profile): FailOn {
  return profile === 'attesto' ? 'CONTRACT' : 'MUST';
}

/** Whether a finding at `level` fails the run (otherwise it warns): at or above the lowest failing level; never CONTRACT under rfc. */
export function failsUnder(policy: PolicyLike, level: Level): boolean {
  const { profile, failOn } = typeof policy === 'string' ? { profile: policy, failOn: defaultFailOn(policy) } : policy;
  // The rfc profile judges by the RFC text alone: the contract's additions never fail it, whatever the fail level.
  if (level === 'CONTRACT' && profile === 'rfc') return false;
  return FAIL_ON.indexOf(level) <= FAIL_ON.indexOf(failOn);
}

/** The status of a check that ran, from its findings. */
export function statusOf(policy: PolicyLike, findings: readonly Finding[]): 'passed' | 'failed' | 'warned' {
  if (findings.length === 0) return 'passed';
  return findings.some((f) => failsUnder(policy, f.level)) ? 'failed' : 'warned';
}

/**
 * Whether a result with `status` fails the run: a failure always; an
 * unexpected pass under `strictExpected` (a listed failure that now passes
 * must leave the list, as the MCP conformance suite holds); an inconclusive
 * check under `failOn: 'inconclusive'`.
 */
export function failsRun(status: CheckStatus, policy: Pick<FailurePolicy, 'failOn' | 'strictExpected'>): boolean {
  if (status === 'failed') return true;
  if (status === 'unexpected-pass') return policy.strictExpected;
  if (status === 'inconclusive') return policy.failOn === 'inconclusive';
  return false;
}

/** Words for what fails a run and what only warns under the policy: `MUST and CONTRACT fail the run; SHOULD/MAY warn`. */
export function policyWords(policy: FailurePolicy): string {
  const failing = LEVELS.filter((level) => failsUnder(policy, level));
  const warning = LEVELS.filter((level) => !failsUnder(policy, level));
  const words = (levels: readonly string[]) => (levels.length < 2 ? levels.join('') : `${levels.slice(0, -1).join(', ')} and ${levels.at(-1)}`);
  const parts = [`${words(failing)} fail${failing.length === 1 ? 's' : ''} the run`];
  if (warning.length > 0) parts.push(`${warning.join('/')} warn${warning.length === 1 ? 's' : ''}`);
  if (policy.failOn === 'inconclusive') parts.push('inconclusive checks fail');
  if (policy.strictExpected) parts.push('unexpected passes fail (--strict-expected)');
  return parts.join('; ');
}

/** The console's last line's words on the policy: `profile attesto: MUST and CONTRACT fail the run; SHOULD/MAY warn`. */
export function describePolicy(policy: FailurePolicy): string {
  return `profile ${policy.profile}: ${policyWords(policy)}`;
}

/**
 * A listed check that fails (or only warns) is an expected failure; a listed
 * check that passes is "unexpectedly passing", so the list can be trimmed.
 * Skipped checks stay skipped.
 */
export function applyExpectation(status: CheckStatus, expected: boolean, strictExpected = false): CheckStatus {
  if (!expected) return status;
  // Strict: a listed check that no longer fails (only warns now) is as stale an entry as one that passes.
  if (status === 'warned' && strictExpected) return 'unexpected-pass';
  if (status === 'failed' || status === 'warned') return 'expected-failure';
  if (status === 'passed') return 'unexpected-pass';
  return status;
}

/** The findings that make a check fail under the policy come first, then the warnings. */
export function orderFindings(policy: PolicyLike, findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => Number(failsUnder(policy, b.level)) - Number(failsUnder(policy, a.level)));
}

/**
 * The level that decided a check's status: the most severe finding that
 * counted (one that fails the run under the profile, else any warning).
 * A MUST check failed only by its CONTRACT half is a CONTRACT failure.
 * Undefined without findings (the status owes nothing to a finding).
 */
export function decidingLevel(policy: PolicyLike, findings: readonly Finding[]): Level | undefined {
  const failing = findings.filter((f) => failsUnder(policy, f.level));
  const counted = failing.length > 0 ? failing : findings;
  let best: Level | undefined;
  for (const finding of counted) if (best === undefined || LEVELS.indexOf(finding.level) < LEVELS.indexOf(best)) best = finding.level;
  return best;
}
