/**
 * `describeTokenEndpointConformance(config)`: the suite inside a team's own
 * Jest (or Vitest) run. It registers one test per check: checks whose
 * capabilities the configuration lacks are `test.skip`, listed expected
 * failures are `test.failing`, the rest are plain tests. The run itself
 * happens once, in `beforeAll`; each test then reports its check's result.
 */
import { readFileSync } from 'node:fs';
import { CHECKS } from './checks';
import { parseExpectedFailures, type ConformanceConfig } from './config';
import { formatConsoleSummary } from './reporters';
import { runConformance } from './runner';
import type { Capability, Check, CheckResult, ConformanceReport } from './types';

type TestFn = (name: string, fn: () => Promise<void> | void, timeout?: number) => void;

/** The test-framework functions used; Jest's globals by default. */
export interface TestApi {
  describe: (name: string, fn: () => void) => void;
  test: TestFn & { skip: TestFn; failing?: TestFn };
  beforeAll: (fn: () => Promise<void> | void, timeout?: number) => void;
}

export interface DescribeConformanceOptions {
  /** The describe block's name. */
  name?: string;
  /** Timeout of the whole run in beforeAll (default 120 s). */
  timeoutMs?: number;
  /** Test functions (e.g. Vitest's); default the Jest globals. */
  api?: TestApi;
  /** Environment for `secretEnv` (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Folder that relative key and expected-failures paths resolve against (default cwd). */
  baseDir?: string;
}

export function describeTokenEndpointConformance(config: ConformanceConfig = {}, options: DescribeConformanceOptions = {}): void {
  const api = options.api ?? jestGlobals();
  const capabilities = plannedCapabilities(config);
  const expected = expectedIds(config);
  const selected = CHECKS.filter((check) => selects(config, check));
  const name = options.name ?? `token endpoint conformance: ${config.url ?? 'reference server'} (profile ${config.profile ?? 'attesto'})`;

  api.describe(name, () => {
    let report: ConformanceReport | undefined;
    let runError: unknown;
    api.beforeAll(async () => {
      try {
        report = await runConformance(config, { env: options.env, baseDir: options.baseDir });
      } catch (error) {
        runError = error;
      }
    }, options.timeoutMs ?? 120_000);

    const resultOf = (check: Check): CheckResult => {
      if (runError !== undefined) throw runError instanceof Error ? runError : new Error(String(runError));
      const result = report?.checks.find((c) => c.id === check.id);
      if (!result) throw new Error(`${check.id}: no result (the run did not complete)`);
      return result;
    };

    for (const check of selected) {
      const title = `${check.id} [${check.level}] ${check.title}`;
      const missing = check.requires.filter((cap) => !capabilities.has(cap));
      if (missing.length > 0) {
        api.test.skip(`${title} (needs ${missing.join(', ')})`, () => undefined);
      } else if (expected.has(check.id) && api.test.failing) {
        // test.failing passes when the body throws: an expected failure that now passes shows up as a failure to remove.
        api.test.failing(title, () => {
          const result = resultOf(check);
          if (result.status === 'expected-failure') throw new Error(describe(result));
        });
      } else {
        api.test(title, () => {
          const result = resultOf(check);
          if (result.status === 'failed') throw new ConformanceCheckFailure(describe(result));
        });
      }
    }
  });
}

/** A failing check, its findings (redacted) as the message. */
export class ConformanceCheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConformanceCheckFailure';
  }
}

function describe(result: CheckResult): string {
  const report: ConformanceReport = {
    tool: '',
    version: '',
    target: '',
    profile: 'attesto',
    startedAt: '',
    durationMs: 0,
    summary: { total: 1, passed: 0, failed: 1, warned: 0, skipped: 0, expectedFailures: 0, unexpectedPasses: 0 },
    checks: [{ ...result, status: result.status === 'expected-failure' ? 'failed' : result.status }],
  };
  const text = formatConsoleSummary(report);
  // Keep the details, drop the one-check summary table.
  return text.slice(0, text.indexOf('level  ')).trim() || result.message;
}

/**
 * Capabilities known before the run (the test list must be registered
 * synchronously): from the clients' methods and the flags. Without a url,
 * those of the reference server's default run.
 */
export function plannedCapabilities(config: ConformanceConfig): Set<Capability> {
  const caps = new Set<Capability>();
  const dpop = typeof config.dpop === 'boolean' ? { enabled: config.dpop } : (config.dpop ?? {});
  if (config.url === undefined) {
    // dpop_disabled: the default run starts a second reference server with DPoP off for those checks.
    for (const cap of ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'secret_client', 'dpop', 'invalid_scope', 'unauthorized_client', 'dpop_required_client', 'dpop_disabled'] as const) caps.add(cap);
    if (config.referenceServer?.requireNonce !== false) caps.add('dpop_nonce');
    return caps;
  }
  for (const client of config.clients ?? []) {
    caps.add(client.auth);
    if (client.auth !== 'private_key_jwt') caps.add('secret_client');
    if (client.requiresDpop) caps.add('dpop_required_client');
  }
  if (dpop.enabled || dpop.nonce) caps.add('dpop');
  if (dpop.nonce) caps.add('dpop_nonce');
  if (dpop.disabled) caps.add('dpop_disabled');
  if (config.invalidScope) caps.add('invalid_scope');
  if (config.unauthorizedClient) caps.add('unauthorized_client');
  if (config.url.startsWith('https:')) caps.add('https');
  return caps;
}

function expectedIds(config: ConformanceConfig): Set<string> {
  const value = config.expectedFailures;
  if (value === undefined) return new Set();
  if (Array.isArray(value)) return new Set(value);
  if (typeof value === 'object') return new Set(Object.keys(value));
  // A file: read it now, synchronously, since tests are registered synchronously.
  return new Set(parseExpectedFailures(readFileSync(value, 'utf8'), value).keys());
}

function selects(config: ConformanceConfig, check: Check): boolean {
  const hit = (list: readonly string[] | undefined) => (list ?? []).some((s) => s === check.id || s === check.group);
  return (config.only === undefined || config.only.length === 0 || hit(config.only)) && !hit(config.skip);
}

function jestGlobals(): TestApi {
  const g = globalThis as unknown as Partial<TestApi>;
  if (typeof g.describe !== 'function' || typeof g.test !== 'function' || typeof g.beforeAll !== 'function') {
    throw new Error('describeTokenEndpointConformance must be called inside a Jest test file (or pass options.api)');
  }
  return { describe: g.describe, test: g.test, beforeAll: g.beforeAll } as TestApi;
}
