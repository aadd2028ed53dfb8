/**
 * Run-wide matcher settings: `configureMatchers({ profile: 'rfc' })` once
 * (e.g. in a setup file), instead of `{ profile: 'rfc' }` on every call.
 * Options given to a matcher call win over these.
 */
import type { ValidationProfile } from '../validate/problem';
import { checkExpectation, type TokenEndpointExpectation } from '../validate/validate';
import { checkOptions } from './options';

export interface MatcherConfiguration {
  /** The default profile of every matcher call: `attesto` (the contract; the default) or `rfc` (only RFC MUSTs fail; contract rules warn). */
  profile?: ValidationProfile;
  /** Error codes of your own (RFC 6749 §8.5 extensions) every matcher call accepts. */
  errorCodes?: readonly string[];
}

const NONE: MatcherConfiguration = Object.freeze({});
let current: MatcherConfiguration = NONE;

/**
 * Sets the defaults of every later matcher call, replacing earlier ones
 * (`configureMatchers({})` restores the package defaults). Throws
 * InvalidExpectationError for an unknown key or a malformed value.
 */
export function configureMatchers(configuration: MatcherConfiguration): void {
  checkOptions(configuration, ['profile', 'errorCodes']);
  const { profile, errorCodes } = configuration;
  checkExpectation({ profile, errorCodes });
  const next: MatcherConfiguration = {};
  if (profile !== undefined) next.profile = profile;
  if (errorCodes !== undefined) next.errorCodes = Object.freeze([...errorCodes]);
  current = Object.keys(next).length === 0 ? NONE : Object.freeze(next);
}

/** The matcher settings now in force (a frozen copy). */
export function matcherConfiguration(): MatcherConfiguration {
  return current;
}

/** The expectation with the run-wide settings it does not set itself; the same object when there are none. */
export function withConfiguration(expectation: TokenEndpointExpectation): TokenEndpointExpectation {
  if (current === NONE) return expectation;
  const profile = expectation.profile ?? current.profile;
  const errorCodes = expectation.errorCodes ?? current.errorCodes;
  if (profile === expectation.profile && errorCodes === expectation.errorCodes) return expectation;
  return { ...expectation, profile, errorCodes };
}
