/**
 * Redaction of secrets in everything a user may see: failure messages,
 * thrown errors, logs and reports. A redacted value keeps a short prefix and
 * its length so two values can still be told apart, never the value itself.
 */

import { formUrlDecode } from './client-auth';
import { SECRET_HEADERS as SECRET_HEADER_LIST, SECRET_PARAMETERS } from './protocol';

/** Body members and parameters that carry secrets (src/oauth/protocol.ts). */
export const SECRET_BODY_MEMBERS: ReadonlySet<string> = new Set(Object.keys(SECRET_PARAMETERS));

/** Header fields that carry secrets (src/oauth/protocol.ts). */
export const SECRET_HEADERS: ReadonlySet<string> = new Set(SECRET_HEADER_LIST);

const PREFIX_LENGTH = 4;

/** `"eyJh…" (812 chars, redacted)`: a short prefix and the length, never the value. */
export function redactValue(value: string): string {
  const prefix = value.length > PREFIX_LENGTH * 3 ? value.slice(0, PREFIX_LENGTH) : '';
  return `[redacted${prefix ? ` "${prefix}…"` : ''}, ${value.length} ${value.length === 1 ? 'char' : 'chars'}]`;
}

/** Redacts an `Authorization` header value but keeps its scheme (`Basic [redacted, 20 chars]`). */
export function redactAuthorization(value: string): string {
  const match = /^(\S+)\s+(.*)$/s.exec(value);
  return match ? `${match[1]} ${redactValue(match[2]!)}` : redactValue(value);
}

/** Redacts one header's value by name (case-insensitive). */
export function redactHeader(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') return redactAuthorization(value);
  return SECRET_HEADERS.has(lower) ? redactValue(value) : value;
}

/** A copy of a header map with secret values redacted. */
export function redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') out[name] = redactHeader(name, value);
    else if (Array.isArray(value)) out[name] = value.map((v) => (typeof v === 'string' ? redactHeader(name, v) : v));
    else out[name] = value;
  }
  return out;
}

/**
 * A deep copy of a JSON-like value with secret members redacted at any depth.
 * Strings that look like compact JWS/JWE are redacted wherever they stand:
 * an access token echoed in an unexpected member is still a token.
 */
export function redactBody(value: unknown, seen = new WeakSet<object>(), depth = 0): unknown {
  // Free text (an error_description, an echoed form) may quote a secret pair: redactText catches those.
  if (typeof value === 'string') return looksLikeJwt(value) ? redactValue(value) : redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  // A hostile body nested thousands deep (JSON.parse accepts it) must not overflow the stack.
  if (depth >= MAX_REDACT_DEPTH) return '[nested too deep]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactBody(item, seen, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    out[key] = SECRET_BODY_MEMBERS.has(key) && typeof member === 'string' ? redactFound(member) : redactBody(member, seen, depth + 1);
  }
  return out;
}

/** How deep redactBody copies; deeper values are replaced by a marker (they are shown, never judged). */
export const MAX_REDACT_DEPTH = 64;

/** Redacts secret parameters in a form-urlencoded string (request bodies, query strings). */
export function redactForm(form: string): string {
  const params = new URLSearchParams(form);
  const out = new URLSearchParams();
  for (const [key, value] of params) {
    out.append(key, SECRET_BODY_MEMBERS.has(key) || looksLikeJwt(value) ? redactValue(value) : value);
  }
  return out.toString();
}

/**
 * A query string or form for people to read: secret parameters (by name or
 * JWT shape) become redaction markers written as is, not percent-encoded, and
 * every other pair is kept exactly as it was written.
 */
export function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals === -1) return pair;
      const value = formUrlDecode(pair.slice(equals + 1));
      return SECRET_BODY_MEMBERS.has(formUrlDecode(pair.slice(0, equals))) || looksLikeJwt(value) ? `${pair.slice(0, equals + 1)}${redactValue(value)}` : pair;
    })
    .join('&');
}


/**
 * Replaces every occurrence of the given secret strings in free text, the
 * longest first (so a secret that holds another is replaced whole), by
 * split/join: no secret is ever built into a regular expression. Use it as
 * the last line of defence on text that may echo a request (an error page,
 * a server's error_description). Values under 4 characters are left alone:
 * they would match ordinary words.
 */
export function scrubText(text: string, secrets: Iterable<string | undefined>): string {
  return scrubOrdered(text, longestFirst(secrets));
}

/**
 * Each secret is first replaced by a placeholder (NUL, its index, NUL) and
 * the markers go in at the end, so a shorter secret is never searched for
 * inside the marker of a longer one (a marker quotes a 4-character prefix).
 */
function scrubOrdered(text: string, ordered: readonly string[]): string {
  let out = text;
  const markers: string[] = [];
  for (const secret of ordered) {
    if (!out.includes(secret)) continue;
    if (secret.includes('\u0000')) out = out.split(secret).join(redactValue(secret));
    else {
      out = out.split(secret).join(`\u0000${markers.length}\u0000`);
      markers.push(redactValue(secret));
    }
  }
  return markers.length === 0 ? out : out.replace(/\u0000(\d+)\u0000/g, (whole, index: string) => markers[Number(index)] ?? whole);
}

/**
 * A deep copy of a JSON-like value with every occurrence of the given
 * secrets replaced in its strings and its member names (see `scrubText`).
 */
export function scrubValue(value: unknown, secrets: Iterable<string | undefined>): unknown {
  const ordered = longestFirst(secrets);
  const walk = (member: unknown, depth: number): unknown => {
    if (typeof member === 'string') return scrubOrdered(member, ordered);
    if (member === null || typeof member !== 'object') return member;
    if (depth >= MAX_REDACT_DEPTH) return '[nested too deep]';
    if (Array.isArray(member)) return member.map((item) => walk(item, depth + 1));
    return Object.fromEntries(Object.entries(member).map(([key, item]) => [scrubOrdered(key, ordered), walk(item, depth + 1)]));
  };
  return walk(value, 0);
}

function longestFirst(secrets: Iterable<string | undefined>): string[] {
  const list = [...new Set([...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 4))];
  return list.sort((a, b) => b.length - a.length);
}

// A compact JWS/JWE (RFC 7515 §7.1, RFC 7516 §7.1) starts with the base64url of a JSON
// object's "{", i.e. "ey": requiring it keeps dotted host names (auth.example.com) readable.
const JWT_SHAPE = /^ey[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?$/;

export function looksLikeJwt(value: string): boolean {
  return value.length >= 20 && JWT_SHAPE.test(value);
}

const JWT_IN_TEXT = /(?<![A-Za-z0-9_-])ey[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;
const SECRET_MEMBER_NAMES = [...SECRET_BODY_MEMBERS].join('|');
// A redactValue marker, also inside JSON text (quotes escaped). Text that already carries one is
// left alone, so redacting twice changes nothing; it counts only when nothing token-like follows it.
const MARKER = '\\[redacted(?: \\\\*"[^"\\\\]{1,4}…\\\\*")?, \\d+ chars\\]';
const MARKER_ALONE = `${MARKER}(?![A-Za-z0-9._~+/=%-])`;
// Something made to look like a marker, with more after it: redacted whole, up to the next delimiter.
const MARKER_LOOKALIKE = '\\[redacted[^\\]]{0,48}\\]'; // bounded: a marker is short, and a long text must stay linear
const WHOLE_MARKER = new RegExp(`^${MARKER}$`);
// `"access_token": "..."` in JSON-ish text (also truncated or malformed JSON).
const SECRET_JSON_PAIR = new RegExp(`("(?:${SECRET_MEMBER_NAMES})"\\s*:\\s*")(${MARKER}(?=")|(?:[^"\\\\]|\\\\.)*)`, 'g');
// The same pair inside a JSON string (JSON text quoted in JSON, escaped once or more): the value
// ends at the first quote or backslash, as a token's or secret's characters carry neither. Matches
// start only at the first backslash of a run, so a long run of them stays linear.
const SECRET_ESCAPED_JSON_PAIR = new RegExp(`(?<!\\\\)(\\\\+"(?:${SECRET_MEMBER_NAMES})\\\\+"\\s*:\\s*\\\\+")(${MARKER}(?=\\\\)|[^"\\\\]*)`, 'g');
// `access_token=...` in form-encoded or query-string text.
const SECRET_FORM_PAIR = new RegExp(`(\\b(?:${SECRET_MEMBER_NAMES})=)(${MARKER_ALONE}|${MARKER_LOOKALIKE}[^&\\s"'<>]*|[^&\\s"'<>]*)`, 'g');
// `Authorization: Basic ...` or `DPoP: ...` header lines echoed in a body.
// Longest names first, so `proxy-authorization` is not read as `authorization`.
const SECRET_HEADER_NAMES = [...SECRET_HEADER_LIST].sort((a, b) => b.length - a.length).join('|');
const SECRET_HEADER_LINE = new RegExp(`\\b(${SECRET_HEADER_NAMES})([ \\t]*:[ \\t]*)(?:([A-Za-z][A-Za-z0-9_-]*)[ \\t]+(?=\\S))?(${MARKER_ALONE}|${MARKER_LOOKALIKE}[^\\s,;"'<>]*|[^\\s,;"'<>]+)`, 'gi');
// `Basic dXNlcjpwYXNz` or `Bearer 2YotnFZFEjr1zCsicMWpAA` quoted anywhere in text (an echoed
// header value without its name). RFC 9110 §11.4: credentials = auth-scheme [ 1*SP token68 ].
// Only token68 values that hold a digit or one of + / = count, so prose such as
// "Basic authentication failed" stays readable.
const SCHEME_CREDENTIALS = /\b(Basic|Bearer|DPoP)( +)([A-Za-z0-9._~+/-]{8,}=*)(?![A-Za-z0-9._~+/=-])/gi;
const TOKEN68_SECRET_HINT = /[0-9+/=]/;

/** Whether a value is already a redaction marker (redactValue's output). */
function isRedacted(value: string): boolean {
  return WHOLE_MARKER.test(value);
}

/** The marker for a secret found in text; an empty value or an existing marker stays as it is. */
function redactFound(secret: string): string {
  return secret.length === 0 || isRedacted(secret) ? secret : redactValue(secret);
}

/**
 * Redacts secrets inside free text whose structure is unknown: a non-JSON
 * error page, a truncated JSON body. Catches JWT-shaped substrings and the
 * values of secret members written as JSON pairs or form pairs.
 */
export function redactText(text: string): string {
  return text
    .replace(SECRET_HEADER_LINE, (_, name: string, colon: string, scheme: string | undefined, secret: string) => `${name}${colon}${scheme ? `${scheme} ` : ''}${redactFound(secret)}`)
    .replace(SECRET_JSON_PAIR, (_, head: string, secret: string) => `${head}${redactFound(secret)}`)
    .replace(SECRET_ESCAPED_JSON_PAIR, (_, head: string, secret: string) => `${head}${redactFound(secret)}`)
    .replace(SECRET_FORM_PAIR, (_, head: string, secret: string) => `${head}${redactFound(secret)}`)
    .replace(JWT_IN_TEXT, (token) => (token.length >= 20 ? redactValue(token) : token))
    .replace(SCHEME_CREDENTIALS, (whole: string, scheme: string, space: string, credentials: string, offset: number, all: string) => {
      // `realm="OAuth"` is an auth-param (name=quoted-string), not token68.
      const authParam = credentials.endsWith('=') && all[offset + whole.length] === '"';
      return !authParam && TOKEN68_SECRET_HINT.test(credentials) ? `${scheme}${space}${redactValue(credentials)}` : whole;
    });
}
