/**
 * Where the checks of the authorization_code and refresh_token grants get
 * their credentials. A token endpoint cannot be asked for an authorization
 * code: the code comes from the authorization endpoint, after a person
 * logged in and consented (RFC 6749 §4.1.1–4.1.2). So the user says how to
 * get one, and the suite asks once per code it needs:
 *
 * - a command (config `grants.authorizationCode.command`) that prints one
 *   fresh code as JSON; `grants.refreshToken.command` likewise for refresh
 *   tokens;
 * - a function (RunOptions.grantSources, or `source` in the Jest entry's
 *   `grants`), e.g. one that drives a headless browser through the login;
 * - in the default run, the reference server's test-only `/authorize`
 *   (reference-run.ts).
 *
 * What a source gives is checked (schema below) and then registered as a
 * secret before anyone can print it. What it printed is never shown, not
 * even when it is wrong: it is a code, a verifier or a token.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { GrantSourceError } from '../errors';
import { createSchemaValidator } from '../config-schema';
import { parseBoundedJson } from '../oauth/bounded-json';
import { MAX_KEPT_BODY_BYTES } from '../oauth/limits';
import { CODE_VERIFIER_PATTERN } from '../oauth/pkce';
import { interruptibleDelay, RunInterrupted } from './interrupt';

/** What a check asks a code source for. */
export interface CodeRequest {
  /** The client the code must be issued to (RFC 6749 §4.1.1 `client_id`). */
  clientId: string;
  /** The scope to ask for (RFC 6749 §3.3); absent: the client's default. */
  scope?: string;
  /**
   * The JWK SHA-256 thumbprint of the DPoP key the suite will redeem the
   * code with, when it redeems with DPoP: a source may bind the code to it
   * (`dpop_jkt` in the authorization request, RFC 9449 §10). A public value.
   */
  dpopJkt?: string;
}

/**
 * One fresh authorization code, issued for an S256 challenge of
 * `codeVerifier` (RFC 7636 §4.3) — the shape `authorizeWithReferenceServer`
 * returns, so its result can be handed over as it is.
 */
export interface IssuedCode {
  code: string;
  codeVerifier: string;
  /** The `redirect_uri` the authorization request sent (the token request repeats it, RFC 6749 §4.1.3); absent when none was sent. */
  redirectUri?: string;
  /** The scope granted, when not the one asked for. */
  scope?: string;
}

export type CodeSource = (request: CodeRequest) => Promise<IssuedCode> | IssuedCode;

export interface RefreshTokenRequest {
  clientId: string;
  scope?: string;
}

export interface IssuedRefreshToken {
  refreshToken: string;
  /** The scope the refresh token was granted (RFC 6749 §6), when known. */
  scope?: string;
}

export type RefreshTokenSource = (request: RefreshTokenRequest) => Promise<IssuedRefreshToken> | IssuedRefreshToken;

/** The sources of one run. */
export interface GrantSources {
  authorizationCode?: CodeSource;
  refreshToken?: RefreshTokenSource;
}

/** A command as configured: a line for the shell, or a program and its arguments. */
export type GrantCommand = string | readonly string[];

/** The environment variables a command is run with (besides the run's environment). */
export const COMMAND_ENV = { clientId: 'TOKEN_CONTRACT_CLIENT_ID', scope: 'TOKEN_CONTRACT_SCOPE', dpopJkt: 'TOKEN_CONTRACT_DPOP_JKT' } as const;

/** How long a command may take (a headless login is slow, but a run is bounded). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

// ---- what a source must give ------------------------------------------------

/** RFC 6749 Appendix A.11 (code) and A.17 (refresh-token): 1*VSCHAR. */
const VSCHAR_PATTERN = '^[\\x20-\\x7e]+$';

const codeSchema = (names: { code: string; verifier: string; redirect: string }) => ({
  type: 'object',
  required: [names.code, names.verifier],
  properties: {
    [names.code]: { type: 'string', minLength: 1, maxLength: MAX_KEPT_BODY_BYTES, pattern: VSCHAR_PATTERN },
    [names.verifier]: { type: 'string', pattern: CODE_VERIFIER_PATTERN },
    [names.redirect]: { type: 'string', minLength: 1, maxLength: MAX_KEPT_BODY_BYTES },
    scope: { type: 'string', maxLength: MAX_KEPT_BODY_BYTES },
  },
});
const refreshSchema = (name: string) => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'string', minLength: 1, maxLength: MAX_KEPT_BODY_BYTES, pattern: VSCHAR_PATTERN }, scope: { type: 'string', maxLength: MAX_KEPT_BODY_BYTES } },
});

/** Everything a source gives may be a credential: no value is ever quoted. */
const NEVER_SHOWN = { isSecret: () => true, patternWords: { [CODE_VERIFIER_PATTERN]: 'be 43 to 128 unreserved characters (RFC 7636 §4.1)', [VSCHAR_PATTERN]: 'be printable ASCII (RFC 6749 Appendix A)' } };
const COMMAND_CODE = createSchemaValidator(codeSchema({ code: 'code', verifier: 'code_verifier', redirect: 'redirect_uri' }), NEVER_SHOWN);
const FUNCTION_CODE = createSchemaValidator(codeSchema({ code: 'code', verifier: 'codeVerifier', redirect: 'redirectUri' }), NEVER_SHOWN);
const COMMAND_REFRESH = createSchemaValidator(refreshSchema('refresh_token'), NEVER_SHOWN);
const FUNCTION_REFRESH = createSchemaValidator(refreshSchema('refreshToken'), NEVER_SHOWN);

/** The members each answer is read for (once each, into a plain object: a getter is not asked twice). */
const CODE_MEMBERS = { command: ['code', 'code_verifier', 'redirect_uri', 'scope'], function: ['code', 'codeVerifier', 'redirectUri', 'scope'] } as const;
const REFRESH_MEMBERS = { command: ['refresh_token', 'scope'], function: ['refreshToken', 'scope'] } as const;

/**
 * The answer, copied member by member and then checked. A hostile value (a
 * getter that throws, a Proxy, a getter that answers differently the second
 * time) is a wrong answer, not a crash: each member is read exactly once,
 * here, and only the copy is used afterwards.
 */
function checked<T>(value: unknown, validator: typeof COMMAND_CODE, members: readonly string[], where: string): T {
  let copy: unknown;
  let problem;
  try {
    copy = plainCopy(value, members);
    problem = validator.check(copy);
  } catch {
    throw new GrantSourceError(`${where} gave a value that cannot be read`);
  }
  if (problem !== undefined) throw new GrantSourceError(`${where} gave no usable answer: ${problem.path === '' ? 'the answer' : problem.path} ${problem.problem} (values are not shown: they are credentials)`);
  return copy as T;
}

/** An object's `members` (those not undefined) in a plain object; anything else as it is (the schema refuses it by type). */
function plainCopy(value: unknown, members: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const name of members) {
    const member = (value as Record<string, unknown>)[name];
    if (member !== undefined) out[name] = member;
  }
  return out;
}

/** How much longer a function source is waited for than its timeout (see callSource). */
const SOURCE_DEADLINE_SLACK_MS = 1_000;

/** How long a function source may take, and the run's stop signal: a source that never settles must not hang the run. */
export interface SourceBounds {
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

/** A code from a function source, checked (the function's own error is wrapped, never its value). */
export async function codeFrom(source: CodeSource, request: CodeRequest, where: string, bounds: SourceBounds = {}): Promise<IssuedCode> {
  const value = await callSource(source, request, where, bounds);
  const out = checked<IssuedCode>(value, FUNCTION_CODE, CODE_MEMBERS.function, where);
  return pick({ code: out.code, codeVerifier: out.codeVerifier, redirectUri: out.redirectUri, scope: out.scope });
}

export async function refreshTokenFrom(source: RefreshTokenSource, request: RefreshTokenRequest, where: string, bounds: SourceBounds = {}): Promise<IssuedRefreshToken> {
  const value = await callSource(source, request, where, bounds);
  const out = checked<IssuedRefreshToken>(value, FUNCTION_REFRESH, REFRESH_MEMBERS.function, where);
  return pick({ refreshToken: out.refreshToken, scope: out.scope });
}

async function callSource(source: unknown, request: CodeRequest | RefreshTokenRequest, where: string, bounds: SourceBounds): Promise<unknown> {
  if (typeof source !== 'function') throw new GrantSourceError(`${where} is not a function (got ${source === null ? 'null' : typeof source})`);
  // A command source bounds itself with the same timeout and kills its process group: a second more here lets
  // its own answer ("did not finish within …, killed") arrive first.
  const timeoutMs = bounds.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const stop = new AbortController();
  try {
    // The function is not waited for past its deadline or the run's stop (it may go on in the background: a function cannot be killed).
    const deadline = interruptibleDelay(timeoutMs + SOURCE_DEADLINE_SLACK_MS, AbortSignal.any([stop.signal, ...(bounds.signal ? [bounds.signal] : [])])).then(
      () => Promise.reject(new GrantSourceError(`${where} did not answer within ${durationWords(timeoutMs)}`)),
      (error: unknown) => (bounds.signal?.aborted ? Promise.reject(error) : new Promise<never>(() => undefined)),
    );
    return await Promise.race([Promise.resolve().then(() => (source as (request: unknown) => unknown)({ ...request })), deadline]);
  } catch (error) {
    // The suite's own errors pass (a command source's GrantSourceError; RunInterrupted when the run stops).
    if (isOneOf(error, [GrantSourceError, RunInterrupted])) throw error;
    // Its message is the user's own words; it could quote what it was handling, so it is the cause, not the message.
    throw new GrantSourceError(`${where} failed (${thrownKind(error)}); its message is not shown, it may carry credentials`, { cause: error });
  } finally {
    stop.abort();
  }
}

/** `error instanceof` one of `classes`, false for a value that cannot even say (a Proxy whose getPrototypeOf throws). */
function isOneOf(error: unknown, classes: ReadonlyArray<abstract new (...args: never[]) => unknown>): boolean {
  try {
    return classes.some((c) => error instanceof c);
  } catch {
    return false;
  }
}

/**
 * What was thrown, in words safe to print: an error's class name when it
 * reads as one (`TypeError`, `TimeoutError`), else only its kind. A name is
 * the thrower's to choose: anything else (a token set as `name`) is not shown.
 */
function thrownKind(error: unknown): string {
  try {
    if (error instanceof Error) {
      const name: unknown = error.name;
      return typeof name === 'string' && /^([A-Z][A-Za-z]{0,40})?(Error|Exception)$/.test(name) ? name : 'an error';
    }
    return error === null ? 'threw null' : `threw ${typeof error === 'object' ? 'an object' : `a ${typeof error}`}`;
  } catch {
    return 'threw a value that cannot be read';
  }
}

// ---- commands ---------------------------------------------------------------

export interface CommandOptions {
  env: NodeJS.ProcessEnv;
  /** The folder the command runs in (the config file's). */
  cwd: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A code source that runs `command` once per code. */
export function commandCodeSource(command: GrantCommand, options: CommandOptions, where = 'grants.authorizationCode.command'): CodeSource {
  return async (request) => {
    const printed = await runCommand(command, request, options, where);
    const out = checked<{ code: string; code_verifier: string; redirect_uri?: string; scope?: string }>(printed, COMMAND_CODE, CODE_MEMBERS.command, where);
    return pick({ code: out.code, codeVerifier: out.code_verifier, redirectUri: out.redirect_uri, scope: out.scope });
  };
}

/** A refresh token source that runs `command` once per token. */
export function commandRefreshTokenSource(command: GrantCommand, options: CommandOptions, where = 'grants.refreshToken.command'): RefreshTokenSource {
  return async (request) => {
    const printed = await runCommand(command, request, options, where);
    const out = checked<{ refresh_token: string; scope?: string }>(printed, COMMAND_REFRESH, REFRESH_MEMBERS.command, where);
    return pick({ refreshToken: out.refresh_token, scope: out.scope });
  };
}

/** How long the pipes may stay open once the command has exited (a process it left behind holding them is then ended). */
const DRAIN_MS = 1_000;

/** On POSIX the command leads its own process group, so a shell's children are ended with it. */
const OWN_GROUP = process.platform !== 'win32';

/**
 * Runs the command, bounded in time (killed after `timeoutMs`, or when the
 * run stops) and in memory (its output beyond MAX_KEPT_BODY_BYTES ends it),
 * and parses what it printed as JSON. Neither its output nor its stderr is
 * ever quoted: the answer says how it ended and how many bytes it wrote.
 *
 * It runs as the leader of its own process group, and "killed" means the
 * whole group: `sh -c "a; b"` forks, and a child left running would hold
 * the pipes open (and the run waiting) after its shell was killed.
 */
async function runCommand(command: GrantCommand, request: { clientId: string; scope?: string; dpopJkt?: string }, options: CommandOptions, where: string): Promise<unknown> {
  if (options.signal?.aborted) throw new RunInterrupted();
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const env: NodeJS.ProcessEnv = { ...options.env, [COMMAND_ENV.clientId]: request.clientId };
  // Set when asked, never inherited: a stale value in the run's environment would ask for the wrong thing.
  for (const [name, value] of [[COMMAND_ENV.scope, request.scope], [COMMAND_ENV.dpopJkt, request.dpopJkt]] as const) {
    if (value !== undefined) env[name] = value;
    else delete env[name];
  }
  const [file, args, shell] = programOf(command, where);
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn(file, args, { cwd: options.cwd, env, shell, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, detached: OWN_GROUP });
  } catch (error) {
    // Refused before it ran (a NUL byte in an argument or the environment): Node's message quotes the value, so only its code.
    throw new GrantSourceError(`${where} could not be started${codeSuffix(error)}`);
  }
  const kill = () => {
    try {
      if (OWN_GROUP && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
    child.stdout.destroy();
    child.stderr.destroy();
  };
  const stdout: Buffer[] = [];
  let stdoutBytes = 0;
  let stderrBytes = 0;
  let overflow = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    if (overflow) return;
    if (stdoutBytes > MAX_KEPT_BODY_BYTES) {
      overflow = true;
      kill();
    } else stdout.push(chunk);
  });
  // Read (so the child never blocks on a full pipe) and counted, never kept: it may carry credentials.
  child.stderr.on('data', (chunk: Buffer) => {
    stderrBytes += chunk.length;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    // `on`, not `once`: a later 'error' (a kill that failed) must find a listener, not crash the run.
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const drained = Promise.all([child.stdout, child.stderr].map((stream) => new Promise<void>((resolve) => stream.once('close', () => resolve()))));
  const stopped = new AbortController();
  const timer = interruptibleDelay(timeoutMs, AbortSignal.any([stopped.signal, ...(options.signal ? [options.signal] : [])])).then(
    () => 'timeout' as const,
    () => 'stopped' as const,
  );
  let outcome;
  try {
    outcome = await Promise.race([exited, timer]);
    if (outcome !== 'timeout' && outcome !== 'stopped' && !outcome.error) {
      // Exited: what it printed is still in the pipes, unless something it started holds them open.
      const drainedInTime = await Promise.race([drained.then(() => true), interruptibleDelay(DRAIN_MS, stopped.signal).then(() => false, () => true)]);
      if (!drainedInTime) kill();
    }
  } finally {
    stopped.abort();
  }
  if (outcome === 'timeout' || outcome === 'stopped') {
    kill();
    await exited;
    if (outcome === 'stopped') throw new RunInterrupted();
    throw new GrantSourceError(`${where} did not finish within ${durationWords(timeoutMs)} (killed)`);
  }
  const stderr = stderrBytes > 0 ? `; it wrote ${stderrBytes} bytes to stderr (not shown: they may carry credentials; run the command yourself to read them)` : '';
  if (outcome.error) {
    const code = codeSuffix(outcome.error);
    const hint = (outcome.error as NodeJS.ErrnoException).code === 'ENOENT' ? ` (no such program, or no folder ${JSON.stringify(options.cwd)})` : '';
    throw new GrantSourceError(`${where} could not be started${code}${hint}`);
  }
  if (overflow) throw new GrantSourceError(`${where} printed more than ${MAX_KEPT_BODY_BYTES} bytes (killed)${stderr}`);
  if (outcome.code !== 0) throw new GrantSourceError(`${where} ${outcome.signal ? `was killed by ${outcome.signal}` : `exited with status ${outcome.code}`}${stderr}`);
  const text = Buffer.concat(stdout).toString('utf8').trim();
  if (text === '') throw new GrantSourceError(`${where} printed nothing; it must print one JSON object${stderr}`);
  const parsed = parseBoundedJson(text);
  if (!parsed.ok) throw new GrantSourceError(`${where} did not print ${parsed.reason === 'too-deep' ? 'a JSON object of reasonable depth' : 'one JSON object'} (${text.length} characters, not shown)${stderr}`);
  return parsed.value;
}

/** The program, its arguments and whether a shell runs it; a command that names no program is a GrantSourceError, not a crash. */
function programOf(command: unknown, where: string): [string, string[], boolean] {
  if (typeof command === 'string' && command.trim() !== '') return [command, [], true];
  if (Array.isArray(command) && command.length > 0 && command.every((part) => typeof part === 'string') && command[0] !== '') {
    return [command[0] as string, command.slice(1) as string[], false];
  }
  throw new GrantSourceError(`${where} must be a command line or a non-empty array of strings (the program and its arguments)`);
}

/** ` (ENOENT)`: an error's code when it has one that reads as a code. */
function codeSuffix(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : '';
}

/** `300 ms`, `60 s`. */
function durationWords(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** The object without its undefined members (exactOptionalPropertyTypes). */
function pick<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
