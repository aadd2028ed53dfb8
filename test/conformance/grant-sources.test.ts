/**
 * Grant sources (src/conformance/grant-sources.ts): the commands that print
 * an authorization code or a refresh token, run for real as child processes
 * (node scripts written to a scratch folder), and the functions a program or
 * the Jest entry passes. Every way a source can go wrong is one clear
 * GrantSourceError line, and nothing a source printed or returned (a valid
 * code, verifier or refresh token included) is in it, raw or encoded.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GrantSourceError } from '../../src/errors';
import {
  codeFrom,
  commandCodeSource,
  commandRefreshTokenSource,
  refreshTokenFrom,
  type CodeSource,
  type CommandOptions,
  type GrantCommand,
  type RefreshTokenSource,
} from '../../src/conformance/grant-sources';
import { RunInterrupted } from '../../src/conformance/interrupt';
import { MAX_KEPT_BODY_BYTES } from '../../src/oauth/limits';
import { expectNoLeak } from '../support/leaks';

// What the sources hand out: random, so no prefix of them is ordinary text.
const secret = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;
const CODE = secret('Cd');
const VERIFIER = randomBytes(48).toString('base64url'); // 64 unreserved characters: a valid code_verifier
const REFRESH = secret('Rt');
const SECRETS = [CODE, VERIFIER, REFRESH];

/**
 * The command under test. argv[2] says what it does; it reads the secrets from
 * its environment and prints them to stderr every time, as a chatty login
 * script would.
 */
const SCRIPT = String.raw`
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const { T_CODE, T_VERIFIER, T_REFRESH } = process.env;
const out = (value) => process.stdout.write(typeof value === 'string' ? value : JSON.stringify(value));
process.stderr.write('login for ' + process.env.TOKEN_CONTRACT_CLIENT_ID + ': code ' + T_CODE + ' verifier ' + T_VERIFIER + ' refresh ' + T_REFRESH + '\n');
const pidFile = () => fs.writeFileSync('pid-' + process.argv[2], String(process.pid));
switch (process.argv[2]) {
  case 'code':
    out({ code: T_CODE, code_verifier: T_VERIFIER, redirect_uri: 'https://app.example/cb', unrelated: T_REFRESH });
    break;
  case 'code-scoped':
    out({ code: T_CODE, code_verifier: T_VERIFIER, scope: 'read granted' });
    break;
  case 'refresh':
    out({ refresh_token: T_REFRESH, scope: 'read' });
    break;
  case 'env':
    fs.writeFileSync('seen.json', JSON.stringify({ cwd: process.cwd(), clientId: process.env.TOKEN_CONTRACT_CLIENT_ID, scope: process.env.TOKEN_CONTRACT_SCOPE ?? null, hasScope: 'TOKEN_CONTRACT_SCOPE' in process.env }));
    out({ code: T_CODE, code_verifier: T_VERIFIER });
    break;
  case 'print':
    out(process.env.T_PRINT);
    break;
  case 'fail':
    out({ code: T_CODE, code_verifier: T_VERIFIER });
    process.exitCode = 3;
    break;
  case 'signal':
    out({ code: T_CODE, code_verifier: T_VERIFIER });
    process.stdout.write('', () => process.kill(process.pid, 'SIGTERM'));
    setInterval(() => undefined, 1000);
    break;
  case 'flood': {
    pidFile();
    const chunk = Buffer.from(JSON.stringify({ code: T_CODE, code_verifier: T_VERIFIER, refresh_token: T_REFRESH }).repeat(200));
    const more = () => { while (process.stdout.write(chunk)); process.stdout.once('drain', more); };
    more();
    break;
  }
  case 'hang':
    pidFile();
    if (process.argv[3] === 'answer') out({ code: T_CODE, code_verifier: T_VERIFIER });
    setInterval(() => undefined, 1000);
    break;
  case 'leave-behind':
    // Answers and exits, leaving a process that holds the pipes open.
    spawn(process.execPath, [__filename, 'hang'], { stdio: ['ignore', 'inherit', 'inherit'] }).unref();
    out({ code: T_CODE, code_verifier: T_VERIFIER });
    break;
}
`;

let dir: string;
let script: string;
let folders = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grant-sources-'));
  script = join(dir, 'answer.js');
  writeFileSync(script, SCRIPT);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder for one command to run in. */
function folder(): string {
  const path = join(dir, `run-${(folders += 1)}`);
  mkdirSync(path);
  return path;
}

const argv = (...args: string[]): string[] => [process.execPath, script, ...args];
const line = (...args: string[]): string => [process.execPath, script, ...args].map((a) => JSON.stringify(a)).join(' ');

function options(extra: Partial<CommandOptions> & { print?: string } = {}): CommandOptions {
  const { print, ...rest } = extra;
  return {
    env: { ...process.env, T_CODE: CODE, T_VERIFIER: VERIFIER, T_REFRESH: REFRESH, ...(print !== undefined ? { T_PRINT: print } : {}) },
    cwd: folder(),
    timeoutMs: 10_000,
    ...rest,
  };
}

const codeCommand = (command: GrantCommand, opts: CommandOptions, request = { clientId: 'web-app', scope: 'read' }) => commandCodeSource(command, opts)(request);
const refreshCommand = (command: GrantCommand, opts: CommandOptions, request = { clientId: 'web-app', scope: 'read' }) => commandRefreshTokenSource(command, opts)(request);

/** The error a call ends in: a one-line GrantSourceError matching `message`, carrying none of `secrets` in any form. */
async function sourceError(call: unknown, message: RegExp, secrets: readonly string[] = SECRETS): Promise<GrantSourceError> {
  const error = await Promise.resolve(call).then(
    () => {
      throw new Error('expected the source to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GrantSourceError);
  const failure = error as GrantSourceError;
  expect(failure.code).toBe('ERR_GRANT_SOURCE');
  expect(failure.name).toBe('GrantSourceError');
  expect(failure.message).toMatch(message);
  expect(failure.message).not.toContain('\n');
  for (const s of secrets) expectNoLeak(`${failure.message}\n${failure.stack ?? ''}\n${String(failure)}`, s);
  return failure;
}

/**
 * Whether the process `pid` (written by the script to its folder) has ended;
 * waits up to a second for it. A zombie has ended too: an orphan killed with
 * its group is reparented to pid 1, which in a container may never reap it.
 */
async function ended(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i += 1) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (zombie(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

function zombie(pid: number): boolean {
  try {
    // /proc/PID/stat: "pid (comm) S …"; comm may hold spaces and parentheses, the state follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

const pidIn = (cwd: string, mode: string): number => Number(readFileSync(join(cwd, `pid-${mode}`), 'utf8'));

describe('a command', () => {
  test('as argv (no shell): the JSON it prints becomes the code, the verifier and the redirect_uri; unknown members are dropped', async () => {
    await expect(codeCommand(argv('code'), options())).resolves.toEqual({ code: CODE, codeVerifier: VERIFIER, redirectUri: 'https://app.example/cb' });
  });

  test('as a shell line: the same, and the scope it says was granted', async () => {
    await expect(codeCommand(line('code-scoped'), options())).resolves.toEqual({ code: CODE, codeVerifier: VERIFIER, scope: 'read granted' });
    // The shell's own syntax works: the line is the shell's.
    await expect(codeCommand(`${line('print')} | cat`, options({ print: JSON.stringify({ code: CODE, code_verifier: VERIFIER }) }))).resolves.toEqual({ code: CODE, codeVerifier: VERIFIER });
  });

  test('a refresh token command: { refresh_token, scope } becomes { refreshToken, scope }', async () => {
    await expect(refreshCommand(argv('refresh'), options())).resolves.toEqual({ refreshToken: REFRESH, scope: 'read' });
    await expect(refreshCommand(line('print'), options({ print: ` \n${JSON.stringify({ refresh_token: REFRESH })}\n\n` }))).resolves.toEqual({ refreshToken: REFRESH });
  });

  test('runs in the given folder with TOKEN_CONTRACT_CLIENT_ID and TOKEN_CONTRACT_SCOPE; no scope asked: no TOKEN_CONTRACT_SCOPE, even one the run inherited', async () => {
    const scoped = options();
    await codeCommand(argv('env'), scoped, { clientId: 'spa', scope: 'read write' });
    expect(JSON.parse(readFileSync(join(scoped.cwd, 'seen.json'), 'utf8'))).toEqual({ cwd: scoped.cwd, clientId: 'spa', scope: 'read write', hasScope: true });

    const unscoped = options();
    unscoped.env.TOKEN_CONTRACT_SCOPE = 'stale-from-the-parent';
    await codeCommand(line('env'), unscoped, { clientId: 'web-app' } as never);
    expect(JSON.parse(readFileSync(join(unscoped.cwd, 'seen.json'), 'utf8'))).toEqual({ cwd: unscoped.cwd, clientId: 'web-app', scope: null, hasScope: false });
  });
});

describe('a command that goes wrong is one GrantSourceError line that shows nothing it printed', () => {
  test('a non-zero exit (after printing a valid answer; secrets on stderr)', async () => {
    const error = await sourceError(codeCommand(argv('fail'), options()), /^grants\.authorizationCode\.command exited with status 3; it wrote \d+ bytes to stderr \(not shown: they may carry credentials; run the command yourself to read them\)$/);
    expect(error.cause).toBeUndefined();
  });

  test('killed by a signal', async () => {
    await sourceError(codeCommand(argv('signal'), options()), /^grants\.authorizationCode\.command was killed by SIGTERM; it wrote \d+ bytes to stderr/);
  });

  test('a program that does not exist, a folder that does not exist (ENOENT); a shell line naming no program (status 127)', async () => {
    await sourceError(codeCommand(['/nonexistent/get-code'], options()), /^grants\.authorizationCode\.command could not be started \(ENOENT\) \(no such program, or no folder ".*"\)$/);
    await sourceError(codeCommand(argv('code'), { ...options(), cwd: join(dir, 'no-such-folder') }), /could not be started \(ENOENT\)/);
    await sourceError(codeCommand('surely-no-such-program-token-contract', options()), /^grants\.authorizationCode\.command exited with status 127; it wrote \d+ bytes to stderr/);
  });

  test('a command that names no program, or an argument Node refuses (its message would quote it), is an error, not a crash', async () => {
    await sourceError(codeCommand([], options()), /^grants\.authorizationCode\.command must be a command line or a non-empty array of strings/);
    await sourceError(codeCommand('   ', options()), /must be a command line/);
    await sourceError(codeCommand([process.execPath, 42] as never, options()), /must be a command line/);
    await sourceError(codeCommand([process.execPath, `a\0${CODE}`], options()), /^grants\.authorizationCode\.command could not be started \(ERR_INVALID_ARG_VALUE\)$/);
    const env = options();
    env.env.SOME_TOKEN = `x\0${REFRESH}`;
    await sourceError(codeCommand(argv('code'), env), /could not be started \(ERR_INVALID_ARG_VALUE\)$/);
  });

  test('printing nothing', async () => {
    await sourceError(codeCommand(line('print'), options({ print: '  \n' })), /^grants\.authorizationCode\.command printed nothing; it must print one JSON object; it wrote \d+ bytes to stderr/);
  });

  test('printing what is not JSON, or JSON nested too deep', async () => {
    await sourceError(codeCommand(argv('print'), options({ print: `code=${CODE}&code_verifier=${VERIFIER}` })), /^grants\.authorizationCode\.command did not print one JSON object \(\d+ characters, not shown\); it wrote/);
    await sourceError(codeCommand(argv('print'), options({ print: `{"code": "${CODE}", "code_verifier": "${VERIFIER}"` })), /did not print one JSON object/);
    await sourceError(codeCommand(argv('print'), options({ print: `${'['.repeat(1000)}"${CODE}"${']'.repeat(1000)}` })), /did not print a JSON object of reasonable depth \(\d+ characters, not shown\)/);
  });

  test(`printing more than ${MAX_KEPT_BODY_BYTES} bytes: killed at once (it would print forever), the output not kept`, async () => {
    const opts = options({ timeoutMs: 20_000 });
    const started = Date.now();
    await sourceError(codeCommand(argv('flood'), opts), new RegExp(`^grants\\.authorizationCode\\.command printed more than ${MAX_KEPT_BODY_BYTES} bytes \\(killed\\); it wrote`));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await ended(pidIn(opts.cwd, 'flood'))).toBe(true);
  });

  test('a command that does not finish: killed after timeoutMs', async () => {
    const opts = options({ timeoutMs: 300 });
    const started = Date.now();
    await sourceError(codeCommand(argv('hang', 'answer'), opts), /^grants\.authorizationCode\.command did not finish within 300 ms \(killed\)$/);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await ended(pidIn(opts.cwd, 'hang'))).toBe(true);
  });

  test('a shell line whose shell forks: the timeout ends the whole command, not only the shell (the run does not wait on a child holding the pipes)', async () => {
    const opts = options({ timeoutMs: 300 });
    const started = Date.now();
    await sourceError(codeCommand(`${line('hang')}; echo done`, opts), /did not finish within 300 ms \(killed\)$/);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await ended(pidIn(opts.cwd, 'hang'))).toBe(true);
  });

  test('a command that answers and exits but leaves a process holding its output open: its answer counts, the leftover is ended', async () => {
    const opts = options();
    const started = Date.now();
    await expect(codeCommand(argv('leave-behind'), opts)).resolves.toEqual({ code: CODE, codeVerifier: VERIFIER });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await ended(pidIn(opts.cwd, 'hang'))).toBe(true);
  });

  test('a run interrupted while the command runs: RunInterrupted, the command killed; an already stopped run starts no command', async () => {
    const stop = new AbortController();
    const opts = options({ signal: stop.signal, timeoutMs: 20_000 });
    setTimeout(() => stop.abort(), 300);
    const started = Date.now();
    await expect(codeCommand(argv('hang'), opts)).rejects.toBeInstanceOf(RunInterrupted);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await ended(pidIn(opts.cwd, 'hang'))).toBe(true);

    const before = options({ signal: AbortSignal.abort() });
    await expect(refreshCommand(argv('hang'), before)).rejects.toBeInstanceOf(RunInterrupted);
    expect(existsSync(join(before.cwd, 'pid-hang'))).toBe(false);
  });

  test('through codeFrom (as the checks call it), RunInterrupted passes unwrapped: the check ends as interrupted, not as a source failure', async () => {
    const source = commandCodeSource(argv('hang'), options({ signal: AbortSignal.abort() }));
    await expect(codeFrom(source, { clientId: 'web-app' }, 'grants.authorizationCode.command')).rejects.toBeInstanceOf(RunInterrupted);
  });

  const SHORT = secret('Sv').slice(0, 30);
  const PLUS = `${randomBytes(40).toString('base64').replace(/=+$/, '')}+/`;
  test.each<[string, unknown, RegExp]>([
    ['code missing', { code_verifier: VERIFIER, refresh_token: REFRESH }, /code is required/],
    ['code_verifier missing', { code: CODE, codeVerifier: VERIFIER }, /code_verifier is required/],
    ['code not a string', { code: 12345, code_verifier: VERIFIER }, /code must be a string/],
    ['code empty', { code: '', code_verifier: VERIFIER }, /code must not be empty/],
    ['code not printable ASCII', { code: `${CODE}\n`, code_verifier: VERIFIER }, /code must be printable ASCII \(RFC 6749 Appendix A\)/],
    ['code_verifier too short', { code: CODE, code_verifier: SHORT }, /code_verifier must be 43 to 128 unreserved characters \(RFC 7636 §4\.1\)/],
    ['code_verifier too long', { code: CODE, code_verifier: `${VERIFIER}${VERIFIER}${VERIFIER}` }, /code_verifier must be 43 to 128 unreserved characters/],
    ['code_verifier with characters outside the unreserved set', { code: CODE, code_verifier: PLUS }, /code_verifier must be 43 to 128 unreserved characters/],
    ['code_verifier not a string', { code: CODE, code_verifier: [VERIFIER] }, /code_verifier must be a string/],
    ['redirect_uri empty', { code: CODE, code_verifier: VERIFIER, redirect_uri: '' }, /redirect_uri must not be empty/],
    ['scope not a string', { code: CODE, code_verifier: VERIFIER, scope: [REFRESH] }, /scope must be a string/],
    ['an array', [CODE, VERIFIER], /the answer must be an object/],
    ['a string', CODE, /the answer must be an object/],
    ['null', null, /the answer must be an object/],
  ])('a wrong code answer (%s): the member named, no value shown', async (_label, answer, message) => {
    const error = await sourceError(codeCommand(argv('print'), options({ print: JSON.stringify(answer) })), message, [...SECRETS, SHORT, PLUS]);
    expect(error.message).toMatch(/^grants\.authorizationCode\.command gave no usable answer: .* \(values are not shown: they are credentials\)$/);
  });

  test.each<[string, unknown, RegExp]>([
    ['refresh_token missing (the function spelling)', { refreshToken: REFRESH }, /refresh_token is required/],
    ['refresh_token not a string', { refresh_token: { value: REFRESH } }, /refresh_token must be a string/],
    ['refresh_token not printable', { refresh_token: `${REFRESH}\u00e9` }, /refresh_token must be printable ASCII/],
    ['an array', [REFRESH], /the answer must be an object/],
  ])('a wrong refresh token answer (%s)', async (_label, answer, message) => {
    const error = await sourceError(refreshCommand(line('print'), options({ print: JSON.stringify(answer) })), message);
    expect(error.message).toMatch(/^grants\.refreshToken\.command gave no usable answer: /);
  });
});

describe('a function source', () => {
  const where = 'the authorization code source';

  test('its answer is checked and copied: { code, codeVerifier, redirectUri?, scope? }, undefined and unknown members dropped; it gets a copy of the request', async () => {
    const asked: unknown[] = [];
    const source: CodeSource = async (request) => {
      asked.push(request);
      (request as { clientId: string }).clientId = 'changed';
      return { code: CODE, codeVerifier: VERIFIER, redirectUri: undefined, scope: 'read', extra: REFRESH } as never;
    };
    const request = { clientId: 'spa', scope: 'read' };
    await expect(codeFrom(source, request, where)).resolves.toEqual({ code: CODE, codeVerifier: VERIFIER, scope: 'read' });
    expect(asked).toEqual([{ clientId: 'changed', scope: 'read' }]);
    expect(request.clientId).toBe('spa');
    await expect(codeFrom(() => ({ code: CODE, codeVerifier: VERIFIER, redirectUri: 'https://app.example/cb' }), { clientId: 'spa' }, where)).resolves.toEqual({ code: CODE, codeVerifier: VERIFIER, redirectUri: 'https://app.example/cb' });
    await expect(refreshTokenFrom(async () => ({ refreshToken: REFRESH }), { clientId: 'spa' }, 'the refresh token source')).resolves.toEqual({ refreshToken: REFRESH });
  });

  test('a function that throws: wrapped, its message never quoted (it is the cause), nor a name that is no class name', async () => {
    const thrown = new Error(`login failed for code ${CODE} / ${VERIFIER} / ${REFRESH}`);
    const error = await sourceError(codeFrom(() => { throw thrown; }, { clientId: 'spa' }, where), /^the authorization code source failed \(Error\); its message is not shown, it may carry credentials$/);
    expect(error.cause).toBe(thrown);
    await sourceError(codeFrom(async () => { throw new TypeError(CODE); }, { clientId: 'spa' }, where), /failed \(TypeError\)/);
    const named = Object.assign(new Error('x'), { name: REFRESH });
    await sourceError(refreshTokenFrom(() => { throw named; }, { clientId: 'spa' }, 'the refresh token source'), /^the refresh token source failed \(an error\)/);
    await sourceError(codeFrom(() => { throw CODE; }, { clientId: 'spa' }, where), /failed \(threw a string\)/);
    await sourceError(codeFrom(() => Promise.reject(null), { clientId: 'spa' }, where), /failed \(threw null\)/);
    await sourceError(codeFrom(() => { throw { token: REFRESH }; }, { clientId: 'spa' }, where), /failed \(threw an object\)/);
  });

  test('hostile throws: an error whose name getter throws, a Proxy whose every trap throws', async () => {
    const nameThrows = new Error(CODE);
    Object.defineProperty(nameThrows, 'name', { get: () => { throw new Error(VERIFIER); } });
    await sourceError(codeFrom(() => { throw nameThrows; }, { clientId: 'spa' }, where), /failed \(threw a value that cannot be read\)/);
    const trap = () => { throw new Error(REFRESH); };
    const hostile = new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });
    await sourceError(codeFrom(() => { throw hostile; }, { clientId: 'spa' }, where), /failed \(threw a value that cannot be read\)/);
  });

  test('the suite\'s own errors pass through: a GrantSourceError as it is, RunInterrupted unwrapped', async () => {
    const own = new GrantSourceError('the login page did not load');
    await expect(codeFrom(() => { throw own; }, { clientId: 'spa' }, where)).rejects.toBe(own);
    await expect(refreshTokenFrom(async () => { throw new RunInterrupted(); }, { clientId: 'spa' }, where)).rejects.toBeInstanceOf(RunInterrupted);
  });

  test('hostile answers: a Proxy, throwing getters, a thenable whose then throws, a getter that answers twice differently', async () => {
    const trap = () => { throw new Error(CODE); };
    await sourceError(codeFrom(() => new Proxy({}, { get: trap }) as never, { clientId: 'spa' }, where), /gave a value that cannot be read|failed/);
    // A Proxy whose `then` reads fine (await asks for it) but whose other members throw.
    const lateTrap = new Proxy({}, { get: (_t, name) => (name === 'then' ? undefined : trap()), getPrototypeOf: trap, ownKeys: trap });
    await sourceError(codeFrom(() => lateTrap as never, { clientId: 'spa' }, where), /^the authorization code source gave a value that cannot be read$/);
    const getter = { codeVerifier: VERIFIER, get code(): string { throw new Error(REFRESH); } };
    await sourceError(codeFrom(() => getter, { clientId: 'spa' }, where), /^the authorization code source gave a value that cannot be read$/);
    await sourceError(codeFrom(() => ({ then: trap }) as never, { clientId: 'spa' }, where), /failed \(Error\)/);
    // Read once: a valid string for the check, something else (or a throw) for whoever reads it again, would slip past the check.
    let reads = 0;
    const twoFaced = { codeVerifier: VERIFIER, get code(): string { reads += 1; if (reads > 1) throw new Error(REFRESH); return CODE; } };
    await expect(codeFrom(() => twoFaced, { clientId: 'spa' }, where)).resolves.toEqual({ code: CODE, codeVerifier: VERIFIER });
    expect(reads).toBe(1);
    let refreshReads = 0;
    const swapping = { get refreshToken(): unknown { refreshReads += 1; return refreshReads === 1 ? REFRESH : { not: 'a string' }; } };
    const issued = await refreshTokenFrom(() => swapping as never, { clientId: 'spa' }, where);
    expect(issued).toEqual({ refreshToken: REFRESH });
  });

  test.each<[string, unknown, RegExp]>([
    ['undefined', undefined, /the answer must be an object/],
    ['null', null, /the answer must be an object/],
    ['a string', CODE, /the answer must be an object/],
    ['a number', 42, /the answer must be an object/],
    ['an array', [CODE, VERIFIER], /the answer must be an object/],
    ['the command spelling', { code: CODE, code_verifier: VERIFIER }, /codeVerifier is required/],
    ['code missing', { codeVerifier: VERIFIER }, /code is required/],
    ['code an object', { code: { value: CODE }, codeVerifier: VERIFIER }, /code must be a string/],
    ['a verifier too short', { code: CODE, codeVerifier: VERIFIER.slice(0, 42) }, /codeVerifier must be 43 to 128 unreserved characters/],
    ['redirectUri a number', { code: CODE, codeVerifier: VERIFIER, redirectUri: 1 }, /redirectUri must be a string/],
  ])('a wrong answer (%s): GrantSourceError naming the member', async (_label, answer, message) => {
    const error = await sourceError(codeFrom(() => answer as never, { clientId: 'spa' }, where), message);
    expect(error.message).toMatch(/^the authorization code source gave no usable answer: .* \(values are not shown: they are credentials\)$/);
  });

  test('a refresh token function with a wrong answer', async () => {
    await sourceError(refreshTokenFrom(() => ({ refresh_token: REFRESH }) as never, { clientId: 'spa' }, 'the refresh token source'), /refreshToken is required/);
    await sourceError(refreshTokenFrom(() => ({ refreshToken: '' }), { clientId: 'spa' }, 'the refresh token source'), /refreshToken must not be empty/);
    await sourceError(refreshTokenFrom(async () => ({ refreshToken: REFRESH, scope: 7 }) as never, { clientId: 'spa' }, 'the refresh token source'), /scope must be a string/);
  });

  test('a source that is not a function: GrantSourceError, not a TypeError', async () => {
    await sourceError(codeFrom('get-code.sh' as never, { clientId: 'spa' }, where), /^the authorization code source is not a function \(got string\)$/);
    await sourceError(refreshTokenFrom(null as unknown as RefreshTokenSource, { clientId: 'spa' }, where), /is not a function \(got null\)$/);
  });
});
