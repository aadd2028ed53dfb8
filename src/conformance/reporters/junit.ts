/**
 * JUnit XML for CI: one testcase per check. Failures are <failure>; skipped
 * checks, expected failures and inconclusive checks (rate limited) are
 * <skipped> with the reason as message (the run does not fail on them); warnings and unexpected passes pass, with the note in <system-out>.
 * A failure's `type` is the level that decided it (CheckResult.decidingLevel).
 */
import type { CheckResult, ConformanceReport } from '../types';
import { isLoopbackHost } from '../../oauth/loopback';
import { failsRun } from '../profiles';
import { decidingLevelOf, failingCount, findingLines, interruptedNote, policyOf, requestText, responseText } from './format';

export function formatJunit(report: ConformanceReport): string {
  const { summary } = report;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  // The same name run after run (a CI's test history keys on it): a loopback target's ephemeral port is no part of it.
  const suiteName = `token endpoint conformance (${report.profile}) ${stableTarget(report.target)}`;
  // A check that fails the run under the policy (an unexpected pass with strictExpected, an inconclusive one with
  // failOn inconclusive) is a <failure>, not a <skipped>.
  const policy = policyOf(report);
  const failing = failingCount(report);
  const failingInconclusive = policy.failOn === 'inconclusive' ? summary.inconclusive : 0;
  const skipped = summary.skipped + summary.expectedFailures + summary.inconclusive - failingInconclusive;
  // A stopped run is an error of the run, not a failure of a check: one <error> testcase says so, and CI shows it red.
  const stopped = interruptedNote(report);
  const [tests, errors] = [summary.total + (stopped ? 1 : 0), stopped ? 1 : 0];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(suiteName)}" tests="${tests}" failures="${failing}" errors="${errors}" skipped="${skipped}" time="${seconds(report.durationMs)}">`,
    `  <testsuite name="${xml(suiteName)}" tests="${tests}" failures="${failing}" errors="${errors}" skipped="${skipped}" time="${seconds(report.durationMs)}" timestamp="${xml(report.startedAt)}">`,
    '    <properties>',
    `      <property name="tool" value="${xml(`${report.tool} ${report.version}`)}"/>`,
    `      <property name="profile" value="${xml(report.profile)}"/>`,
    `      <property name="target" value="${xml(report.target)}"/>`,
    `      <property name="failOn" value="${xml(policy.failOn)}"/>`,
    ...(stopped ? ['      <property name="interrupted" value="true"/>'] : []),
    ...discoveryProperties(report),
    '    </properties>',
    ...(stopped ? [`    <testcase classname="conformance.run" name="run" time="0">\n      <error message="${xml(stopped)}" type="interrupted"/>\n    </testcase>`] : []),
    ...report.checks.map((check) => testcase(check, seconds(check.durationMs), failsRun(check.status, policy))),
    '  </testsuite>',
    '</testsuites>',
    '',
  ];
  return lines.join('\n');
}

/** The target as the suite's name shows it: a loopback host's port (an ephemeral one, the reference server's) left out. */
export function stableTarget(target: string): string {
  if (!URL.canParse(target)) return target;
  const url = new URL(target);
  if (!isLoopbackHost(url.hostname)) return target;
  return `${url.protocol}//${url.hostname}${url.pathname}`;
}

/** The issuer, its metadata URL, and each config value's origin (`url` = `metadata:token_endpoint`). */
function discoveryProperties(report: ConformanceReport): string[] {
  const info = report.discovery;
  if (info === undefined) return [];
  return [
    `      <property name="issuer" value="${xml(info.issuer)}"/>`,
    `      <property name="metadata" value="${xml(info.metadataUrl)}"/>`,
    ...info.origins.map((o) => `      <property name="${xml(`config.${o.member}`)}" value="${xml(`${o.source}:${o.from}`)}"/>`),
    ...(info.unusable !== undefined ? [`      <property name="metadata.unusable" value="${xml(info.unusable)}"/>`] : []),
  ];
}

function testcase(check: CheckResult, time: string, failing: boolean): string {
  const open = `    <testcase classname="conformance.${xml(check.group)}" name="${xml(`${check.id} [${check.level}] ${check.title}`)}" time="${time}"`;
  if (failing && check.status !== 'failed') {
    const why = check.status === 'unexpected-pass' ? 'unexpected pass (--strict-expected): remove it from the expected failures' : 'inconclusive (--fail-on inconclusive)';
    return `${open}>\n      <failure message="${xml(`${why}: ${check.message}`)}" type="${xml(check.status)}">${xml(details(check))}</failure>\n    </testcase>`;
  }
  switch (check.status) {
    case 'passed':
      return `${open}/>`;
    case 'failed':
      return `${open}>\n      <failure message="${xml(check.message)}" type="${xml(decidingLevelOf(check))}">${xml(details(check))}</failure>\n    </testcase>`;
    case 'skipped':
    case 'expected-failure':
    case 'inconclusive':
      return `${open}>\n      <skipped message="${xml(check.message)}"/>\n    </testcase>`;
    case 'warned':
    case 'unexpected-pass':
      return `${open}>\n      <system-out>${xml(`${check.status}: ${check.message}\n\n${details(check)}`)}</system-out>\n    </testcase>`;
  }
}

function details(check: CheckResult): string {
  const parts = [`${check.id}: ${check.title} (${check.reference})`];
  for (const finding of check.findings) {
    parts.push('', ...findingLines(finding));
    if (finding.exchange) parts.push('', 'request sent:', requestText(finding.exchange), '', 'response:', responseText(finding.exchange), '', `reproduce: ${finding.exchange.curl}`);
  }
  return parts.join('\n');
}

/** XML 1.0 text/attribute escaping; characters XML cannot carry at all are dropped. */
function xml(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
