/**
 * Human-readable reports of problems: one line per problem (where, pointer,
 * message, received, rule), and the relevant part of the response. Each line
 * says each thing once: a problem's message states the rule and what it
 * expects, so the line adds only what was received (`Problem.expected` stays
 * for programs).
 * Everything printed goes through src/redact.ts: tokens, secrets, assertions
 * and proofs never reach a message.
 */
import { redactBody, redactHeaders, redactText } from '../oauth/redact';
import { valueAt } from './body';
import { headerRecord } from './headers';
import type { ResponseView } from './normalize';
import { CONTRACT_REFERENCE, type Problem } from './problem';

const MAX_VALUE_CHARS = 120;
const MAX_BODY_CHARS = 1500;
const MAX_TEXT_CHARS = 300;

/** `body /expires_in: AttestoBearerTokenResponse (…): must be an integer (received "3600") [body.schema]` */
export function formatProblem(problem: Problem): string {
  // A contract-only rule says so, unless its message already does.
  const contract = problem.level === 'CONTRACT' && !problem.message.includes(CONTRACT_REFERENCE) ? ` (${CONTRACT_REFERENCE})` : '';
  const parts = [`${location(problem)}: ${redactText(problem.message)}${contract}`];
  // A response-shape message already says what was received; elsewhere a problem without `received` says it itself.
  if (problem.where !== 'response' && 'received' in problem) parts.push(`(received ${show(problem.received)})`);
  parts.push(problem.level === 'SHOULD' ? `[${problem.rule}, SHOULD]` : `[${problem.rule}]`);
  return parts.join(' ');
}

/** One line per problem, each prefixed with `prefix`. */
export function formatProblems(problems: readonly Problem[], prefix = '  ✕ '): string {
  return problems.map((problem) => prefix + formatProblem(problem)).join('\n');
}

/** Status, the headers the contract cares about, and the body: redacted and truncated. */
export function formatResponse(view: ResponseView, problems: readonly Problem[] = []): string {
  try {
    return formatReadableResponse(view, problems);
  } catch (error) {
    // Its headers or body threw when read (a throwing getter, a Proxy): the message says so, by the error's name only.
    const name = error instanceof Error && /^\w{1,60}$/.test(error.name) ? error.name : 'an exception';
    return `Received a response that cannot be shown: reading it threw ${name}`;
  }
}

function formatReadableResponse(view: ResponseView, problems: readonly Problem[]): string {
  const headers = redactHeaders(headerRecord(view.headers));
  const shown = ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'dpop-nonce']
    .filter((name) => headers[name] !== undefined)
    .map((name) => `  ${name}: ${redactText(String(headers[name]))}`);
  const lines = [`Received status ${view.status}`, shown.length > 0 ? `Headers:\n${shown.join('\n')}` : 'Headers: (none of content-type, cache-control, pragma, www-authenticate, dpop-nonce)'];
  lines.push(`Body:${formatBody(view, problems)}`);
  return lines.join('\n');
}

function formatBody(view: ResponseView, problems: readonly Problem[]): string {
  if (view.bodyKind === 'empty') return ' (empty)';
  if (view.bodyKind === 'text') {
    const text = redactText(view.rawBody ?? String(view.body));
    const cut = text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS)}… (${text.length} chars)` : text;
    return ` (not JSON)\n${indent(cut)}`;
  }
  const redacted = redactBody(view.body);
  const json = safeStringify(redacted, 2);
  if (json.length <= MAX_BODY_CHARS) return `\n${indent(json)}`;
  // A large body: show the members around each problem, then the start of the whole.
  const parents = [...new Set(problems.filter((p) => p.where === 'body').map((p) => p.pointer.slice(0, Math.max(0, p.pointer.lastIndexOf('/')))))];
  const parts = parents.map((pointer) => `${pointer || '(root)'}: ${truncate(safeStringify(valueAt(redacted, pointer)), MAX_TEXT_CHARS)}`);
  parts.push(`${truncate(json, MAX_TEXT_CHARS)} (${json.length} chars in all)`);
  return ` (large; the parts around the problems)\n${indent(parts.join('\n'))}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}


function location(problem: Problem): string {
  switch (problem.where) {
    case 'header':
      return `header ${problem.pointer.slice(1) || '(all)'}`;
    case 'body':
      return `body ${problem.pointer || '(root)'}`;
    default:
      return problem.where;
  }
}

/** A short, redacted rendering of an expected/received value. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing (absent)';
  if (typeof value === 'number') return String(value); // also Infinity (JSON text such as 1e400) and NaN, which JSON.stringify prints as null
  if (Array.isArray(value) && value.every((item) => typeof item === 'number')) return value.join(' or ');
  const text = typeof value === 'string' ? JSON.stringify(redactText(value)) : redactText(safeStringify(redactBody(value)));
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

function safeStringify(value: unknown, space?: number): string {
  try {
    const text = JSON.stringify(value, (_key, member: unknown) => (typeof member === 'bigint' ? `${member}n` : typeof member === 'number' && !Number.isFinite(member) ? String(member) : member), space);
    return text === undefined ? String(value) : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
