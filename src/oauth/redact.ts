/**
 * Redaction of secrets in everything a user may see: failure messages,
 * thrown errors, logs and reports. A redacted value keeps a short prefix and
 * its length so two values can still be told apart, never the value itself.
 */

import { formUrlDecode } from './client-auth';
import { SECRET_HEADERS as SECRET_HEADER_LIST, SECRET_PARAMETERS } from './protocol';
import { marker, MAX_REDACT_DEPTH, PREFIX_LENGTH, SHORT_SECRET_LENGTH } from './marker';

type ScrubberModule = typeof import('./scrubber');
let scrubberModule: ScrubberModule | undefined;

/** The scrubber, loaded on the first scrub: redaction by position (a matcher's path) never needs its echo forms. */
function scrubberFor(secrets: Iterable<string | undefined>): ReturnType<ScrubberModule['scrubberFor']> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  scrubberModule ??= require('./scrubber') as ScrubberModule;
  return scrubberModule.scrubberFor(secrets);
}

export { MAX_REDACT_DEPTH };

/** Body members and parameters that carry secrets (src/oauth/protocol.ts). */
export const SECRET_BODY_MEMBERS: ReadonlySet<string> = new Set(Object.keys(SECRET_PARAMETERS));

/** Header fields that carry secrets (src/oauth/protocol.ts). */
export const SECRET_HEADERS: ReadonlySet<string> = new Set(SECRET_HEADER_LIST);

/** `[redacted "eyJh…", 812 chars]`: a short prefix (none for a value of 12 characters or fewer) and the length, never the value. */
export function redactValue(value: string): string {
  return marker(value.length, value.length > SHORT_SECRET_LENGTH ? value.slice(0, PREFIX_LENGTH) : undefined);
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
 * Replaces every occurrence of the given secrets in free text, in each form
 * a server may echo them (src/oauth/echo-forms.ts: form- and
 * percent-encoded, JSON- and HTML-escaped, base64, base64url and hex, also
 * inside a longer base64 text, and as mojibake), by redaction markers.
 * Overlapping occurrences become one marker, so a secret that holds another
 * is replaced whole. No secret is ever built into a regular expression. Use
 * it as the last line of defence on text that may echo a request (an error
 * page, a server's error_description). Values under 4 characters
 * (MIN_SCRUBBED_LENGTH) are left alone: they would match ordinary words, so
 * they are redacted where they were sent, never searched for. A marker
 * quotes no prefix of a secret of 12 characters or fewer, in any form.
 */
export function scrubText(text: string, secrets: Iterable<string | undefined>): string {
  return scrubberFor(secrets).scrub(text);
}

/**
 * A deep copy of a JSON-like value with every occurrence of the given
 * secrets replaced in its strings and its member names (see `scrubText`).
 */
export function scrubValue(value: unknown, secrets: Iterable<string | undefined>): unknown {
  return scrubberFor(secrets).scrubValue(value);
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
