/**
 * How findings become a check status under a profile, and how the list of
 * expected failures turns a status into `expected-failure` or
 * `unexpected-pass` (the OpenID conformance suite's model).
 */
import { LEVELS, type CheckStatus, type Finding, type Level, type Profile } from './types';

/** Whether a finding at `level` fails the run under `profile` (otherwise it warns). */
export function failsUnder(profile: Profile, level: Level): boolean {
  if (level === 'MUST') return true;
  if (level === 'CONTRACT') return profile === 'attesto';
  return false; // SHOULD and MAY never fail a run
}

/** The status of a check that ran, from its findings. */
export function statusOf(profile: Profile, findings: readonly Finding[]): 'passed' | 'failed' | 'warned' {
  if (findings.length === 0) return 'passed';
  return findings.some((f) => failsUnder(profile, f.level)) ? 'failed' : 'warned';
}

/**
 * A listed check that fails (or only warns) is an expected failure; a listed
 * check that passes is "unexpectedly passing", so the list can be trimmed.
 * Skipped checks stay skipped.
 */
export function applyExpectation(status: CheckStatus, expected: boolean): CheckStatus {
  if (!expected) return status;
  if (status === 'failed' || status === 'warned') return 'expected-failure';
  if (status === 'passed') return 'unexpected-pass';
  return status;
}

/** The findings that make a check fail under the profile come first, then the warnings. */
export function orderFindings(profile: Profile, findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => Number(failsUnder(profile, b.level)) - Number(failsUnder(profile, a.level)));
}

/**
 * The level that decided a check's status: the most severe finding that
 * counted (one that fails the run under the profile, else any warning).
 * A MUST check failed only by its CONTRACT half is a CONTRACT failure.
 * Undefined without findings (the status owes nothing to a finding).
 */
export function decidingLevel(profile: Profile, findings: readonly Finding[]): Level | undefined {
  const failing = findings.filter((f) => failsUnder(profile, f.level));
  const counted = failing.length > 0 ? failing : findings;
  let best: Level | undefined;
  for (const finding of counted) if (best === undefined || LEVELS.indexOf(finding.level) < LEVELS.indexOf(best)) best = finding.level;
  return best;
}
