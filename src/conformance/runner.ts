/**
 * Runs the catalogue against one token endpoint: plans the run (plan.ts:
 * selection, capabilities, skips, expected failures), runs independent
 * checks in a bounded pool, stateful ones in order, observers last, and
 * turns the findings into statuses under the profile and the
 * expected-failures list.
 */
import { PACKAGE_NAME, VERSION } from '../version';
import { ConfigError, GrantSourceError, ProxyTunnelError, TargetUnreachableError } from '../errors';
import { FORM_MEDIA_TYPE, JSON_MEDIA_TYPE, CLIENT_CREDENTIALS_GRANT } from '../oauth/protocol';
import { isCertificateProblem, isClientCertificateDemand } from '../oauth/transport-error';
import { createReferenceServer, type ReferenceServer } from '../server';
import { CHECKS } from './checks';
import type { Check } from './checks/define';
import { capabilitiesOf, type Capability } from './capabilities';
import { parseConfig, rejectUndefinedTarget, resolveConfig, type ConformanceConfig, type ResolvedConfig } from './config';
import { CheckContext } from './context';
import { readIssuerMetadata, resolveIssuer, type DiscoveryInfo, type IssuerMetadata } from './discovery';
import { identityOf, shapedHeaders } from './draft';
import type { ClientIdentity } from './http';
import type { WireResponse } from './exchange';
import { OwnershipIndex } from './ownership';
import { planRun, type RunPlan } from './plan';
import { applyExpectation, decidingLevel, failsRun, orderFindings, statusOf } from './profiles';
import { COMPANION_CAPABILITIES, DEFAULT_RUN_SERVER, defaultRunClients, defaultRunMtls, referenceCodeSource, referenceTargetConfig } from './reference-run';
import { commandCodeSource, commandRefreshTokenSource, type GrantSources } from './grant-sources';
import { RateLimited } from './rate-limit';
import { CheckAborted } from './send';
import { Pacer } from './pacing';
import { Session } from './session';
import { INTERRUPTED_MESSAGE, RunInterrupted } from './interrupt';
import { NotJudged, SkipCheck } from './skip';
import type { CheckResult, CheckStatus, ConformanceReport, FailurePolicy, Finding, Level, ReportSummary } from './types';

export { defaultRunClients, referenceTargetConfig } from './reference-run';
export { knownSelectors } from './plan';

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
  /** The proxy the run goes through (its URL without credentials) and where it came from (`config`, `HTTPS_PROXY`, …). */
  proxy?: { url: string; source: string };
  /** With config `issuer`: where its metadata was read and which values came from it (discovery.ts). */
  discovery?: DiscoveryInfo;
}

export interface RunOptions {
  /** Environment for `secretEnv`, header values and HTTPS_PROXY / HTTP_PROXY / NO_PROXY (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Folder that relative key and expected-failures paths resolve against (default cwd). */
  baseDir?: string | undefined;
  /** Called as each check finishes (live progress). */
  onResult?: ((result: CheckResult, done: number, total: number) => void) | undefined;
  /** Called once the target is known and the checks are selected. */
  onStart?: ((info: StartInfo) => void) | undefined;
  /** Stops scheduling checks; those not started are reported as skipped. */
  signal?: AbortSignal | undefined;
  /** Called for every request sent (benchmarks count them). */
  onRequest?: ((checkId: string) => void) | undefined;
  /** The catalogue to run (tests pass a subset or extra checks). Default: every check. */
  checks?: readonly Check[] | undefined;
  /**
   * Functions that give authorization codes and refresh tokens for the
   * lifecycle checks (grant-sources.ts), instead of or besides the config's
   * `grants.*.command`; a function wins over a command.
   */
  grantSources?: GrantSources | undefined;
  /** How messages name those functions (default `the authorization code source (grantSources.authorizationCode)`; the Jest entry says `grants.authorizationCode.source`). */
  grantSourceNames?: { authorizationCode?: string; refreshToken?: string } | undefined;
}

/**
 * Runs the suite. Without `config.url`, starts the reference server on an
 * ephemeral loopback port, runs against it and stops it (a configured
 * `proxy` applies to it too; the environment's proxy variables do not).
 * Throws ConformanceConfigError for a bad configuration and
 * TargetUnreachableError when the target cannot be reached at all.
 */
export async function runConformance(config: ConformanceConfig = {}, options: RunOptions = {}): Promise<ConformanceReport> {
  // Programmatic callers get the same validation as config files: a clear error, never a TypeError.
  rejectUndefinedTarget(config);
  config = parseConfig(config, 'config');
  const checks = options.checks ?? CHECKS;
  const owners = new OwnershipIndex(options.checks ? [...CHECKS, ...options.checks] : CHECKS);
  const resolveOptions = { env: options.env ?? process.env, baseDir: options.baseDir ?? process.cwd() };
  // An issuer's metadata fills in what the config leaves out (its own values win), before anything else is resolved.
  let discovery: DiscoveryInfo | undefined;
  let metadata: IssuerMetadata | undefined;
  // One pace for the whole run, the metadata requests included (config `rate`).
  const pacer = config.rate !== undefined ? new Pacer(config.rate) : undefined;
  if (config.issuer !== undefined) {
    if (config.referenceServer !== undefined) throw new ConfigError('referenceServer applies only to the default run, without a url or issuer');
    ({ config, discovery, metadata } = await resolveIssuer(config, { ...resolveOptions, ...(options.signal ? { signal: options.signal } : {}), ...(pacer ? { pacer } : {}), ...(options.onRequest ? { onRequest: options.onRequest } : {}) }));
  }
  if (config.url !== undefined) {
    if (config.referenceServer !== undefined) throw new ConfigError('referenceServer applies only to the default run, without a url');
    const session = new Session(await resolveConfig(config, resolveOptions), owners, pacer, options.signal);
    session.onRequest = options.onRequest;
    session.metadata = metadata;
    useSources(session, options.grantSources, resolveOptions.env, { ...FUNCTION_NAMES, ...options.grantSourceNames });
    try {
      return await runResolved(session, checks, options, undefined, discovery);
    } finally {
      session.close();
    }
  }
  return runAgainstReferenceServer(config, checks, options, resolveOptions, owners);
}

/**
 * The default run: the reference server requires DPoP nonces unless the
 * config says `referenceServer: { requireNonce: false }`, so the nonce
 * group runs too; checks that need a server with DPoP switched off
 * (`dpop-disabled`) run against a second reference server, started only
 * when such a check is selected.
 */
async function runAgainstReferenceServer(
  config: ConformanceConfig,
  checks: readonly Check[],
  options: RunOptions,
  resolveOptions: { env: NodeJS.ProcessEnv; baseDir: string },
  owners: OwnershipIndex,
): Promise<ConformanceReport> {
  if (config.clients !== undefined || config.unauthorizedClient !== undefined) {
    throw new ConfigError('clients are configured but no url: give the token endpoint url');
  }
  const requireNonce = config.referenceServer?.requireNonce ?? true;
  if (!requireNonce && typeof config.dpop === 'object' && config.dpop.nonce === true) {
    throw new ConfigError('dpop.nonce (--dpop-nonce) contradicts referenceServer.requireNonce: false');
  }
  const clients = await defaultRunClients();
  // The main server serves mutual TLS too (the mtls checks); the companion, for dpop-disabled alone, does not.
  const mtls = await defaultRunMtls();
  const servers: ReferenceServer[] = [];
  const start = async (dpop: { enabled: boolean; requireNonce: boolean }) => {
    const server = await createReferenceServer({ dpop, ...DEFAULT_RUN_SERVER, ...(dpop.enabled ? { clients: [...clients, ...mtls.clients], mtls: mtls.mtls } : { clients }) });
    servers.push(server);
    return server;
  };
  // The reference server's clients and DPoP settings replace the user's `dpop` (which describes a --url target).
  // One pace for the run: the companion's requests take their turn after the main session's.
  let pacer: Pacer | undefined;
  const sessionFor = async (server: ReferenceServer) => {
    const target = referenceTargetConfig(server);
    // The environment's proxy is for the user's targets: a corporate proxy cannot reach the loopback server started here.
    const resolved = await resolveConfig({ ...target, ...withoutUndefined(config), url: target.url, dpop: target.dpop }, { ...resolveOptions, proxyFromEnv: false });
    // Its mutual-TLS listener's certificate is under the run's own CA: trusted for this run, beside the configured one.
    if (server.mtls !== undefined) resolved.ca = resolved.ca === undefined ? mtls.mtls.clientCa! : `${resolved.ca}\n${mtls.mtls.clientCa!}`;
    const session = new Session(resolved, owners, pacer, options.signal);
    pacer ??= session.pacer;
    useSources(session, { authorizationCode: referenceCodeSource(server), ...options.grantSources }, resolveOptions.env, {
      ...FUNCTION_NAMES,
      ...options.grantSourceNames,
      ...(options.grantSources?.authorizationCode ? {} : { authorizationCode: "the reference server's /authorize" }),
    });
    return session;
  };
  const sessions: Session[] = [];
  try {
    const main = await sessionFor(await start({ enabled: true, requireNonce }));
    sessions.push(main);
    main.onRequest = options.onRequest;
    // The reference server's own RFC 8414 metadata, for the metadata checks (its issuer is its origin: loopback, direct).
    if (main.config.issuer !== undefined) main.metadata = await readIssuerMetadata(main.config.issuer, { timeoutMs: main.config.timeoutMs, concurrency: main.config.concurrency, headers: main.config.headers, secrets: main.secrets, ...(options.onRequest ? { onRequest: options.onRequest } : {}), ...(options.signal ? { signal: options.signal } : {}), ...(main.pacer ? { pacer: main.pacer } : {}) });
    const companion: Companion = {
      capabilities: COMPANION_CAPABILITIES,
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
 * The run's sources of codes and refresh tokens: the functions given, else
 * the configured commands (run in the config file's folder, with the run's
 * environment). The configuration then says which exist, for the plan.
 */
function useSources(session: Session, functions: GrantSources | undefined, env: NodeJS.ProcessEnv, functionNames: SourceNames = FUNCTION_NAMES): void {
  const { grants, baseDir } = session.config;
  const command = (timeoutMs: number) => ({ env, cwd: baseDir, signal: session.checkSignal, timeoutMs });
  const sources: GrantSources = {};
  const names: SourceNames = {};
  if (functions?.authorizationCode) {
    sources.authorizationCode = functions.authorizationCode;
    names.authorizationCode = functionNames.authorizationCode;
  } else if (grants.authorizationCode.command !== undefined) {
    sources.authorizationCode = commandCodeSource(grants.authorizationCode.command, command(grants.authorizationCode.timeoutMs));
    names.authorizationCode = 'grants.authorizationCode.command';
  }
  if (functions?.refreshToken) {
    sources.refreshToken = functions.refreshToken;
    names.refreshToken = functionNames.refreshToken;
  } else if (grants.refreshToken.command !== undefined) {
    sources.refreshToken = commandRefreshTokenSource(grants.refreshToken.command, command(grants.refreshToken.timeoutMs));
    names.refreshToken = 'grants.refreshToken.command';
  }
  session.sources = sources;
  session.sourceNames = names;
  session.config.sources = { authorizationCode: sources.authorizationCode !== undefined, refreshToken: sources.refreshToken !== undefined };
  session.config.capabilities = capabilitiesOf(session.config);
}

type SourceNames = Session['sourceNames'];
/** How a message names a source given as a function (RunOptions.grantSources; the Jest entry's `source`). */
const FUNCTION_NAMES: SourceNames = { authorizationCode: 'the authorization code source (grantSources.authorizationCode)', refreshToken: 'the refresh token source (grantSources.refreshToken)' };

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

async function runResolved(session: Session, catalogue: readonly Check[], options: RunOptions, companion: Companion | undefined, found?: DiscoveryInfo): Promise<ConformanceReport> {
  const config = session.config;
  // What discovery says may quote the server (a why it is unusable): scrubbed of the run's secrets before anyone shows it.
  const discovery = found === undefined ? undefined : (session.secrets.scrubValue(found) as DiscoveryInfo);
  const started = Date.now();
  const plan = planFor(config, catalogue, companion?.capabilities);
  const { selected } = plan;

  const results = new Map<string, CheckResult>();
  let done = 0;
  // Results wait for the probe's verdict: onStart (with the probe's warning) comes first.
  let pending: CheckResult[] | undefined = [];
  const report = (result: CheckResult) => {
    done += 1;
    options.onResult?.(result, done, selected.length);
  };
  const finish = (result: CheckResult) => {
    results.set(result.id, result);
    if (pending) pending.push(result);
    else report(result);
  };

  // The probe goes out with the first checks, not one round trip before them
  // (a distant target costs a round trip per step). If it finds the target
  // unreachable, the checks not yet started are not started, and the run
  // ends with the probe's one-line error; the results of the checks that
  // ran meanwhile are dropped with it.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const proxy = config.proxy === undefined ? {} : { proxy: { url: config.proxy.url, source: config.proxy.source } };
  const start = (warning: string | undefined) => {
    options.onStart?.({ target: config.url, profile: config.profile, total: selected.length, referenceServer: companion !== undefined, dpopNonce: config.dpop.nonce, ...(warning ? { warning } : {}), ...proxy, ...(discovery ? { discovery } : {}) });
    const ready = pending ?? [];
    pending = undefined;
    for (const result of ready) report(result);
  };
  const probed = preflight(session).then(
    (response) => {
      start(probeWarning(response));
      return undefined;
    },
    (error: unknown) => {
      // Stopped by the user before the probe's answer: no verdict on the target; the checks end as "run interrupted".
      if (error instanceof RunInterrupted) return start(undefined);
      stop.abort();
      // The checks already sent would only wait for the same failure (their own timeouts): end them now.
      session.halt();
      return { error };
    },
  );

  // A source of codes or refresh tokens that fails is the configuration's problem, not the server's: like an
  // unreachable target, it ends the run with its one line (exit 2), the first failure stopping the rest.
  let sourceFailure: GrantSourceError | undefined;
  const run = async (on: Session, check: Check, where?: string) => {
    try {
      finish(await runOne(on, check, where === undefined ? signal : options.signal, where));
    } catch (error) {
      if (!(error instanceof GrantSourceError)) throw error;
      if (sourceFailure === undefined) {
        sourceFailure = error;
        stop.abort();
        session.halt();
      }
    }
  };

  for (const { check, reason } of plan.skipped) finish(skipped(check, reason));
  const { concurrent, ordered, observers, elsewhere } = plan;
  // A check that waits out a server window sleeps most of its time: it runs beside the pool and the ordered
  // checks, not in a slot of the pool; the observers, which read every exchange, wait for it.
  const waiting = concurrent.filter((c) => c.waits === true).map((check) => run(session, check));
  await pool(concurrent.filter((c) => c.waits !== true), config.concurrency, (check) => run(session, check));
  const unreachable = await probed;
  // A source that failed halted the run: the probe's failure then (not sent) is its consequence, not the target's.
  if (unreachable || sourceFailure) {
    await Promise.all(waiting);
    throw sourceFailure ?? unreachable!.error;
  }
  if (companion && elsewhere.length > 0 && sourceFailure === undefined) {
    const other = await companion.open();
    for (const check of elsewhere) await run(other, check, companion.note);
    session.secrets.merge(other.secrets);
  }
  for (const check of ordered) await run(session, check);
  await Promise.all(waiting);
  for (const check of observers) await run(session, check);
  if (sourceFailure) throw sourceFailure;

  // Last line of defence: a secret first seen late in the run (a token, a
  // proof) is scrubbed from what earlier checks recorded too.
  const checks = scrubResults(selected.map((c) => results.get(c.id)!), session.secrets);
  return {
    tool: PACKAGE_NAME,
    version: VERSION,
    target: config.url,
    ...(config.proxy === undefined ? {} : { proxy: config.proxy.url }),
    ...(discovery === undefined ? {} : { discovery }),
    profile: config.profile,
    policy: config.policy,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    summary: summarize(checks, config.policy),
    checks,
    ...(options.signal?.aborted ? { interrupted: true } : {}),
  };
}

/** The run plan of a resolved configuration (plan.ts), the one the CLI's --list and the Jest entry also use. */
export function planFor(config: ResolvedConfig, catalogue: readonly Check[] = CHECKS, companion?: ReadonlySet<Capability>): RunPlan {
  return planRun({ only: config.only, skip: config.skip, expectedFailures: config.expectedFailures, capabilities: capabilitiesOf(config), companion }, catalogue);
}

async function runOne(session: Session, check: Check, signal: AbortSignal | undefined, where?: string): Promise<CheckResult> {
  const config = session.config;
  if (signal?.aborted) return skipped(check, INTERRUPTED_MESSAGE);
  const run = new CheckContext(session, check);
  const started = performance.now();
  let limited: RateLimited | NotJudged | undefined;
  try {
    await check.run(run);
  } catch (error) {
    // A source that failed ends the run (runResolved); a half-run check is no result.
    if (error instanceof GrantSourceError) throw error;
    // A skip after findings (one client kind judged, the other with nothing to judge) keeps them: they are judged.
    if (error instanceof SkipCheck && run.findings.length === 0) return skipped(check, error.reason, performance.now() - started);
    if (error instanceof RunInterrupted) return skipped(check, error.message, performance.now() - started);
    if (error instanceof SkipCheck) {
      run.note(`then skipped: ${error.reason}`);
    } else if (error instanceof RateLimited || error instanceof NotJudged) {
      limited = error;
    } else if (error instanceof CheckAborted) {
      run.finding(check.level, error.message, { exchangeOf: error.exchange });
    } else {
      // A defect of the check or the harness, not of the server: still a failure, but say so.
      const message = error instanceof Error ? error.message : String(error);
      run.finding(check.level, `the check could not complete: ${message}`);
    }
  }
  const durationMs = performance.now() - started;
  const findings = orderFindings(config.policy, run.findings);
  const raw = statusOf(config.policy, findings);
  // Rate limited: no verdict, unless what was judged before the limit already fails the check (that evidence stands).
  if (limited && raw !== 'failed') {
    const message = limited.message + (findings.length > 0 ? ` (after ${findings.length} warning${findings.length === 1 ? '' : 's'})` : '') + (where ? ` (${where})` : '');
    return resultOf(check, 'inconclusive', session.secrets.scrub(message), durationMs, findings);
  }
  const status = applyExpectation(raw, config.expectedFailures.has(check.id), config.policy.strictExpected);
  const limitNote = limited ? `; then ${limited.message}` : '';
  const message = messageOf(status, findings, run.passMessage, config.expectedFailures.get(check.id)) + limitNote + (where ? ` (${where})` : '');
  return resultOf(check, status, session.secrets.scrub(message), durationMs, findings, decidingLevel(config.policy, findings));
}

function messageOf(status: CheckResult['status'], findings: CheckResult['findings'], passMessage: string, expectedReason: string | undefined): string {
  const first = findings[0];
  const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : '';
  switch (status) {
    case 'passed':
      return passMessage || 'ok';
    case 'unexpected-pass':
      return `listed as an expected failure${expectedReason ? ` (${expectedReason})` : ''} but ${first ? `no longer fails (only warns: [${first.level}] ${first.message}${more})` : 'passes now'}: remove it from the list`;
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

export function summarize(checks: readonly CheckResult[], policy: Pick<FailurePolicy, 'failOn' | 'strictExpected'>): ReportSummary {
  const count = (status: CheckResult['status']) => checks.filter((c) => c.status === status).length;
  return {
    total: checks.length,
    passed: count('passed'),
    failed: count('failed'),
    warned: count('warned'),
    skipped: count('skipped'),
    expectedFailures: count('expected-failure'),
    unexpectedPasses: count('unexpected-pass'),
    inconclusive: count('inconclusive'),
    failing: checks.filter((c) => failsRun(c.status, policy)).length,
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
    try {
      return await probe(session);
    } catch (error) {
      // A token endpoint that takes mutual TLS only ends a handshake without a client certificate (RFC 8705 §2):
      // asked again with one of the run's certificates, it can answer (any HTTP answer will do).
      const withCertificate = session.config.clients.find((c) => c.certificate !== undefined)?.certificate;
      if (!(error instanceof TargetUnreachableError) || !isClientCertificateDemand(error.reason) || withCertificate === undefined) throw error;
      session.onRequest?.('(probe)');
      return await probe(session, identityOf(withCertificate));
    }
  } catch (error) {
    if (error instanceof TargetUnreachableError && isClientCertificateDemand(error.reason)) {
      throw new TargetUnreachableError(error.target, `${error.reason} (the server asks for a client certificate: mutual TLS, RFC 8705; give one with --client-cert and --client-key)`, { cause: error });
    }
    // A staging server behind a private CA is the usual case: say how to trust it (a TLS-speaking proxy's CA too).
    if (error instanceof ProxyTunnelError && isCertificateProblem(error.reason)) {
      throw new ProxyTunnelError(error.proxy, error.target, `${error.reason} (the proxy's TLS certificate is not trusted; give its CA with --ca-file, config "caFile")`, { cause: error });
    }
    if (error instanceof TargetUnreachableError && isCertificateProblem(error.reason)) {
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

function probe(session: Session, identity?: ClientIdentity): Promise<WireResponse> {
  const config = session.config;
  return session.http.send(
    {
    method: 'POST',
    url: config.url,
    // Shaped like every request of the run (a gateway in front of the endpoint may refuse anything else).
    headers: [['Content-Type', FORM_MEDIA_TYPE], ['Accept', JSON_MEDIA_TYPE], ...shapedHeaders(config, null)],
    body: new URLSearchParams([['grant_type', CLIENT_CREDENTIALS_GRANT], ...config.extraParams]).toString(),
    },
    identity !== undefined ? { identity } : {},
  );
}

/** Every string of the results scrubbed of the run's secrets, member names included (SecretSet: no secret is built into a pattern). */
function scrubResults(results: CheckResult[], secrets: Session['secrets']): CheckResult[] {
  if (secrets.size === 0) return results;
  return results.map((result) => (result.findings.length === 0 ? { ...result, message: secrets.scrub(result.message) } : (secrets.scrubValue(result) as CheckResult)));
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
