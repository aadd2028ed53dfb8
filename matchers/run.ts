/**
 * What every matcher shares: validation, the result object, and failure
 * messages built lazily (only when a test fails), so the pass path costs
 * little more than the validation itself.
 */
import {
  InvalidExpectationError,
  formatProblems,
  formatResponse,
  fromFetch,
  isFetchResponse,
  validateTokenEndpointResponse,
  validateTokenEndpointResponseAsync,
  UnsupportedResponseError,
  type TokenEndpointExpectation,
  type ValidationResult,
} from '../src/validate';
import { readResponse } from '../src/validate/normalize';

/** The parts of Jest's and Vitest's matcher context the matchers use; all optional, for direct calls. */
export interface MatcherContextLike {
  isNot?: boolean;
  promise?: string;
  utils?: { matcherHint?: (name: string, received?: string, expected?: string, options?: Record<string, unknown>) => string };
}

export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

export interface MatcherSpec {
  /** The matcher's name, for the hint. */
  name: string;
  /** The hint's argument text, e.g. `"invalid_client"` (computed only for messages). */
  hintExpected(): string;
  /** What a passing response is, e.g. "a valid DPoP token response" (computed only for messages). */
  what(): string;
}

/**
 * Runs a validation for a matcher: a Promise when the received value (a
 * fetch Response) or the expectation (a DPoP key) needs async work.
 * `expect` builds the expectation from the matcher's arguments and throws
 * InvalidExpectationError for bad ones.
 */
export function runMatcher(
  context: MatcherContextLike | void,
  spec: MatcherSpec,
  received: unknown,
  expect: () => TokenEndpointExpectation,
): MatcherResult | Promise<MatcherResult> {
  const ctx: MatcherContextLike = context ?? {};
  let expectation: TokenEndpointExpectation;
  let result: ValidationResult;
  try {
    expectation = expect();
    if (isFetchResponse(received) || expectation.dpopKey !== undefined) return runAsync(ctx, spec, received, expectation);
    result = validateTokenEndpointResponse(received, expectation as TokenEndpointExpectation & { dpopKey?: undefined });
  } catch (error) {
    throw matcherError(ctx, spec, error);
  }
  return toResult(ctx, spec, received, result);
}

async function runAsync(ctx: MatcherContextLike, spec: MatcherSpec, received: unknown, expectation: TokenEndpointExpectation): Promise<MatcherResult> {
  let subject = received;
  if (isFetchResponse(received)) {
    try {
      subject = await fromFetch(received);
    } catch (error) {
      if (!(error instanceof UnsupportedResponseError)) throw error;
      return toResult(ctx, spec, received, { ok: false, problems: [error.problem] });
    }
  }
  let result: ValidationResult;
  try {
    result = await validateTokenEndpointResponseAsync(subject, expectation);
  } catch (error) {
    throw matcherError(ctx, spec, error);
  }
  return toResult(ctx, spec, subject, result);
}

function toResult(ctx: MatcherContextLike, spec: MatcherSpec, received: unknown, result: ValidationResult): MatcherResult {
  return { pass: result.ok, message: () => (result.ok ? passMessage(ctx, spec, received) : failMessage(ctx, spec, received, result)) };
}

function failMessage(ctx: MatcherContextLike, spec: MatcherSpec, received: unknown, result: ValidationResult): string {
  const count = result.problems.length;
  const lines = [hint(ctx, spec), '', `Expected ${spec.what()}; found ${count} problem${count === 1 ? '' : 's'}:`, formatProblems(result.problems)];
  const view = readResponse(received);
  if ('bodyKind' in view) lines.push('', formatResponse(view, result.problems));
  return lines.join('\n');
}

function passMessage(ctx: MatcherContextLike, spec: MatcherSpec, received: unknown): string {
  const lines = [hint(ctx, spec), '', `Expected the response not to be ${spec.what()}, but it is.`];
  const view = readResponse(received);
  if ('bodyKind' in view) lines.push('', formatResponse(view));
  return lines.join('\n');
}

function hint(ctx: MatcherContextLike, spec: MatcherSpec): string {
  const options = { isNot: ctx.isNot, promise: ctx.promise };
  const matcherHint = ctx.utils?.matcherHint;
  if (typeof matcherHint === 'function') return matcherHint(spec.name, undefined, spec.hintExpected(), options);
  return `expect(received)${ctx.promise ? `.${ctx.promise}` : ''}${ctx.isNot ? '.not' : ''}.${spec.name}(${spec.hintExpected()})`;
}

/** A misuse of the matcher (bad options) is reported like Jest's own "Matcher error". */
function matcherError(ctx: MatcherContextLike, spec: MatcherSpec, error: unknown): Error {
  if (error instanceof InvalidExpectationError) {
    const wrapped = new InvalidExpectationError(`${hint(ctx, spec)}\n\nMatcher error: ${error.message}`);
    return wrapped;
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Checks an options argument: undefined or a plain object with known keys only (catches typos). */
export function checkOptions(options: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidExpectationError(`options must be an object, received ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new InvalidExpectationError(`unknown option ${JSON.stringify(key)} (known: ${allowed.join(', ')})`);
    }
  }
  return options as Record<string, unknown>;
}

/** For hints: the options an assertion was called with, secrets left out. */
export function hintArgs(...args: unknown[]): string {
  const shown = args.filter((arg) => arg !== undefined).map((arg) => {
    if (typeof arg === 'string') return JSON.stringify(arg);
    if (arg !== null && typeof arg === 'object') return `{ ${Object.keys(arg).join(', ')} }`;
    return String(arg);
  });
  return shown.join(', ');
}
