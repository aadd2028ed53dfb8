/**
 * The secrets one run (or one request) has handled, in every form a server
 * might echo them, so nothing a user reads carries one: the harness, the
 * suite, its reporters and the Jest entry all scrub through a `SecretSet`.
 *
 * Scrubbing is split/join per secret, longest first: no secret is ever
 * built into a regular expression (a 40 KB token would exceed V8's limit,
 * and the error's message would quote the pattern).
 */
import { scrubText, scrubValue } from './redact';
import { formUrlDecode, formUrlEncode } from './client-auth';
import { isPlainObject } from './guards';
import { isSecretParameter, PRIVATE_JWK_MEMBERS } from './protocol';

/** Values shorter than this are not searched for in free text: they would match ordinary words. */
export const MIN_SCRUBBED_LENGTH = 4;

export class SecretSet implements Iterable<string> {
  private readonly values = new Set<string>();

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const secret of secrets) this.add(secret);
  }

  /**
   * Adds a secret as sent and as a server may echo it: form-urlencoded
   * (RFC 6749 Appendix B) and percent-encoded.
   */
  add(value: string | undefined): this {
    if (typeof value !== 'string' || value.length < MIN_SCRUBBED_LENGTH) return this;
    for (const form of [value, formUrlEncode(value), encodeURIComponent(value)]) this.values.add(form);
    return this;
  }

  /**
   * Adds what an `Authorization` (or `Proxy-Authorization`) value carries:
   * the credential after the scheme and, for Basic, the decoded
   * `id:secret` pair and the secret alone, raw and form-decoded (RFC 6749
   * §2.3.1 form-encodes it before base64, RFC 7617).
   */
  addAuthorization(value: string): this {
    const match = /^(\S+)\s+(.+?)\s*$/s.exec(value);
    if (!match) return this.add(value);
    const [, scheme = '', credentials = ''] = match;
    this.add(value).add(credentials);
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon !== -1) {
        const secret = decoded.slice(colon + 1);
        this.add(decoded).add(secret).add(formUrlDecode(secret));
      }
    }
    return this;
  }

  /**
   * Adds the credentials a response body carries: its tokens (RFC 6749 §5.1)
   * and any other secret member a server echoes (a client secret, an
   * assertion: src/oauth/protocol.ts `SECRET_PARAMETERS`).
   */
  addResponse(body: unknown): this {
    if (!isPlainObject(body)) return this;
    for (const [member, value] of Object.entries(body)) if (isSecretParameter(member) && typeof value === 'string') this.add(value);
    return this;
  }

  /** Adds the private members of a JWK (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2). */
  addJwk(jwk: unknown): this {
    if (!isPlainObject(jwk)) return this;
    for (const member of PRIVATE_JWK_MEMBERS) {
      const value = jwk[member];
      if (typeof value === 'string') this.add(value);
      // RSA multi-prime `oth` holds objects of private members.
      if (Array.isArray(value)) for (const prime of value) this.addJwk(prime);
    }
    return this;
  }

  /**
   * Adds the secret parameters of a request body: a form, a JSON text, or
   * an object a client library will serialise.
   */
  addParameters(body: unknown): this {
    if (typeof body === 'string') {
      if (/^\s*\{/.test(body)) {
        try {
          return this.addParameters(JSON.parse(body) as unknown);
        } catch {
          // not JSON after all: read it as a form
        }
      }
      for (const [name, value] of new URLSearchParams(body)) if (isSecretParameter(name)) this.add(value);
      return this;
    }
    if (isPlainObject(body)) for (const [name, value] of Object.entries(body)) if (isSecretParameter(name) && typeof value === 'string') this.add(value);
    return this;
  }

  /** Adds every secret of another set. */
  merge(other: Iterable<string>): this {
    for (const value of other) this.add(value);
    return this;
  }

  has(value: string): boolean {
    return this.values.has(value);
  }

  get size(): number {
    return this.values.size;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.values[Symbol.iterator]();
  }

  /** Every occurrence of every secret in `text` replaced by its redaction marker, the longest secrets first. */
  scrub(text: string): string {
    return scrubText(text, this.values);
  }

  /** A deep copy of a JSON-like value with every string scrubbed, member names included. */
  scrubValue(value: unknown): unknown {
    return scrubValue(value, this.values);
  }
}
