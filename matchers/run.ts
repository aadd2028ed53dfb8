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

/** A matcher's description; `A` and `B` are its arguments after the received value. */
export interface MatcherSpec<A = unknown, B = unknown> {
  /** The matcher's name, for the hint. */
  name: string;
  /** The expectation for these arguments; throws InvalidExpectationError for bad ones. */
  expectation(a: A, b: B): TokenEndpointExpectation;
  /** The hint's argument text, e.g. `"invalid_client"` (computed only for messages). */
  hintExpected(a: A, b: B): string;
  /** What a passing response is, e.g. "a valid DPoP token response" (computed only for messages). */
  what(a: A, b: B): string;
}

interface Call {
  ctx: MatcherContextLike;
  spec: MatcherSpec<any, any>;
  a: unknown;
  b: unknown;
}

/**
 * Runs a validation for a matcher: a Promise when the received value (a
 * fetch Response) or the expectation (a DPoP key) needs async work.
 */
export function runMatcher<A, B>(
  context: MatcherContextLike | void,
  spec: MatcherSpec<A, B>,
  received: unknown,
  a: A,
  b: B,
): MatcherResult | Promise<MatcherResult> {
  const call: Call = { ctx: context ?? {}, spec, a, b };
  let result: ValidationResult;
  try {
    const expectation = spec.expectation(a, b);
    if (expectation.dpopKey !== undefined || isFetchResponse(received)) return runAsync(call, received, expectation);
    result = validateTokenEndpointResponse(received, expectation as TokenEndpointExpectation & { dpopKey?: undefined });
  } catch (error) {
    throw matcherError(call, error);
  }
  return toResult(call, received, result);
}

async function runAsync(call: Call, received: unknown, expectation: TokenEndpointExpectation): Promise<MatcherResult> {
  let subject = received;
  if (isFetchResponse(received)) {
    try {
      subject = await fromFetch(received);
    } catch (error) {
      if (!(error instanceof UnsupportedResponseError)) throw error;
      return toResult(call, received, { ok: false, problems: [error.problem] });
    }
  }
  let result: ValidationResult;
  try {
    result = await validateTokenEndpointResponseAsync(subject, expectation);
  } catch (error) {
    throw matcherError(call, error);
  }
  return toResult(call, subject, result);
}

function toResult(call: Call, received: unknown, result: ValidationResult): MatcherResult {
  return { pass: result.ok, message: () => (result.ok ? passMessage(call, received) : failMessage(call, received, result)) };
}

function failMessage(call: Call, received: unknown, result: ValidationResult): string {
  const count = result.problems.length;
  const lines = [hint(call), '', `Expected ${call.spec.what(call.a, call.b)}; found ${count} problem${count === 1 ? '' : 's'}:`, formatProblems(result.problems)];
  const view = readResponse(received);
  if ('bodyKind' in view) lines.push('', formatResponse(view, result.problems));
  return lines.join('\n');
}

function passMessage(call: Call, received: unknown): string {
  const lines = [hint(call), '', `Expected the response not to be ${call.spec.what(call.a, call.b)}, but it is.`];
  const view = readResponse(received);
  if ('bodyKind' in view) lines.push('', formatResponse(view));
  return lines.join('\n');
}

function hint({ ctx, spec, a, b }: Call): string {
  const options = { isNot: ctx.isNot, promise: ctx.promise };
  const matcherHint = ctx.utils?.matcherHint;
  if (typeof matcherHint === 'function') return matcherHint(spec.name, undefined, spec.hintExpected(a, b), options);
  return `expect(received)${ctx.promise ? `.${ctx.promise}` : ''}${ctx.isNot ? '.not' : ''}.${spec.name}(${spec.hintExpected(a, b)})`;
}

/** A misuse of the matcher (bad options) is reported like Jest's own "Matcher error". */
function matcherError(call: Call, error: unknown): Error {
  if (error instanceof InvalidExpectationError) return new InvalidExpectationError(`${hint(call)}\n\nMatcher error: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}

/** Checks an options argument: undefined or a plain object with known keys only (catches typos). */
const NO_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze({});

export function checkOptions(options: unknown, allowed: readonly string[]): Readonly<Record<string, unknown>> {
  if (options === undefined) return NO_OPTIONS;
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
