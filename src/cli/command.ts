/**
 * The shape of a CLI command and the errors that end one. Commands are plain
 * objects (one file each under ./commands) so main stays a small dispatcher.
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors';
import { isPlainText, type SchemaProblem } from '../config-schema';

export interface CliIO {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); long-running commands await it. */
  signal?: AbortSignal;
}

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  /** The full help text, printed by `--help`. */
  help: string;
  options: OptionsConfig;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

export { UsageError };

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** A run stopped by SIGINT or SIGTERM: 128 + the signal number, as a shell reports death by that signal. */
export const EXIT_SIGINT = 130;
export const EXIT_SIGTERM = 143;

/** Returns `value` if it is one of `allowed`, else raises a UsageError naming the flag. */
export function choice<T extends string>(flag: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}${gotFlagText(value)}`);
}

/**
 * A flag's text as the value of the config member it sets: a number when it
 * reads as one, so the config schema judges the range, and judges "soon" too
 * (a string where a whole number belongs).
 */
export function numberOrText(text: string): number | string {
  return /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text;
}

/** Which flag set which member of a config built from flags. */
export interface FlagSource {
  flag: string;
  /** JSON pointer of the member it set (`/concurrency`, `/clients/0/auth`). */
  pointer: string;
  /** The text given, shown as `(got …)` when plainly no secret (isPlainText); absent for a secret or a boolean flag. */
  shown?: string;
}

/**
 * A schema problem of a config built from flags, worded for the flag that
 * caused it: `--concurrency must be a whole number from 1 to 64 (got "0")`.
 */
export function flagProblem(problem: SchemaProblem, sources: readonly FlagSource[]): UsageError {
  const at = problem.instancePath;
  const source = sources.find((s) => at === s.pointer || at.startsWith(`${s.pointer}/`));
  if (source === undefined || problem.kind === 'object') return new UsageError(`flags: ${problem.path} ${problem.problem}`);
  return new UsageError(`--${source.flag} ${problem.problem}${gotFlagText(source.shown)}`);
}

/**
 * ` (got "…")` for a flag's text, by the rule of every config message
 * (isPlainText): a secret pasted into the wrong flag (`--auth R8S3cret…`)
 * is not quoted, a typo (`--auth magic`) is.
 */
function gotFlagText(text: unknown): string {
  return typeof text === 'string' && isPlainText(text) ? ` (got ${JSON.stringify(text)})` : '';
}

export function stringFlag(values: ParsedArgs['values'], flag: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
}

export function stringsFlag(values: ParsedArgs['values'], flag: string): string[] {
  const value = values[flag];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}
