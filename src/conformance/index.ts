/**
 * The live conformance suite: checks of the checklist, the run plan, the runner,
 * configuration, profiles, expected failures, reporters and the Jest entry.
 */
export { runConformance, referenceTargetConfig, knownSelectors, defaultRunClients, planFor, type RunOptions, type StartInfo } from './runner';
export { referenceCodeSource } from './reference-run';
export {
  COMMAND_ENV,
  type CodeRequest,
  type CodeSource,
  type GrantCommand,
  type GrantSources,
  type IssuedCode,
  type IssuedRefreshToken,
  type RefreshTokenRequest,
  type RefreshTokenSource,
} from './grant-sources';
export { planRun, type PlanInput, type RunPlan, type SkippedCheck } from './plan';
export { CAPABILITIES, capabilitiesOf, describeCapability, type Capability, type CapabilityFacts } from './capabilities';
export { CHECKS, findCheck } from './checks';
export type { Check } from './checks/define';
export {
  AUTH_METHODS,
  DEFAULT_CONCURRENCY,
  ConformanceConfigError,
  loadConfigFile,
  parseConfig,
  parseExpectedFailures,
  resolveConfig,
  checkTargetUrl,
  isLoopbackHost,
  type AuthMethod,
  type ClientConfig,
  type ConformanceConfig,
  type DpopConfig as ConformanceDpopConfig,
  type ResolvedConfig,
  type GracePolicy,
  type RotationPolicy,
} from './config';
export { DiscoveryError, GrantSourceError, TargetUnreachableError } from '../errors';
export { discoverMetadata, readIssuerMetadata, wellKnownUrls, type DiscoveredMetadata, type IssuerMetadata, type MetadataDocument, type WellKnownAnswer } from './discovery';
export { failsUnder, statusOf, applyExpectation } from './profiles';
export { REPORTER_NAMES, formatReport, formatJson, formatJunit, formatMarkdown, formatHtml, formatConsoleSummary, ConsoleReporter, type ReporterName } from './reporters';
export { describeTokenEndpointConformance, type DescribeConformanceOptions, type DescribeConformanceConfig, type DescribeGrantsConfig, type LazyClientConfig, type LazyValue } from './jest';
export * from './types';
export { RateLimited, parseRetryAfter, RATE_LIMIT_STATUSES, DEFAULT_RETRY_AFTER_CAP_MS } from './rate-limit';
