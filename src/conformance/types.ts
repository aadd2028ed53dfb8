/**
 * The vocabulary of the live conformance suite: levels, check descriptions,
 * findings and results. Plain data; behaviour lives in the check context,
 * the check groups, the runner and the reporters.
 */
import type { Capability } from './capabilities';

export type { Capability };

/**
 * How binding a requirement is.
 * - `MUST`: an RFC requirement (RFC 2119 MUST / MUST NOT / REQUIRED).
 * - `CONTRACT`: what the attesto contract adds beyond the RFCs.
 * - `SHOULD`, `MAY`: RFC recommendations and options; they never fail a run.
 */
export const LEVELS = ['MUST', 'CONTRACT', 'SHOULD', 'MAY'] as const;
export type Level = (typeof LEVELS)[number];

/** `attesto`: MUST and CONTRACT fail the run. `rfc`: only MUST fails; CONTRACT warns. */
export const PROFILES = ['attesto', 'rfc'] as const;
export type Profile = (typeof PROFILES)[number];

/**
 * The lowest level that fails the run (`--fail-on`), most binding first:
 * a finding at or above it fails its check. `inconclusive` also fails the
 * run on checks without a verdict. Default: CONTRACT under the attesto
 * profile, MUST under rfc. Under rfc a CONTRACT finding never fails.
 */
export const FAIL_ON = ['MUST', 'CONTRACT', 'SHOULD', 'MAY', 'inconclusive'] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** What fails a run: the profile, the lowest failing level, and whether an unexpected pass fails it (`--strict-expected`). */
export interface FailurePolicy {
  profile: Profile;
  failOn: FailOn;
  strictExpected: boolean;
}

export const CHECK_GROUPS = [
  'success',
  'transport',
  'client-auth',
  'grant-scope',
  'dpop-success',
  'dpop-proof',
  'dpop-nonce',
  'sender-constraint',
  'authorization-code',
  'refresh-token',
  'metadata',
  'metadata-truth',
  'mtls',
] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number];

/**
 * What a check's core problems it owns (src/validate rule ids and body JSON
 * pointers): a problem the validation core finds in any check's response is
 * reported by its owner, once, not by every check that happened to see it.
 */
export interface Ownership {
  /** Rule ids (`header.content-type.json`). */
  readonly rules?: readonly string[];
  /** Body JSON pointers; a pointer owns its descendants too (`/cnf` owns `/cnf/jkt`). */
  readonly pointers?: readonly string[];
}

/** Everything a check declares about itself: plain data (its behaviour is `Check.run`, src/conformance/checks/define.ts). */
export interface CheckDescriptor {
  /** The id of the row in the conformance checklist, verbatim. */
  readonly id: string;
  readonly title: string;
  /** The highest level the check enforces; a finding may carry a lower one (e.g. a CONTRACT half of a MUST check). */
  readonly level: Level;
  /** Where the rule comes from, e.g. `RFC 9449 §4.3`. */
  readonly reference: string;
  readonly group: CheckGroup;
  readonly requires: readonly Capability[];
  /**
   * `concurrent` (default) checks run in a bounded pool; `ordered` checks
   * depend on server state (replay caches, nonces) and run one at a time
   * after them; `observer` checks also inspect every exchange of the run,
   * so they run last.
   */
  readonly mode?: 'concurrent' | 'ordered' | 'observer';
  /**
   * The check waits out a window of the server's (a code lifetime, a
   * refresh grace window): its time is the window's, not round trips. A
   * concurrent one runs beside the pool instead of holding one of its slots
   * while it sleeps; an ordered one waits its turn like the others.
   */
  readonly waits?: boolean;
  /** Core problems this check reports for the whole run (see {@link Ownership}). */
  readonly owns?: Ownership;
}

/**
 * `inconclusive`: the check ran but the target would not answer it (a 429
 * or 503 even after the one resend, src/conformance/rate-limit.ts): neither
 * a pass nor a failure.
 */
export const STATUSES = ['passed', 'failed', 'warned', 'skipped', 'expected-failure', 'unexpected-pass', 'inconclusive'] as const;
export type CheckStatus = (typeof STATUSES)[number];

/** One request/response pair as the user may see it: already redacted. */
export interface ExchangeView {
  request: {
    method: string;
    url: string;
    headers: Array<[string, string]>;
    body?: string;
  };
  response?: {
    status: number;
    headers: Record<string, string>;
    body?: unknown;
  };
  /** A `curl` command reproducing the request, secrets replaced by placeholders. */
  curl: string;
}

/** One departure from a rule, at a given level. */
export interface Finding {
  level: Level;
  message: string;
  expected?: string;
  received?: string;
  /** A more precise reference than the check's, when the finding comes from another rule. */
  reference?: string;
  /** What to try when the likely cause is the run's configuration, not the server (`set "audience" on the client`). */
  hint?: string;
  exchange?: ExchangeView;
}

export interface CheckResult {
  id: string;
  title: string;
  level: Level;
  reference: string;
  group: CheckGroup;
  status: CheckStatus;
  /**
   * The level that decided `status`: for a failure, warning or expected
   * failure, the most severe finding that counted (a MUST check failed only
   * by a CONTRACT finding says CONTRACT); otherwise the check's `level`.
   * Summaries count each result under this level.
   */
  decidingLevel?: Level;
  /** One line: why it passed/failed/was skipped. */
  message: string;
  durationMs: number;
  /** Why the check failed or warned, the failing ones first; each carries the exchange it is about (redacted). */
  findings: Finding[];
}

export interface ReportSummary {
  total: number;
  passed: number;
  failed: number;
  warned: number;
  skipped: number;
  expectedFailures: number;
  unexpectedPasses: number;
  /** Checks the target did not answer (rate limited: 429/503 after the one resend). */
  inconclusive: number;
  /** Checks that fail the run: the failed ones, and under the policy the unexpected passes (--strict-expected) and the inconclusive ones (--fail-on inconclusive). */
  failing: number;
}

/** Where one value of the run's configuration came from. */
export interface ValueOrigin {
  /** The config member (`url`, `dpop`). */
  member: string;
  /**
   * metadata: taken from the document's `from` member; config: given by the
   * config or a flag, which won over the document's; ignored: the document's
   * value was not used (`why` says why: e.g. an introspection endpoint on
   * another host than the token endpoint would be handed client credentials).
   */
  source: 'metadata' | 'config' | 'ignored';
  /** The metadata member the value was or would have been taken from. */
  from: string;
  /** For `ignored`: why the document's value was not used. */
  why?: string;
}

/** What discovery gave a run: the document read and which config values came from it. */
export interface DiscoveryInfo {
  issuer: string;
  metadataUrl: string;
  origins: ValueOrigin[];
  /** Why no document could be used (the run had its url anyway): the metadata checks say more. */
  unusable?: string;
}

export interface ConformanceReport {
  tool: string;
  version: string;
  /** The token endpoint URL the suite ran against. */
  target: string;
  /** The proxy every request went through (CONNECT tunnels), without credentials; absent: direct. */
  proxy?: string;
  /** With config `issuer`: where its metadata was read and which configuration values came from it. */
  discovery?: DiscoveryInfo;
  profile: Profile;
  /** What failed this run (`failOn`, `strictExpected`; the profile is `profile`). */
  policy: FailurePolicy;
  startedAt: string;
  durationMs: number;
  summary: ReportSummary;
  checks: CheckResult[];
  /** The run was stopped (RunOptions.signal: SIGINT, SIGTERM) before every check ran; those are skipped, "run interrupted". */
  interrupted?: boolean;
}
