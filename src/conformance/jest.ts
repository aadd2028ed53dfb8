/**
 * `describeTokenEndpointConformance(config)`: the suite inside a team's own
 * Jest (or Vitest) run. It registers one test per check: checks whose
 * capabilities the configuration lacks are `test.skip`, the rest are plain
 * tests (a listed expected failure too, its title says so). The run itself
 * happens once, in `beforeAll`; each test then reports its check's result,
 * and after the suite one printed summary lists the checks that warned
 * (SHOULD and MAY findings pass their tests but are not hidden).
 *
 * Tests are registered when the file loads, but the target often exists
 * only later (a server started in `beforeAll` or globalSetup): `url` and the
 * clients' `secret`/`privateKey` may be functions or promises, resolved in
 * the suite's `beforeAll`. What is registered (and so what is skipped) comes
 * from the static parts: clients, their methods and `grantTypes`, `dpop`,
 * `invalidScope`, `unauthorizedClient`, `grants` (whether codes and refresh
 * tokens have a source, `lifetimeSeconds`, `widerScope`),
 * `only`/`skip`/`expectedFailures`. With an `issuer` (a value, or lazy as
 * well) and no url, the token endpoint comes from its metadata in the run;
 * what registration cannot read from metadata it does not have yet must be
 * said: `dpop` (else the DPoP checks register as skipped, and a note says
 * when the metadata turns out to advertise DPoP). Without a url at
 * all, the suite starts the reference server in its `beforeAll` and stops it
 * when the run is over.
 *
 * Codes and refresh tokens for the lifecycle checks may come from a
 * function instead of a command: `grants: { authorizationCode: { source:
 * async ({ clientId, scope }) => ({ code, codeVerifier, redirectUri }) } }`
 * (grant-sources.ts), e.g. one that drives a headless browser through the
 * login. A function is called in the run, once per code or token it needs.
 *
 * A configuration that cannot work (a url that is empty or not http(s),
 * clients but no url, an unknown key or check id) is one failing test named
 * `configuration: <the problem>`, not one identical failure per check.
 *
 * Expected failures: a listed check that still fails passes; one that
 * passes now (XPASS) FAILS its test, saying "remove <id> from
 * expectedFailures", so the stale entry gets removed (the CLI does so with
 * --strict-expected). A listed check that turns out skipped at run time
 * (nothing to judge) was not judged at all: it is no XPASS, so its test
 * passes; the reason is logged. `failOn` applies as in the CLI: with
 * `failOn: 'inconclusive'` a check without a verdict fails its test.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { Check } from './checks/define';
import type { RunPlan } from './plan';
import { planOfConfig } from './static-plan';
import { formatCheckDetails } from './reporters/console';
import { ConformanceCheckFailure, NoTestFrameworkError } from '../errors';
import { failsRun, policyWords } from './profiles';
import { policyOf } from './reporters/format';
import { ConformanceConfigError, checkTargetUrl, parseConfig, parseExpectedFailures, rejectUndefinedTarget, type ClientConfig, type ConformanceConfig } from './config';
import type { CodeSource, GrantSources, RefreshTokenSource } from './grant-sources';
import { isPlainObject } from '../oauth/guards';
import { runConformance } from './runner';
import type { CheckResult, ConformanceReport } from './types';
import type { StartInfo } from './runner';
import { checkIssuerUrl } from './discovery';

type TestFn = (name: string, fn: () => Promise<void> | void, timeout?: number) => void;

/** The test-framework functions used; Jest's globals by default. */
export interface TestApi {
  describe: (name: string, fn: () => void) => void;
  test: TestFn & { skip: TestFn };
  beforeAll: (fn: () => Promise<void> | void, timeout?: number) => void;
  /** Where the warnings summary is printed, after the suite's tests; without it, at the end of the run in beforeAll. */
  afterAll?: (fn: () => Promise<void> | void) => void;
}

export interface DescribeConformanceOptions {
  /** The describe block's name. */
  name?: string | undefined;
  /**
   * Timeout of the whole run in beforeAll (default 120 s, plus the windows
   * the lifecycle checks wait out: grants.authorizationCode.lifetimeSeconds
   * and grants.refreshToken.graceSeconds).
   */
  timeoutMs?: number | undefined;
  /** Test functions (e.g. Vitest's); default the Jest globals. */
  api?: TestApi | undefined;
  /** Environment for `secretEnv` (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Folder that relative key and expected-failures paths resolve against (default cwd). */
  baseDir?: string | undefined;
  /** Where notes such as "skipped at run time" and the summary of warnings go (default console.warn). */
  log?: ((message: string) => void) | undefined;
}

/** A value, a promise of it, or a function returning either: resolved in the suite's `beforeAll`. */
export type LazyValue<T> = T | PromiseLike<T> | (() => T | PromiseLike<T>);

/** A client whose secret or private key may be known only once the server has started. */
export interface LazyClientConfig extends Omit<ClientConfig, 'secret' | 'privateKey'> {
  secret?: LazyValue<string> | undefined;
  privateKey?: LazyValue<NonNullable<ClientConfig['privateKey']>> | undefined;
}

type GrantsConfig = NonNullable<ConformanceConfig['grants']>;

/** `grants`, where codes and refresh tokens may also come from a function (`source`) instead of a `command`. */
export interface DescribeGrantsConfig {
  authorizationCode?: NonNullable<GrantsConfig['authorizationCode']> & {
    /** Gives one fresh authorization code per call (RunOptions.grantSources.authorizationCode); instead of `command`. */
    source?: CodeSource | undefined;
  };
  refreshToken?: NonNullable<GrantsConfig['refreshToken']> & {
    /** Gives one fresh refresh token per call (RunOptions.grantSources.refreshToken); instead of `command`. */
    source?: RefreshTokenSource | undefined;
  };
}

/** ConformanceConfig whose target (url, secrets, keys) may be resolved lazily, and whose codes and refresh tokens may come from functions. */
export interface DescribeConformanceConfig extends Omit<ConformanceConfig, 'url' | 'issuer' | 'clients' | 'unauthorizedClient' | 'grants'> {
  /** The token endpoint URL, or a function/promise giving it once the server is up. Absent: from the issuer's metadata, or the reference server. */
  url?: LazyValue<string> | undefined;
  /** The issuer (RFC 8414): its metadata is judged (the metadata checks) and gives the token endpoint when `url` is absent. */
  issuer?: LazyValue<string> | undefined;
  clients?: LazyClientConfig[] | undefined;
  unauthorizedClient?: LazyClientConfig | undefined;
  grants?: DescribeGrantsConfig | undefined;
}

export function describeTokenEndpointConformance(config: DescribeConformanceConfig = {}, options: DescribeConformanceOptions = {}): void {
  const api = options.api ?? jestGlobals();
  const target = targetKind(config.url, config.issuer);
  const profile = typeof config.profile === 'string' ? config.profile : 'attesto';
  const where =
    target === 'reference' ? 'reference server' : target === 'issuer' ? `issuer ${isLazy(config.issuer) ? 'resolved in beforeAll' : titleUrl(config.issuer)}` : target === 'lazy' ? 'url resolved in beforeAll' : config.url === '' ? 'no url' : titleUrl(config.url);
  const name = options.name ?? `token endpoint conformance: ${where} (profile ${profile})`;

  let registration: RunPlan;
  let split: { config: DescribeConformanceConfig; sources: GrantSources };
  try {
    // The functions are the run's (RunOptions.grantSources); the rest is the config the runner validates.
    split = splitSources(config);
    registration = register(split.config, target, options.baseDir, split.sources);
  } catch (error) {
    // One clear failure instead of the same error once per check (and never a crash while the file loads).
    const problem = error instanceof Error ? error : new Error(String(error));
    // Clients without a url meant a target whose url is missing: not the reference server.
    const title = options.name ?? `token endpoint conformance: ${target === 'reference' && hasClients(config) ? 'no url' : where} (profile ${profile})`;
    api.describe(title, () => {
      api.test(`configuration: ${problem.message}`, () => {
        throw problem;
      });
    });
    return;
  }
  const plan = registration;
  const { config: statics, sources } = split;
  const skipReasons = new Map(plan.skipped.map(({ check, reason }) => [check.id, reason]));

  const log = options.log ?? console.warn;
  api.describe(name, () => {
    let report: ConformanceReport | undefined;
    let runError: unknown;
    // A warned check passes its test; the summary makes sure nobody has to open a report to learn of it.
    let warningsPrinted = false;
    const printWarnings = (): void => {
      if (warningsPrinted || report === undefined) return;
      warningsPrinted = true;
      const summary = warningsSummary(name, report);
      if (summary !== undefined) log(summary);
    };
    api.beforeAll(async () => {
      try {
        let discovered: StartInfo['discovery'];
        report = await runConformance(await resolveLazy(statics), { env: options.env, baseDir: options.baseDir, grantSources: sources, grantSourceNames: JEST_SOURCE_NAMES, onStart: (info) => (discovered = info.discovery) });
        // Registered before the metadata was read: checks it enables were registered as skipped; say how to run them.
        if (discovered?.origins.some((o) => o.member === 'dpop' && o.source === 'metadata') && plan.skipped.some((s) => s.missing.includes('dpop'))) {
          log('the issuer\'s metadata advertises DPoP (dpop_signing_alg_values_supported), but the DPoP checks were registered as skipped: set dpop: true in the config to run them');
        }
        if (api.afterAll === undefined) printWarnings();
      } catch (error) {
        runError = error;
      }
    }, options.timeoutMs ?? defaultRunTimeoutMs(statics));
    api.afterAll?.(() => printWarnings());

    // A run that could not happen (an unreachable target) is one failure with the whole story, in the first test
    // to ask; every other test says in one line that it did not run, instead of repeating it.
    let runErrorShown = false;
    const resultOf = (check: Check): CheckResult => {
      if (runError !== undefined) {
        if (!runErrorShown) {
          runErrorShown = true;
          throw runError instanceof Error ? runError : new ConformanceCheckFailure(String(runError));
        }
        const code = (runError as { code?: unknown }).code;
        throw new ConformanceCheckFailure(`${check.id}: not run: the run stopped before its checks${typeof code === 'string' ? ` (${code})` : ''}; the first failing test of this suite says why`);
      }
      const result = report?.checks.find((c) => c.id === check.id);
      if (!result) throw new ConformanceCheckFailure(`${check.id}: no result (the run did not complete)`);
      return result;
    };

    for (const check of plan.selected) {
      const title = `${check.id} [${check.level}] ${check.title}`;
      const skipReason = skipReasons.get(check.id);
      if (skipReason !== undefined) {
        api.test.skip(`${title} (${skipReason})`, () => undefined);
      } else {
        const listed = plan.expectedFailures.get(check.id);
        api.test(listed === undefined ? title : `${title} (expected to fail)`, () => {
          const result = resultOf(check);
          // A failure (a listed check that still fails comes back as an expected failure, and its test passes).
          if (result.status === 'failed') throw new ConformanceCheckFailure(describe(result));
          // A listed check that passes now (or, under strictExpected, only warns): the list is stale; say which entry to remove.
          if (result.status === 'unexpected-pass') {
            const now = result.findings.length > 0 ? 'no longer fails (it only warns)' : 'passes now';
            throw new ConformanceCheckFailure(`${check.id} ${now}: remove ${check.id} from expectedFailures (listed: ${listed || 'no reason given'})`);
          }
          // Whatever else fails the run under the policy (no verdict under failOn: 'inconclusive'), as in the CLI.
          if (report !== undefined && failsRun(result.status, report.policy)) throw new ConformanceCheckFailure(`${check.id}: ${result.status} (failOn ${report.policy.failOn}): ${result.message}`);
          // Jest has no skip from inside a test: a check skipped or without a verdict at run time passes, and says so.
          if (result.status === 'skipped' || result.status === 'inconclusive') {
            log(listed === undefined ? `${check.id}: ${result.status} at run time: ${result.message}` : `${check.id}: listed as an expected failure but ${result.status} at run time (${result.message}); not judged`);
          }
        });
      }
    }
  });
}

/** One printed block naming every warned check (the level and message), or undefined when none warned. */
export function warningsSummary(suiteName: string, report: ConformanceReport): string | undefined {
  const warned = report.checks.filter((c) => c.status === 'warned');
  if (warned.length === 0) return undefined;
  // The message starts with the deciding finding's level ("[SHOULD] …").
  const lines = warned.map((c) => `  ${c.id} ${c.message}`);
  return `${suiteName}: ${warned.length} check${warned.length === 1 ? '' : 's'} passed with warnings (findings below the fail level: ${policyWords(policyOf(report))}):\n${lines.join('\n')}`;
}

/** How a failing source is named: as the user wrote it in this entry's config. */
const JEST_SOURCE_NAMES = { authorizationCode: 'grants.authorizationCode.source', refreshToken: 'grants.refreshToken.source' } as const;

/**
 * 120 s, and the waits no speed-up shortens: code-expired waits the code
 * lifetime plus 2 s (beside the pool), rt-grace and rt-reuse-revokes-family
 * the grace window plus 2 s each, one after the other (mode ordered).
 */
function defaultRunTimeoutMs(config: Pick<ConformanceConfig, 'grants'>): number {
  const lifetime = config.grants?.authorizationCode?.lifetimeSeconds ?? 0;
  const grace = config.grants?.refreshToken?.graceSeconds ?? 0;
  return 120_000 + (lifetime + 2 + 2 * (grace + 2)) * 1000;
}

/** The reference server; a url given, or lazy; no url but an issuer, whose metadata gives it. */
type TargetKind = 'reference' | 'static' | 'lazy' | 'issuer';

/** The url for a test title: credentials and a query string (both refused anyway) are not repeated into every test report. */
/**
 * The url for a describe title, which Jest prints whatever happens: never
 * credentials, a query or a fragment. A password with an unencoded "/",
 * "?", "#" or "@" moves where the authority ends: such a url does not
 * parse, or parses with part of the password as its host or path. Then
 * only the scheme and host are shown, the host taken after the last "@"
 * and only when it reads as one.
 */
function titleUrl(url: unknown): string {
  if (typeof url !== 'string') return `url of type ${typeof url}`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const userinfo = parsed !== undefined && (parsed.username !== '' || parsed.password !== '');
  // Without a host (`user:s3cret` parses, "user" its scheme) nothing of it is shown.
  if (parsed !== undefined && parsed.host !== '' && !`${parsed.search}${parsed.hash}`.includes('@') && !(userinfo && parsed.pathname.includes('@'))) {
    if (userinfo || parsed.search || parsed.hash) return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
    return url;
  }
  const scheme = /^([a-z][a-z0-9+.-]{0,15}):\/\//i.exec(url);
  const unparsed = parsed === undefined ? ' (a url that does not parse)' : '';
  if (scheme === null) return parsed === undefined ? 'a url that does not parse' : 'a url without a host';
  const authority = url.slice(url.lastIndexOf('@') + 1 || scheme[0].length).split(/[/?#\\]/)[0]!;
  const host = /^([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$/i.test(authority) ? authority : '…';
  return `${scheme[1]!.toLowerCase()}://${host}${unparsed}`;
}

function targetKind(url: unknown, issuer: unknown): TargetKind {
  if (url === undefined) return issuer === undefined ? 'reference' : 'issuer';
  return isLazy(url) ? 'lazy' : 'static';
}

function isLazy(value: unknown): value is (() => unknown) | PromiseLike<unknown> {
  return typeof value === 'function' || (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function');
}

function hasClients(config: DescribeConformanceConfig): boolean {
  return config.clients !== undefined || config.unauthorizedClient !== undefined;
}

/**
 * Everything knowable while the file loads, checked now: a problem here
 * would otherwise fail every test alike, in beforeAll. The plan is the
 * runner's own (plan.ts), from the configuration's static part.
 */
function register(config: DescribeConformanceConfig, target: TargetKind, baseDir: string | undefined, sources: GrantSources): RunPlan {
  rejectUndefinedTarget(config, (message) => new ConformanceConfigError(message));
  if (target === 'static' && (typeof config.url !== 'string' || config.url.trim() === '')) {
    throw new ConformanceConfigError(
      `url is ${config.url === '' || typeof config.url === 'string' ? 'empty' : `not a string (${typeof config.url})`}: give the token endpoint URL (is the environment variable holding it set?), or leave url out to test the reference server`,
    );
  }
  if (target === 'reference' && hasClients(config)) {
    throw new ConformanceConfigError('clients are configured but there is no url: give the token endpoint url (is the environment variable holding it set?)');
  }
  // A promise awaited only in beforeAll may reject before then: mark it handled now (settle still sees the rejection).
  for (const value of [config.url, config.issuer, ...(config.clients ?? []).flatMap((c) => [c?.secret, c?.privateKey]), config.unauthorizedClient?.secret, config.unauthorizedClient?.privateKey]) {
    if (isLazy(value) && typeof value !== 'function') value.then(undefined, () => undefined);
  }
  // The static shape, lazy values stood in for, gets the runner's own validation (unknown keys, types).
  const statics = parseConfig(withStandIns(config), 'config');
  if (target === 'static') checkTargetUrl(config.url as string, config.allowInsecureHttp === true);
  if (target !== 'reference' && config.referenceServer !== undefined) throw new ConformanceConfigError('referenceServer applies only without a url or issuer (the reference server run)');
  if (typeof config.issuer === 'string') checkIssuerUrl(config.issuer, config.allowInsecureHttp === true);
  const expectedFailures = expectedFailuresOf(statics, baseDir);
  // A lazy url (or one the metadata will give) is unknown while registering: not https, so `tls` (which needs an https:// target) is registered as skipped.
  return planOfConfig(target === 'reference' ? { ...statics, url: undefined } : target === 'issuer' ? { ...statics, url: LAZY_URL } : statics, {
    expectedFailures,
    urlKnown: target === 'static',
    sources: { authorizationCode: sources.authorizationCode !== undefined, refreshToken: sources.refreshToken !== undefined },
  });
}

const SOURCE_GIVES = { authorizationCode: 'one fresh authorization code', refreshToken: 'one fresh refresh token' } as const;

/**
 * The `source` functions of `grants`, taken out of the config (which the
 * runner validates as a config file: no functions). A `source` that is no
 * function, or one given beside a `command`, is a configuration error.
 */
function splitSources(config: DescribeConformanceConfig): { config: DescribeConformanceConfig; sources: GrantSources } {
  const grants: unknown = config?.grants;
  // Not an object: left for the config's validation to name.
  if (!isPlainObject(grants)) return { config, sources: {} };
  const sources: GrantSources = {};
  const rest: Record<string, unknown> = { ...grants };
  for (const name of ['authorizationCode', 'refreshToken'] as const) {
    const grant = grants[name];
    if (!isPlainObject(grant) || !('source' in grant)) continue;
    const { source, ...others } = grant;
    rest[name] = others;
    if (source === undefined) continue;
    if (typeof source !== 'function') {
      throw new ConformanceConfigError(`grants.${name}.source must be a function giving ${SOURCE_GIVES[name]} (got ${source === null ? 'null' : Array.isArray(source) ? 'an array' : typeof source})`);
    }
    if (others.command !== undefined) throw new ConformanceConfigError(`grants.${name}: give command or source, not both`);
    (sources as Record<string, unknown>)[name] = source;
  }
  return { config: { ...config, grants: rest as DescribeGrantsConfig }, sources };
}

/** Stands in for a lazy url while the static shape is validated. */
const LAZY_URL = 'http://127.0.0.1/lazily-resolved';
const LAZY_ISSUER = 'http://127.0.0.1';
const LAZY_SECRET = 'lazily-resolved';
const LAZY_KEY = 'lazily-resolved.jwk';

function withStandIns(config: DescribeConformanceConfig): ConformanceConfig {
  const client = (c: LazyClientConfig): ClientConfig => ({
    ...c,
    ...(isLazy(c.secret) ? { secret: LAZY_SECRET } : {}),
    ...(isLazy(c.privateKey) ? { privateKey: LAZY_KEY } : {}),
  } as ClientConfig);
  return {
    ...config,
    url: isLazy(config.url) ? LAZY_URL : (config.url as string | undefined),
    ...(config.issuer !== undefined ? { issuer: isLazy(config.issuer) ? LAZY_ISSUER : config.issuer } : {}),
    ...(Array.isArray(config.clients) ? { clients: config.clients.map(client) } : {}),
    ...(config.unauthorizedClient && typeof config.unauthorizedClient === 'object' ? { unauthorizedClient: client(config.unauthorizedClient) } : {}),
  } as ConformanceConfig;
}

/** The configuration with every lazy value resolved (in beforeAll, once the target is up). */
async function resolveLazy(config: DescribeConformanceConfig): Promise<ConformanceConfig> {
  const client = async (c: LazyClientConfig, where: string): Promise<ClientConfig> => {
    const out = { ...c } as ClientConfig;
    if (c.secret !== undefined) out.secret = await settle(c.secret, `${where}.secret`);
    if (c.privateKey !== undefined) out.privateKey = await settle(c.privateKey, `${where}.privateKey`);
    return out;
  };
  const resolved = { ...config } as ConformanceConfig;
  if (config.url !== undefined) {
    const url = await settle(config.url, 'url');
    if (typeof url !== 'string' || url.trim() === '') throw new ConformanceConfigError(`url resolved to ${url === '' ? 'an empty string' : String(url)}: expected the token endpoint URL`);
    resolved.url = url;
  }
  if (config.issuer !== undefined) {
    const issuer = await settle(config.issuer, 'issuer');
    if (typeof issuer !== 'string' || issuer.trim() === '') throw new ConformanceConfigError(`issuer resolved to ${issuer === '' ? 'an empty string' : String(issuer)}: expected the issuer URL`);
    resolved.issuer = issuer;
  }
  if (config.clients) resolved.clients = await Promise.all(config.clients.map((c, i) => client(c, `clients[${i}]`)));
  if (config.unauthorizedClient) resolved.unauthorizedClient = await client(config.unauthorizedClient, 'unauthorizedClient');
  return resolved;
}

async function settle<T>(value: LazyValue<T>, where: string): Promise<T> {
  try {
    return await (typeof value === 'function' ? (value as () => T | PromiseLike<T>)() : value);
  } catch (error) {
    // The function's own error, named: it runs in beforeAll, far from the config that holds it.
    throw new ConformanceConfigError(`${where}: the lazily resolved value failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export { ConformanceCheckFailure };

/** A failing check's details as the console reporter prints them (reporters/console.ts), for the test's failure message. */
function describe(result: CheckResult): string {
  return formatCheckDetails({ ...result, status: result.status === 'expected-failure' ? 'failed' : result.status }).trim() || result.message;
}


function expectedFailuresOf(config: ConformanceConfig, baseDir: string | undefined): Map<string, string> {
  const value = config.expectedFailures;
  if (value === undefined) return new Map();
  if (Array.isArray(value)) return new Map(value.map((id) => [id, '']));
  if (typeof value === 'object') return new Map(Object.entries(value));
  // A file: read it now, synchronously, since tests are registered synchronously (resolved as the runner will).
  const path = isAbsolute(value) ? value : resolvePath(baseDir ?? process.cwd(), value);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConformanceConfigError(`cannot read expected failures file ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseExpectedFailures(text, path);
}

function jestGlobals(): TestApi {
  const g = globalThis as unknown as Partial<TestApi>;
  if (typeof g.describe !== 'function' || typeof g.test !== 'function' || typeof g.beforeAll !== 'function') {
    throw new NoTestFrameworkError('describeTokenEndpointConformance must be called inside a Jest test file (or pass options.api)');
  }
  return { describe: g.describe, test: g.test, beforeAll: g.beforeAll, ...(typeof g.afterAll === 'function' ? { afterAll: g.afterAll } : {}) } as TestApi;
}
