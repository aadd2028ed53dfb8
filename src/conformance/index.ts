/**
 * The live conformance suite (issue 6): checks of the checklist, the runner,
 * configuration, profiles, expected failures, reporters and the Jest entry.
 */
export { runConformance, referenceTargetConfig, knownSelectors, defaultRunClients, type RunOptions, type StartInfo } from './runner';
export { CHECKS, findCheck } from './checks';
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
} from './config';
export { TargetUnreachableError } from './http';
export { failsUnder, statusOf, applyExpectation } from './profiles';
export { REPORTER_NAMES, formatReport, formatJson, formatJunit, formatMarkdown, formatConsoleSummary, ConsoleReporter, type ReporterName } from './reporters';
export { describeTokenEndpointConformance, type DescribeConformanceOptions, type DescribeConformanceConfig, type LazyClientConfig, type LazyValue } from './jest';
export * from './types';
