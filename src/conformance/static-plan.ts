/**
 * The plan of a configuration as written, before anything is resolved: no
 * secret read, no key loaded, no request sent. The Jest entry registers its
 * tests from it (tests are registered synchronously, before any run), and
 * `token-contract conformance --list` prints it. The runner plans from the
 * resolved configuration (runner.ts `planFor`); both go through planRun.
 */
import { CHECKS } from './checks';
import type { Check } from './checks/define';
import { capabilitiesOf } from './capabilities';
import type { ClientConfig, ConformanceConfig } from './config';
import { planRun, type RunPlan } from './plan';
import { COMPANION_CAPABILITIES, referenceRunCapabilities } from './reference-run';

export interface StaticPlanOptions {
  /** The expected failures as read (the config may name a file; the caller reads it its own way). */
  expectedFailures?: ReadonlyMap<string, string>;
  /** False when the url is not known yet (a lazy url in the Jest entry): `tls`, which needs an https:// target, is planned as skipped. */
  urlKnown?: boolean;
  catalogue?: readonly Check[];
  /**
   * Sources of codes and refresh tokens given besides the config (the Jest
   * entry's `grants.*.source` functions, RunOptions.grantSources); a
   * configured `grants.*.command` counts on its own.
   */
  sources?: { authorizationCode?: boolean; refreshToken?: boolean };
}

/** Without a url: the default run against the reference server (and its DPoP-off companion); with one, the target the config describes. */
export function planOfConfig(config: ConformanceConfig, options: StaticPlanOptions = {}): RunPlan {
  const common = { only: config.only, skip: config.skip, expectedFailures: options.expectedFailures };
  const catalogue = options.catalogue ?? CHECKS;
  if (config.url === undefined) {
    return planRun({ ...common, capabilities: referenceRunCapabilities(config.referenceServer?.requireNonce !== false), companion: COMPANION_CAPABILITIES }, catalogue);
  }
  const dpop = typeof config.dpop === 'boolean' ? { enabled: config.dpop } : (config.dpop ?? {});
  const capabilities = capabilitiesOf({
    url: options.urlKnown === false ? undefined : config.url,
    clients: (config.clients ?? []).map((c) => ({
      auth: c.auth,
      requiresDpop: requiresDpop(c),
      exclusiveAuthMethod: c.exclusiveAuthMethod === true,
      grantTypes: c.grantTypes,
      certificate: c.certificate !== undefined,
      certificateBoundTokens: c.certificateBoundTokens === true,
    })),
    // As resolveConfig decides it: the configured one, else the token endpoint when it is https.
    mtlsUrl: config.mtlsUrl ?? (options.urlKnown === false ? undefined : config.url),
    dpop,
    invalidScope: config.invalidScope,
    issuer: config.issuer,
    unauthorizedClient: config.unauthorizedClient,
    // The runner's own facts (config/index.ts resolveConfig, runner.ts useSources), from the config as written.
    sources: {
      authorizationCode: options.sources?.authorizationCode === true || config.grants?.authorizationCode?.command !== undefined,
      refreshToken: options.sources?.refreshToken === true || config.grants?.refreshToken?.command !== undefined,
    },
    grants: {
      authorizationCode: { lifetimeSeconds: config.grants?.authorizationCode?.lifetimeSeconds },
      // A blank widerScope is no scope: the runner falls back to invalidScope then.
      refreshToken: { widerScope: blankToUndefined(config.grants?.refreshToken?.widerScope), rotation: config.grants?.refreshToken?.rotation },
    },
  });
  return planRun({ ...common, capabilities }, catalogue);
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The config member that says a client must use DPoP (`requireDpop`; `requiresDpop` is its older spelling). */
function requiresDpop(client: ClientConfig): boolean {
  const flags = client as { requireDpop?: boolean; requiresDpop?: boolean };
  return flags.requireDpop === true || flags.requiresDpop === true;
}
