/**
 * The shape of a CLI command and the errors that end one. Commands are plain
 * objects (one file each under ./commands) so main stays a small dispatcher.
 */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors';

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

/** Returns `value` if it is one of `allowed`, else raises a UsageError naming the flag. */
export function choice<T extends string>(flag: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
}

/** Parses a whole, positive (or zero when allowed) integer flag value. */
export function integerFlag(flag: string, value: unknown, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return Number(text);
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
