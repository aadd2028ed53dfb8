/**
 * Keeping secrets out of what the harness shows. supertest's `.expect()`
 * failures quote response bodies and headers, and a server may echo the
 * request (its client secret, its `Authorization` header, its DPoP proof) or
 * return tokens; every such failure passes through `scrubAssertionError`.
 */
import { SECRET_BODY_MEMBERS, redactBody, redactText, scrubText, scrubValue } from '../redact';
import { formUrlEncode } from './basic';
import { isPlainObject } from './errors';

/**
 * The forms in which a secret may come back: verbatim, form- or
 * percent-encoded, and for a Basic header its credentials (base64, decoded,
 * and the decoded secret alone, RFC 6749 §2.3.1).
 */
export function echoForms(secrets: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    forms.add(secret).add(formUrlEncode(secret)).add(encodeURIComponent(secret));
    const credentials = /^basic\s+(\S+)\s*$/i.exec(secret)?.[1];
    if (credentials === undefined) continue;
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    forms.add(credentials).add(decoded);
    const colon = decoded.indexOf(':');
    if (colon !== -1) forms.add(decoded.slice(colon + 1)).add(formDecode(decoded.slice(colon + 1)));
  }
  forms.delete('');
  return [...forms];
}

/** Secret members of a response body (tokens, RFC 6749 §5.1), so no failure message quotes them. */
export function responseSecrets(body: unknown): string[] {
  return secretMembers(body);
}

/**
 * Secret parameters of a body sent through `raw()`: a form or JSON string,
 * or an object superagent will serialise.
 */
export function bodySecrets(data: unknown): string[] {
  if (typeof data === 'string') {
    if (/^\s*\{/.test(data)) {
      try {
        return secretMembers(JSON.parse(data));
      } catch {
        // not JSON after all: read it as a form
      }
    }
    return [...new URLSearchParams(data)].filter(([name]) => SECRET_BODY_MEMBERS.has(name)).map(([, value]) => value);
  }
  return secretMembers(data);
}

/**
 * Scrubs an assertion failure in place, keeping its class and identity:
 * anything token-shaped (`redactText`), then the known secrets, in the
 * message, the stack and supertest's `expected` / `actual`.
 */
export function scrubAssertionError<T>(error: T, secrets: readonly string[]): T {
  if (!(error instanceof Error)) return error;
  const clean = (text: string) => scrubText(redactText(text), secrets);
  error.message = clean(error.message);
  if (typeof error.stack === 'string') error.stack = clean(error.stack);
  const quoted = error as Error & { expected?: unknown; actual?: unknown };
  for (const member of ['expected', 'actual'] as const) {
    if (member in quoted) quoted[member] = scrubValue(redactBody(quoted[member]), secrets);
  }
  return error;
}

function secretMembers(value: unknown): string[] {
  if (!isPlainObject(value)) return [];
  return Object.entries(value)
    .filter(([name, member]) => SECRET_BODY_MEMBERS.has(name) && typeof member === 'string')
    .map(([, member]) => member as string);
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
