/**
 * Runs the catalogue against one token endpoint: selects the checks, skips
 * those whose capabilities the configuration lacks, runs independent checks
 * in a bounded pool, stateful ones in order, observers last, and turns the
 * findings into statuses under the profile and the expected-failures list.
 */
import { PACKAGE_NAME, VERSION } from '../version';
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
import { TargetUnreachableError, type WireResponse } from './http';
import { FORM_CONTENT_TYPE } from './request';
import { applyExpectation, decidingLevel, orderFindings, statusOf } from './profiles';
import { Session } from './session';
import { CHECK_GROUPS, type Capability, type Check, type CheckResult, type CheckStatus, type Finding, type ConformanceReport, type Level, type ReportSummary } from './types';

export interface StartInfo {
  /** The token endpoint URL. */
  target: string;
  profile: string;
  /** Checks selected (skipped ones included). */
  total: number;
  /** The target is the reference server started for this run. */
  referenceServer: boolean;
  /** The target is run as one that requires DPoP nonces. */
  dpopNonce: boolean;
  /** Set when the probe's answer suggests the URL is not a token endpoint (a 404, a redirect). */
  warning?: string;
}

export interface RunOptions extends ResolveOptions {
  /** Called as each check finishes (live progress). */
  onResult?: (result: CheckResult, done: number, total: number) => void;
  /** Called once the target is known and the checks are selected. */
  onStart?: (info: StartInfo) => void;
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
  const resolveOptions: ResolveOptions = { ...options, knownIds: options.knownIds ?? knownSelectors(checks) };
  if (config.url !== undefined) {
    if (config.referenceServer !== undefined) throw new ConformanceConfigError('referenceServer applies only to the default run, without a url');
    const session = new Session(await resolveConfig(config, resolveOptions));
    session.onRequest = options.onRequest;
    try {
      return await runResolved(session, checks, options, undefined);
    } finally {
      session.close();
    }
  }
  return runAgainstReferenceServer(config, checks, options, resolveOptions);
}

/**
 * The default run: the reference server requires DPoP nonces unless the
 * config says `referenceServer: { requireNonce: false }`, so the nonce
 * group runs too; checks that need a server with DPoP switched off
 * (`dpop-disabled`) run against a second reference server, started only
 * when such a check is selected.
 */
async function runAgainstReferenceServer(config: ConformanceConfig, checks: readonly Check[], options: RunOptions, resolveOptions: ResolveOptions): Promise<ConformanceReport> {
  if (config.clients !== undefined || config.unauthorizedClient !== undefined) {
    throw new ConformanceConfigError('clients are configured but no url: give the token endpoint url');
  }
  const requireNonce = config.referenceServer?.requireNonce ?? true;
  if (!requireNonce && typeof config.dpop === 'object' && config.dpop.nonce === true) {
    throw new ConformanceConfigError('dpop.nonce (--dpop-nonce) contradicts referenceServer.requireNonce: false');
  }
  const clients = await defaultRunClients();
  const servers: ReferenceServer[] = [];
  const start = async (dpop: { enabled: boolean; requireNonce: boolean }) => {
    const server = await createReferenceServer({ clients, dpop });
    servers.push(server);
    return server;
  };
  // The reference server's clients and DPoP settings replace the user's `dpop` (which describes a --url target).
  const sessionFor = async (server: ReferenceServer) => {
    const target = referenceTargetConfig(server);
    return new Session(await resolveConfig({ ...target, ...withoutUndefined(config), url: target.url, dpop: target.dpop }, resolveOptions));
  };
  const sessions: Session[] = [];
  try {
    const main = await sessionFor(await start({ enabled: true, requireNonce }));
    sessions.push(main);
    main.onRequest = options.onRequest;
    const companion: Companion = {
      capabilities: new Set<Capability>(['dpop_disabled']),
      note: 'against a second reference server with DPoP switched off',
      open: async () => {
        const session = await sessionFor(await start({ enabled: false, requireNonce: false }));
        sessions.push(session);
        session.onRequest = options.onRequest;
        return session;
      },
    };
    return await runResolved(main, checks, options, companion);
  } finally {
    for (const session of sessions) session.close();
    await Promise.all(servers.map((server) => server.close()));
  }
}

/**
 * A second target for the checks whose capabilities the main one lacks by
 * construction (the default run's DPoP-disabled reference server).
 */
interface Companion {
  capabilities: ReadonlySet<Capability>;
  /** Added to the check's message, so the report says where it ran. */
  note: string;
  open(): Promise<Session>;
}

/** The clients of the default run: the reference server's demo clients (one per method, one without the grant, one bound to DPoP). */
export async function defaultRunClients(): Promise<ReferenceClientConfig[]> {
  return createDemoClients();
}

/** The configuration that tests a reference server with its demo clients. */
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
      ...(info.requireDpop ? { requiresDpop: true } : {}),
    };
    if (!info.grantTypes.includes('client_credentials')) unauthorizedClient ??= client;
    else if (auth !== 'private_key_jwt' || info.privateJwk) clients.push(client);
  }
  return {
    url: server.tokenEndpoint,
    scope: 'read',
    invalidScope: 'admin',
    dpop: server.dpopEnabled ? { enabled: true, nonce: server.requireNonce } : { disabled: true },
    clients,
    ...(unauthorizedClient ? { unauthorizedClient } : {}),
  };
}

async function runResolved(session: Session, catalogue: readonly Check[], options: RunOptions, companion: Companion | undefined): Promise<ConformanceReport> {
  const config = session.config;
  const started = Date.now();
  const selected = selectChecks(catalogue, config);
  // Probe first: an unreachable target prints one line, not a header and then an error.
  const warning = probeWarning(await preflight(session));
  options.onStart?.({ target: config.url, profile: config.profile, total: selected.length, referenceServer: companion !== undefined, dpopNonce: config.dpop.nonce, ...(warning ? { warning } : {}) });

  const results = new Map<string, CheckResult>();
  let done = 0;
  const finish = (result: CheckResult) => {
    results.set(result.id, result);
    done += 1;
    options.onResult?.(result, done, selected.length);
  };

  const runnable: Check[] = [];
  const elsewhere: Check[] = [];
  for (const check of selected) {
    const missing = check.requires.filter((cap) => !config.capabilities.has(cap));
    if (missing.length === 0) runnable.push(check);
    else if (companion && missing.every((cap) => companion.capabilities.has(cap))) elsewhere.push(check);
    else finish(skipped(check, `needs ${missing.map(describeCapability).join(', ')}`));
  }
  const concurrent = runnable.filter((c) => (c.mode ?? 'concurrent') === 'concurrent');
  const ordered = runnable.filter((c) => c.mode === 'ordered');
  const observers = runnable.filter((c) => c.mode === 'observer');

  await pool(concurrent, config.concurrency, async (check) => finish(await runOne(session, check, options.signal)));
  if (companion && elsewhere.length > 0) {
    const other = await companion.open();
    for (const check of elsewhere) finish(await runOne(other, check, options.signal, companion.note));
    for (const secret of other.secrets) session.secrets.add(secret);
  }
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

async function runOne(session: Session, check: Check, signal: AbortSignal | undefined, where?: string): Promise<CheckResult> {
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
  const message = messageOf(status, findings, run.passMessage, config.expectedFailures.get(check.id)) + (where ? ` (${where})` : '');
  return resultOf(check, status, scrubText(message, session.secrets), durationMs, findings, decidingLevel(config.profile, findings));
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
  return resultOf(check, 'skipped', reason, durationMs, []);
}

function resultOf(check: Check, status: CheckStatus, message: string, durationMs: number, findings: Finding[], decidedBy?: Level): CheckResult {
  const { id, title, level, reference, group } = check;
  return { id, title, level, reference, group, status, decidingLevel: decidedBy ?? level, message, durationMs: Math.round(durationMs * 10) / 10, findings };
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

/**
 * One harmless token request (no credentials) before any check: a target
 * that cannot be reached, fails TLS, resets every connection or never
 * answers is one clear error, not a page of failures. Any HTTP answer will
 * do; it is not judged, nor recorded for the observers.
 */
async function preflight(session: Session): Promise<WireResponse> {
  session.onRequest?.('(probe)');
  try {
    return await probe(session);
  } catch (error) {
    // A staging server behind a private CA is the usual case: say how to trust it.
    if (error instanceof TargetUnreachableError && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(error.reason)) {
      throw new TargetUnreachableError(error.target, `${error.reason} (the TLS certificate is not trusted; give its CA with --ca-file, config "caFile")`, { cause: error });
    }
    throw error;
  }
}

/** A token endpoint answers a POST in its own envelope; a 404, 405 or redirect hints at a wrong --url. */
function probeWarning(res: WireResponse): string | undefined {
  if (res.status === 404 || res.status === 405) return `the target answers a POST with ${res.status}: is the url the token endpoint?`;
  if (res.status >= 300 && res.status < 400) return `the target redirects a POST (${res.status}${res.headers.location ? ` to ${res.headers.location}` : ''}); redirects are not followed: give the final token endpoint url`;
  return undefined;
}

function probe(session: Session): Promise<WireResponse> {
  return session.http.send({
    method: 'POST',
    url: session.config.url,
    headers: [
      ['Content-Type', FORM_CONTENT_TYPE],
      ['Accept', 'application/json'],
    ],
    body: 'grant_type=client_credentials',
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
