/**
 * Runs the catalogue against one token endpoint: selects the checks, skips
 * those whose capabilities the configuration lacks, runs independent checks
 * in a bounded pool, stateful ones in order, observers last, and turns the
 * findings into statuses under the profile and the expected-failures list.
 */
import net from 'node:net';
import tls from 'node:tls';
import { PACKAGE_NAME, VERSION } from '../version';
import { randomBytes } from 'node:crypto';
import { createDemoClients, createReferenceServer, type ReferenceClientConfig, type ReferenceServer } from '../server';
import { redactValue, scrubText } from '../redact';
import { CheckAborted, CheckRun, SkipCheck } from './check-run';
import { CHECKS } from './checks';
import {
  ConformanceConfigError,
  parseConfig,
  resolveConfig,
  type ConformanceConfig,
  type ResolvedConfig,
  type ResolveOptions,
} from './config';
import { TargetUnreachableError } from './http';
import { applyExpectation, orderFindings, statusOf } from './profiles';
import { Session } from './session';
import { CHECK_GROUPS, type Check, type CheckResult, type ConformanceReport, type ReportSummary } from './types';

export interface RunOptions extends ResolveOptions {
  /** Called as each check finishes (live progress). */
  onResult?: (result: CheckResult, done: number, total: number) => void;
  /** Called once the target is known and the checks are selected. */
  onStart?: (info: { target: string; profile: string; total: number; referenceServer: boolean }) => void;
  /** Stops scheduling checks; those not started are reported as skipped. */
  signal?: AbortSignal;
  /** Called for every request sent (benchmarks count them). */
  onRequest?: (checkId: string) => void;
  /** The catalogue to run (tests pass a subset or extra checks). Default: every check. */
  checks?: readonly Check[];
}

/** Every id and group name `only`, `skip` and `expectedFailures` may use. */
export function knownSelectors(checks: readonly Check[] = CHECKS): Set<string> {
  return new Set<string>([...checks.map((c) => c.id), ...CHECK_GROUPS]);
}

/**
 * Runs the suite. Without `config.url`, starts the reference server on an
 * ephemeral loopback port, runs against it and stops it.
 * Throws ConformanceConfigError for a bad configuration and
 * TargetUnreachableError when the target cannot be reached at all.
 */
export async function runConformance(config: ConformanceConfig = {}, options: RunOptions = {}): Promise<ConformanceReport> {
  // Programmatic callers get the same validation as config files: a clear error, never a TypeError.
  config = parseConfig(config, 'config');
  const checks = options.checks ?? CHECKS;
  const known = options.knownIds ?? knownSelectors(checks);
  let reference: ReferenceServer | undefined;
  let effective = config;
  if (config.url === undefined) {
    if (config.clients !== undefined || config.unauthorizedClient !== undefined) {
      throw new ConformanceConfigError('clients are configured but no url: give the token endpoint url');
    }
    reference = await startReferenceServer(config.referenceServer?.requireNonce ?? dpopNonceWanted(config));
    effective = { ...referenceTargetConfig(reference), ...withoutUndefined(config), url: reference.tokenEndpoint };
    // The reference server always supports DPoP; keep the user's nonce choice in sync with how it was started.
    effective.dpop = { enabled: true, nonce: reference.requireNonce };
  }
  const session = await (async () => {
    try {
      const session = new Session(await resolveConfig(effective, { ...options, knownIds: known }));
      session.onRequest = options.onRequest;
      return session;
    } catch (error) {
      await reference?.close();
      throw error;
    }
  })();
  try {
    return await runResolved(session, checks, options, reference !== undefined);
  } finally {
    session.close();
    await reference?.close();
  }
}

function dpopNonceWanted(config: ConformanceConfig): boolean {
  return typeof config.dpop === 'object' && config.dpop.nonce === true;
}

/** A client of the default run that the server binds to DPoP (exercises `dpop-required-absent`). */
export const DPOP_BOUND_CLIENT_ID = 'dpop-bound-client';

/** The clients of the default run: the reference server's demo clients plus one DPoP-bound client. */
export async function defaultRunClients(): Promise<ReferenceClientConfig[]> {
  return [
    ...(await createDemoClients()),
    { id: DPOP_BOUND_CLIENT_ID, secret: randomBytes(18).toString('base64url'), authMethods: ['client_secret_basic'], scopes: ['read', 'write'], requireDpop: true },
  ];
}

async function startReferenceServer(requireNonce: boolean): Promise<ReferenceServer> {
  return createReferenceServer({ clients: await defaultRunClients(), dpop: { requireNonce } });
}

/** The configuration that tests the reference server with its demo clients. */
export function referenceTargetConfig(server: ReferenceServer): ConformanceConfig {
  const clients: NonNullable<ConformanceConfig['clients']> = [];
  let unauthorizedClient: ConformanceConfig['unauthorizedClient'];
  for (const info of Object.values(server.clients)) {
    const auth = info.authMethods[0];
    if (auth === undefined) continue;
    const client = {
      id: info.id,
      auth,
      ...(info.secret !== undefined ? { secret: info.secret } : {}),
      ...(info.privateJwk ? { privateKey: info.privateJwk } : {}),
      ...(info.id === DPOP_BOUND_CLIENT_ID ? { requiresDpop: true } : {}),
    };
    if (!info.grantTypes.includes('client_credentials')) unauthorizedClient ??= client;
    else if (auth !== 'private_key_jwt' || info.privateJwk) clients.push(client);
  }
  return {
    url: server.tokenEndpoint,
    scope: 'read',
    invalidScope: 'admin',
    dpop: { enabled: true, nonce: server.requireNonce },
    clients,
    ...(unauthorizedClient ? { unauthorizedClient } : {}),
  };
}

async function runResolved(session: Session, catalogue: readonly Check[], options: RunOptions, referenceServer: boolean): Promise<ConformanceReport> {
  const config = session.config;
  const started = Date.now();
  const selected = selectChecks(catalogue, config);
  options.onStart?.({ target: config.url, profile: config.profile, total: selected.length, referenceServer });
  await preflight(config.url, config.timeoutMs);

  const results = new Map<string, CheckResult>();
  let done = 0;
  const finish = (result: CheckResult) => {
    results.set(result.id, result);
    done += 1;
    options.onResult?.(result, done, selected.length);
  };

  const runnable: Check[] = [];
  for (const check of selected) {
    const missing = check.requires.filter((cap) => !config.capabilities.has(cap));
    if (missing.length > 0) finish(skipped(check, `needs ${missing.map(describeCapability).join(', ')}`));
    else runnable.push(check);
  }
  const concurrent = runnable.filter((c) => (c.mode ?? 'concurrent') === 'concurrent');
  const ordered = runnable.filter((c) => c.mode === 'ordered');
  const observers = runnable.filter((c) => c.mode === 'observer');

  await pool(concurrent, config.concurrency, async (check) => finish(await runOne(session, check, options.signal)));
  for (const check of [...ordered, ...observers]) finish(await runOne(session, check, options.signal));

  // Last line of defence: a secret first seen late in the run (a token, a
  // proof) is scrubbed from what earlier checks recorded too.
  const checks = scrubResults(selected.map((c) => results.get(c.id)!), session.secrets);
  return {
    tool: PACKAGE_NAME,
    version: VERSION,
    target: config.url,
    profile: config.profile,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    summary: summarize(checks),
    checks,
  };
}

function selectChecks(catalogue: readonly Check[], config: ResolvedConfig): Check[] {
  const matches = (check: Check, selectors: readonly string[]) => selectors.includes(check.id) || selectors.includes(check.group);
  return catalogue.filter((check) => (config.only === undefined || config.only.length === 0 || matches(check, config.only)) && !matches(check, config.skip));
}

async function runOne(session: Session, check: Check, signal: AbortSignal | undefined): Promise<CheckResult> {
  const config = session.config;
  if (signal?.aborted) return skipped(check, 'run interrupted');
  const run = new CheckRun(session, check);
  const started = performance.now();
  try {
    await check.run(run);
  } catch (error) {
    if (error instanceof SkipCheck) return skipped(check, error.reason, performance.now() - started);
    if (error instanceof CheckAborted) {
      run.finding(check.level, error.message, { exchangeOf: error.exchange });
    } else {
      // A defect of the check or the harness, not of the server: still a failure, but say so.
      const message = error instanceof Error ? error.message : String(error);
      run.finding(check.level, `the check could not complete: ${message}`);
    }
  }
  const durationMs = performance.now() - started;
  const findings = orderFindings(config.profile, run.findings);
  const raw = statusOf(config.profile, findings);
  const status = applyExpectation(raw, config.expectedFailures.has(check.id));
  return {
    id: check.id,
    title: check.title,
    level: check.level,
    reference: check.reference,
    group: check.group,
    status,
    message: scrubText(messageOf(status, findings, run.passMessage, config.expectedFailures.get(check.id)), session.secrets),
    durationMs: Math.round(durationMs * 10) / 10,
    findings,
  };
}

function messageOf(status: CheckResult['status'], findings: CheckResult['findings'], passMessage: string, expectedReason: string | undefined): string {
  const first = findings[0];
  const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : '';
  switch (status) {
    case 'passed':
      return passMessage || 'ok';
    case 'unexpected-pass':
      return `listed as an expected failure${expectedReason ? ` (${expectedReason})` : ''} but passes now: remove it from the list`;
    case 'expected-failure':
      return `expected failure${expectedReason ? ` (${expectedReason})` : ''}: ${first ? `[${first.level}] ${first.message}` : ''}${more}`;
    default:
      return first ? `[${first.level}] ${first.message}${more}` : '';
  }
}

function skipped(check: Check, reason: string, durationMs = 0): CheckResult {
  return {
    id: check.id,
    title: check.title,
    level: check.level,
    reference: check.reference,
    group: check.group,
    status: 'skipped',
    message: reason,
    durationMs: Math.round(durationMs * 10) / 10,
    findings: [],
  };
}

const CAPABILITY_HINTS: Record<string, string> = {
  client_secret_basic: 'a client_secret_basic client',
  client_secret_post: 'a client_secret_post client',
  private_key_jwt: 'a private_key_jwt client (--auth private_key_jwt --private-key FILE)',
  secret_client: 'a client with a secret',
  dpop: 'DPoP support (--dpop)',
  dpop_nonce: 'a server requiring DPoP nonces (--dpop-nonce)',
  invalid_scope: 'a scope no client may have (--invalid-scope)',
  unauthorized_client: 'a client registered for no client_credentials grant (config "unauthorizedClient")',
  dpop_required_client: 'a client that must use DPoP (config "requiresDpop": true)',
  dpop_disabled: 'a server with DPoP switched off (config "dpop": { "disabled": true })',
  https: 'an https:// target (a plain-http loopback target cannot test TLS refusal)',
};

function describeCapability(cap: string): string {
  return CAPABILITY_HINTS[cap] ?? cap;
}

export function summarize(checks: readonly CheckResult[]): ReportSummary {
  const count = (status: CheckResult['status']) => checks.filter((c) => c.status === status).length;
  return {
    total: checks.length,
    passed: count('passed'),
    failed: count('failed'),
    warned: count('warned'),
    skipped: count('skipped'),
    expectedFailures: count('expected-failure'),
    unexpectedPasses: count('unexpected-pass'),
  };
}

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}

/** Opens (and closes) one connection, TLS included, so an unreachable target is one clear error, not 60 failures. */
function preflight(target: string, timeoutMs: number): Promise<void> {
  const url = new URL(target);
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const origin = `${url.protocol}//${url.host}`;
  return new Promise<void>((resolve, reject) => {
    const socket = secure ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
    const fail = (cause: string) => {
      socket.destroy();
      reject(new TargetUnreachableError(origin, cause));
    };
    socket.setTimeout(timeoutMs, () => fail(`timeout after ${timeoutMs} ms`));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket.end();
      socket.destroy();
      resolve();
    });
  });
}

function scrubResults(results: CheckResult[], secrets: ReadonlySet<string>): CheckResult[] {
  if (secrets.size === 0) return results;
  const pattern = new RegExp([...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(pattern, (secret) => redactValue(secret));
    if (Array.isArray(value)) return value.map(scrub);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    return value;
  };
  return results.map((result) => (result.findings.length === 0 ? { ...result, message: scrub(result.message) as string } : (scrub(result) as CheckResult)));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
