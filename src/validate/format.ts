/**
 * Human-readable reports of problems: one line per problem (where, pointer,
 * message, expected, received, rule), and the relevant part of the response.
 * Everything printed goes through src/redact.ts: tokens, secrets, assertions
 * and proofs never reach a message.
 */
import { redactBody, redactHeaders, redactText } from '../redact';
import { headerRecord } from './headers';
import type { ResponseView } from './normalize';
import type { Problem } from './problem';

const MAX_VALUE_CHARS = 120;
const MAX_BODY_CHARS = 1500;
const MAX_TEXT_CHARS = 300;

/** `body /expires_in: … (expected integer, received "3600") [body.schema]` */
export function formatProblem(problem: Problem): string {
  const parts = [`${location(problem)}: ${redactText(problem.message)}`];
  const details: string[] = [];
  // A response-shape message already says what was received.
  if (problem.where === 'response') return `${parts[0]} [${problem.rule}]`;
  if ('expected' in problem && problem.expected !== undefined) details.push(`expected ${show(problem.expected)}`);
  if ('received' in problem) details.push(`received ${show(problem.received)}`);
  if (details.length > 0) parts.push(`(${details.join(', ')})`);
  parts.push(`[${problem.rule}]`);
  return parts.join(' ');
}

/** One line per problem, each prefixed with `prefix`. */
export function formatProblems(problems: readonly Problem[], prefix = '  ✕ '): string {
  return problems.map((problem) => prefix + formatProblem(problem)).join('\n');
}

/** Status, the headers the contract cares about, and the body: redacted and truncated. */
export function formatResponse(view: ResponseView): string {
  const headers = redactHeaders(headerRecord(view.headers));
  const shown = ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'dpop-nonce']
    .filter((name) => headers[name] !== undefined)
    .map((name) => `  ${name}: ${redactText(String(headers[name]))}`);
  const lines = [`Received status ${view.status}`, shown.length > 0 ? `Headers:\n${shown.join('\n')}` : 'Headers: (none of content-type, cache-control, pragma, www-authenticate, dpop-nonce)'];
  lines.push(`Body: ${formatBody(view)}`);
  return lines.join('\n');
}

function formatBody(view: ResponseView): string {
  if (view.bodyKind === 'empty') return '(empty)';
  if (view.bodyKind === 'text') {
    const text = redactText(view.rawBody ?? String(view.body));
    const cut = text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS)}… (${text.length} chars)` : text;
    return `(not JSON)\n${indent(cut)}`;
  }
  const json = safeStringify(redactBody(view.body), 2);
  return `\n${indent(json.length > MAX_BODY_CHARS ? `${json.slice(0, MAX_BODY_CHARS)}… (${json.length} chars)` : json)}`;
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
  const text = typeof value === 'string' ? JSON.stringify(redactText(value)) : redactText(safeStringify(redactBody(value)));
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

function safeStringify(value: unknown, space?: number): string {
  try {
    const text = JSON.stringify(value, (_key, member: unknown) => (typeof member === 'bigint' ? `${member}n` : member), space);
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
