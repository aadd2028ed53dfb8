/**
 * What every matcher shares: validation, the result object, and failure
 * messages built lazily (only when a test fails), so the pass path costs
 * little more than the validation itself.
 *
 * Jest loads the setup entry again for every test file, so this module
 * imports the validator's modules themselves, not the ../validate barrel,
 * and loads what only a failure message needs (formatting, the SecretSet)
 * on the first failure.
 */
import { InvalidExpectationError } from '../errors';
import { RULES, type ValidationResult } from '../validate/problem';
import { fromFetch, isFetchResponse, readResponse, UnsupportedResponseError } from '../validate/normalize';
import { checkExpectation, validateTokenEndpointResponse, validateTokenEndpointResponseAsync, validateWithCheckedExpectation, type TokenEndpointExpectation } from '../validate/validate';
import { withConfiguration } from './config';
import { checkOptions } from './options';

export { checkOptions };

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

/** A matcher's description; `Args` are its arguments after the received value. */
export interface MatcherSpec<Args extends unknown[]> {
  /** The matcher's name, for the hint. */
  name: string;
  /** The expectation for these arguments; throws InvalidExpectationError for bad ones. */
  expectation(...args: Args): TokenEndpointExpectation;
  /** What a passing response is, e.g. "a valid DPoP token response" (computed only for messages). */
  what(...args: Args): string;
}

/** A matcher function as Jest and Vitest call it: the context as `this`, then the received value and the arguments. */
export type TokenEndpointMatcher<Args extends unknown[]> = (this: MatcherContextLike | void, received: unknown, ...args: Args) => MatcherResult | Promise<MatcherResult>;

interface Call {
  ctx: MatcherContextLike;
  spec: MatcherSpec<any>;
  args: unknown[];
}

/** The matcher function for a spec: the plumbing every matcher shares, so each matcher file holds only its own rules. */
export function defineMatcher<Args extends unknown[]>(spec: MatcherSpec<Args>): TokenEndpointMatcher<Args> {
  const matcher = function (this: MatcherContextLike | void, received: unknown, ...args: Args) {
    return runMatcher(this, spec, received, args);
  };
  // Named after the matcher, for stack traces and `matchers.toMatch….name`.
  return Object.defineProperty(matcher, 'name', { value: spec.name });
}

/**
 * The expectation builder of a matcher taking one options object: no
 * options give the shared frozen `defaults` (nothing allocated on the pass
 * path); given options are checked for unknown keys, then mapped by `build`.
 */
export function fromOptions<O extends object>(
  allowed: readonly (keyof O & string)[],
  defaults: TokenEndpointExpectation,
  build: (options: O) => TokenEndpointExpectation,
): (options?: O) => TokenEndpointExpectation {
  const frozen = checkedDefaults(defaults);
  return (options) => (options === undefined ? frozen : { ...frozen, ...build(checkOptions(options, allowed) as O) });
}

/**
 * Marks an expectation checked when it was built: a matcher's frozen
 * defaults, checked once at definition instead of on every call.
 * Non-enumerable, so a spread copy (given options, run-wide settings) is not
 * marked and is checked as usual.
 */
const CHECKED = Symbol('attesto.checkedExpectation');

function checkedDefaults(defaults: TokenEndpointExpectation): TokenEndpointExpectation {
  const expectation = { ...defaults };
  checkExpectation(expectation);
  Object.defineProperty(expectation, CHECKED, { value: true });
  return Object.freeze(expectation);
}

/**
 * Runs a validation for a matcher: a Promise when the received value (a
 * fetch Response) or the expectation (a DPoP key) needs async work.
 */
export function runMatcher<Args extends unknown[]>(
  context: MatcherContextLike | void,
  spec: MatcherSpec<Args>,
  received: unknown,
  args: Args,
): MatcherResult | Promise<MatcherResult> {
  const call: Call = { ctx: context ?? {}, spec, args };
  let result: ValidationResult;
  try {
    // Spread of an empty array costs more than the rest of this function: the usual call has no arguments.
    const expectation = withConfiguration(args.length === 0 ? (spec.expectation as () => TokenEndpointExpectation)() : spec.expectation(...args));
    if (expectation.dpopKey !== undefined || expectation.certificate !== undefined || isFetchResponse(received)) return runAsync(call, received, expectation);
    const sync = expectation as TokenEndpointExpectation & { dpopKey?: undefined; certificate?: undefined };
    result = (expectation as { [CHECKED]?: true })[CHECKED] === true ? validateWithCheckedExpectation(received, sync) : validateTokenEndpointResponse(received, sync);
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
      return toResult(call, received, { ok: false, problems: [error.problem], warnings: [] });
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
  if (!result.ok && call.ctx.isNot && result.problems[0]!.rule === RULES.responseShape) {
    // Like Jest's own "received value must be …" errors: a value that is not a response fails
    // in both directions, so `.not` cannot pass on a forgotten `await` or an undefined.
    return { pass: true, message: () => notAResponseMessage(call, result) };
  }
  return { pass: result.ok, message: () => messageOrFallback(call, result, () => (result.ok ? passMessage(call, received, result) : failMessage(call, received, result))) };
}

/**
 * The message, or, when the received value throws while it is shown again
 * (a getter, a Proxy: reading it for the problems already went through),
 * the problems alone: the user's error never escapes from a message.
 */
function messageOrFallback(call: Call, result: ValidationResult, build: () => string): string {
  try {
    return build();
  } catch {
    return [hint(call), '', format().formatProblems(result.problems.length > 0 ? result.problems : result.warnings), '', 'The received response cannot be shown: reading it threw.'].join('\n');
  }
}

type Format = typeof import('../validate/format');
type Secrets = typeof import('../oauth/secrets');
let formatModule: Format | undefined;
let secretsModule: Secrets | undefined;

/** The message formatters, loaded on the first message: a passing assertion never builds one. */
function format(): Format {
  // A synchronous lazy load: messages are built synchronously, when Jest asks for them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (formatModule ??= require('../validate/format') as Format);
}

function notAResponseMessage(call: Call, result: ValidationResult): string {
  return [hint(call), '', 'The received value is not an HTTP response, so .not cannot judge it:', format().formatProblems(result.problems)].join('\n');
}

function failMessage(call: Call, received: unknown, result: ValidationResult): string {
  const count = result.problems.length;
  const lines = [hint(call), '', `Expected ${call.spec.what(...call.args)}; found ${count} problem${count === 1 ? '' : 's'}:`, format().formatProblems(result.problems)];
  pushWarnings(lines, result);
  const view = readResponse(received);
  if ('bodyKind' in view) lines.push('', format().formatResponse(view, result.problems));
  return scrubTokens(lines.join('\n'), view);
}

/** Warnings (SHOULD; CONTRACT under the rfc profile) are listed under the problems, never dropped. */
function pushWarnings(lines: string[], result: ValidationResult): void {
  const count = result.warnings.length;
  if (count > 0) lines.push(`and ${count} warning${count === 1 ? '' : 's'} (not failing under this profile):`, format().formatProblems(result.warnings, '  ! '));
}

function passMessage(call: Call, received: unknown, result: ValidationResult): string {
  const lines = [hint(call), '', `Expected the response not to be ${call.spec.what(...call.args)}, but it is.`];
  pushWarnings(lines, result);
  const view = readResponse(received);
  if ('bodyKind' in view) lines.push('', format().formatResponse(view));
  return scrubTokens(lines.join('\n'), view);
}

/**
 * The tokens the response carries, scrubbed from the whole message with the
 * shared SecretSet (src/oauth/secrets.ts): shape-based redaction catches a
 * token in its own member, this catches it quoted anywhere else.
 */
function scrubTokens(message: string, view: ReturnType<typeof readResponse>): string {
  if (!('bodyKind' in view)) return message;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SecretSet } = (secretsModule ??= require('../oauth/secrets') as Secrets);
  return new SecretSet().addResponse(view.body).scrub(message);
}

function hint({ ctx, spec, args }: Call): string {
  const options = { isNot: ctx.isNot, promise: ctx.promise };
  const expected = hintArgs(args);
  const matcherHint = ctx.utils?.matcherHint;
  if (typeof matcherHint === 'function') return matcherHint(spec.name, undefined, expected, options);
  return `expect(received)${ctx.promise ? `.${ctx.promise}` : ''}${ctx.isNot ? '.not' : ''}.${spec.name}(${expected})`;
}

/** A misuse of the matcher (bad options) is reported like Jest's own "Matcher error". */
function matcherError(call: Call, error: unknown): Error {
  if (error instanceof InvalidExpectationError) return new InvalidExpectationError(`${hint(call)}\n\nMatcher error: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}

/** The statuses an assertion names, for its summary line: `401`, `400/401`; `fallback` when it names none. */
export function describeStatusOption(status: number | readonly number[] | undefined, fallback: string): string {
  if (status === undefined) return fallback;
  return typeof status === 'number' ? String(status) : status.join('/');
}

/** For hints: the arguments an assertion was called with, option names only (values may be keys or secrets). */
function hintArgs(args: readonly unknown[]): string {
  let last = args.length;
  while (last > 0 && args[last - 1] === undefined) last--; // trailing omitted arguments
  return args
    .slice(0, last)
    .map((arg) => {
      if (typeof arg === 'string') return JSON.stringify(arg);
      if (arg instanceof RegExp) return String(arg);
      if (arg !== null && typeof arg === 'object') return `{ ${Object.keys(arg).join(', ')} }`;
      return String(arg);
    })
    .join(', ');
}
