/**
 * The JSON report: a stable, documented shape for tools.
 *
 * `{ tool, version, target, proxy?, profile, policy: { profile, failOn, strictExpected }, startedAt, durationMs,
 *    summary: { total, passed, failed, warned, skipped, expectedFailures, unexpectedPasses, inconclusive, failing },
 *    checks: [{ id, title, level, reference, group, status, decidingLevel, message, durationMs, findings }] }`
 *
 * `status` is one of passed | failed | warned | skipped | expected-failure |
 * unexpected-pass | inconclusive (the target answered 429/503 even after
 * one resend: no verdict). `level` is the check's own level; `decidingLevel` the
 * level of the most severe finding that decided a failure, warning or
 * expected failure (a MUST check failed only by its CONTRACT half says
 * CONTRACT), else the check's level. `proxy`, present when the run went
 * through one, is its URL without credentials. `findings` lists what was wrong (level, message,
 * expected, received, reference, and the redacted exchange with a `curl`).
 * `discovery`, present with an issuer, is `{ issuer, metadataUrl, origins:
 * [{ member, source: metadata | config | ignored, from, why? }], unusable? }`: which config
 * values came from which metadata member, which the config kept over it,
 * which the run would not use (`why`). `summary.failing` counts the checks
 * that fail the run under `policy` (the exit code is 1 when it is not 0).
 * `interrupted` is true when the run was stopped (SIGINT, SIGTERM) before
 * every check finished: those are skipped, "run interrupted".
 * `causes` lists the failures that share one answer (same status, media
 * type and body shape; reporters/causes.ts): `{ answer, summary, checks: [ids] }`.
 * Fields are only ever added, never renamed or removed.
 */
import type { ConformanceReport } from '../types';
import { sharedCauses } from './causes';
import { decidingLevelOf, noteworthy } from './format';

export function formatJson(report: ConformanceReport): string {
  const out = {
    tool: report.tool,
    version: report.version,
    target: report.target,
    ...(report.proxy === undefined ? {} : { proxy: report.proxy }),
    ...(report.discovery === undefined ? {} : { discovery: report.discovery }),
    profile: report.profile,
    policy: report.policy,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    summary: report.summary,
    checks: report.checks.map((c) => ({
      id: c.id,
      title: c.title,
      level: c.level,
      reference: c.reference,
      group: c.group,
      status: c.status,
      decidingLevel: decidingLevelOf(c),
      message: c.message,
      durationMs: c.durationMs,
      findings: c.findings,
    })),
    causes: sharedCauses(noteworthy(report.checks)).causes.map((cause) => ({ answer: cause.answer, summary: cause.summary, checks: cause.checks.map((c) => c.id) })),
    interrupted: report.interrupted === true,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
