/**
 * Failures that share one cause. A server that answers every client-
 * authentication failure the same wrong way (an empty 403, an HTML error
 * page) fails a dozen checks for one reason; the report says so once, names
 * the checks, and shows the answer once instead of once per check.
 *
 * Checks share a cause when the answers their deciding findings are about
 * are the same: same HTTP status, same media type, same body shape (empty,
 * an HTML page, other text, or JSON with the same member names and the same
 * `error` code). Anything else that differs keeps them apart: two causes
 * are never merged.
 */
import type { CheckGroup, CheckResult, ExchangeView } from '../types';

/** Fewer checks than this with one answer are reported one by one, as usual. */
export const MIN_SHARED_CAUSE = 3;

export interface SharedCause {
  /** The answer in words: `HTTP 403, no Content-Type, an empty body`. */
  answer: string;
  /** One line for the report: `15 checks got the same answer: …`. */
  summary: string;
  /** The checks, in report order. */
  checks: CheckResult[];
  /** The first check's exchange: the answer shown once. */
  example: ExchangeView;
}

/** The failing and warning checks that share an answer with at least MIN_SHARED_CAUSE - 1 others, grouped; the remaining results as they were. */
export function sharedCauses(checks: readonly CheckResult[], minimum = MIN_SHARED_CAUSE): { causes: SharedCause[]; alone: CheckResult[] } {
  const byAnswer = new Map<string, { answer: string; checks: CheckResult[]; example: ExchangeView }>();
  for (const check of checks) {
    // Failures and warnings alike: a warning about the same answer has the same cause.
    const exchange = check.status === 'failed' || check.status === 'warned' ? check.findings[0]?.exchange : undefined;
    const answer = exchange === undefined ? undefined : describeAnswer(exchange);
    if (answer === undefined) continue;
    const entry = byAnswer.get(answer) ?? { answer, checks: [], example: exchange! };
    entry.checks.push(check);
    byAnswer.set(answer, entry);
  }
  const causes = [...byAnswer.values()].filter((c) => c.checks.length >= minimum).map((c) => ({ ...c, summary: summaryOf(c.answer, c.checks) }));
  const grouped = new Set(causes.flatMap((c) => c.checks));
  return { causes, alone: checks.filter((c) => !grouped.has(c)) };
}

/** The answer's identity in words (status, media type, body shape), or undefined when there was no answer. */
export function describeAnswer(exchange: ExchangeView): string | undefined {
  const res = exchange.response;
  if (res === undefined) return undefined;
  const mediaType = res.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  return `HTTP ${res.status}, ${mediaType ? `Content-Type ${mediaType}` : 'no Content-Type'}, ${bodyShape(res.body)}`;
}

function bodyShape(body: unknown): string {
  if (body === undefined) return 'an empty body';
  if (typeof body === 'string') return /^\s*</.test(body) ? 'an HTML or XML page' : 'a body that is not JSON';
  if (body === null || typeof body !== 'object') return `a JSON ${body === null ? 'null' : typeof body}`;
  if (Array.isArray(body)) return 'a JSON array';
  const record = body as Record<string, unknown>;
  const members = Object.keys(record).sort();
  if (members.length === 0) return 'an empty JSON object';
  const error = typeof record.error === 'string' ? ` (error ${JSON.stringify(record.error)})` : '';
  return `a JSON object with ${members.join(', ')}${error}`;
}

const GROUP_WORDS: Record<CheckGroup, string> = {
  success: 'success',
  transport: 'transport',
  'client-auth': 'client authentication',
  'grant-scope': 'grant and scope',
  'dpop-success': 'DPoP success',
  'dpop-proof': 'DPoP proof',
  'dpop-nonce': 'DPoP nonce',
  'sender-constraint': 'sender constraint',
  'authorization-code': 'authorization code',
  'refresh-token': 'refresh token',
  metadata: 'metadata document',
  'metadata-truth': 'metadata truth',
  mtls: 'mutual TLS',
};

function summaryOf(answer: string, checks: readonly CheckResult[]): string {
  const groups = new Map<CheckGroup, number>();
  for (const check of checks) groups.set(check.group, (groups.get(check.group) ?? 0) + 1);
  const only = groups.size === 1 ? [...groups.keys()][0]! : undefined;
  const which = only ? `${checks.length} ${GROUP_WORDS[only]} checks` : `${checks.length} checks (${[...groups].map(([group, n]) => `${n} ${GROUP_WORDS[group]}`).join(', ')})`;
  const verb = checks.every((c) => c.status === 'warned') ? 'warn' : 'fail';
  return `${which} ${verb} on the same answer: ${answer}`;
}
