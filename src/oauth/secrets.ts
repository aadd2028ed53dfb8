/**
 * The secrets one run (or one request) has handled, so nothing a user reads
 * carries one: the harness, the suite, its reporters and the Jest entry all
 * scrub through a `SecretSet`.
 *
 * A secret of MIN_SCRUBBED_LENGTH characters or more is searched for in
 * every form a server might echo it (src/oauth/echo-forms.ts), computed
 * once when it is added; the search itself is one indexed pass per text
 * (src/oauth/scrubber.ts), no secret ever built into a regular expression.
 * A shorter secret would match ordinary words: it is kept (`isSecret`,
 * `shortSecrets`, iteration) so the places that carried it can be redacted
 * by position, and never searched for.
 */
import { formUrlDecode } from './client-auth';
import { isPlainObject } from './guards';
import { isSecretParameter, PRIVATE_JWK_MEMBERS } from './protocol';
import { MIN_SCRUBBED_LENGTH, SCRUBBER, Scrubber, type HasScrubber } from './scrubber';

export { MIN_SCRUBBED_LENGTH };

export class SecretSet implements Iterable<string>, HasScrubber {
  /** Every secret as added, short ones included, in the order added. */
  private readonly values = new Set<string>();
  private readonly short = new Set<string>();
  private readonly scrubber = new Scrubber();

  constructor(secrets: Iterable<string | undefined> = []) {
    if (secrets instanceof SecretSet) this.merge(secrets);
    else for (const secret of secrets) this.add(secret);
  }

  /**
   * Adds a secret. From MIN_SCRUBBED_LENGTH characters on, scrubs search
   * for it as sent and as a server may echo it: form- and percent-encoded,
   * JSON- and HTML-escaped, base64/base64url (also inside a longer base64
   * text) and hex of its bytes, and as latin1 mojibake. A shorter one is
   * only remembered, for redaction by position (`isSecret`).
   */
  add(value: string | undefined): this {
    if (typeof value !== 'string' || value.length === 0 || this.values.has(value)) return this;
    this.values.add(value);
    if (value.length < MIN_SCRUBBED_LENGTH) this.short.add(value);
    this.scrubber.add(value);
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

  /** Adds every secret of another set (another SecretSet's forms are taken over, not computed again). */
  merge(other: Iterable<string>): this {
    if (!(other instanceof SecretSet)) {
      for (const value of other) this.add(value);
      return this;
    }
    for (const value of other.values) this.values.add(value);
    for (const value of other.short) this.short.add(value);
    this.scrubber.merge(other.scrubber);
    return this;
  }

  /**
   * Whether `value` must not be shown where it stands: a secret as added
   * (of any length, short ones included) or exactly one of the forms scrubs
   * search for. For redaction by position: a header value or form field
   * the package sent.
   */
  isSecret(value: string): boolean {
    return this.values.has(value) || this.scrubber.hasForm(value);
  }

  /** Same as `isSecret`. */
  has(value: string): boolean {
    return this.isSecret(value);
  }

  /** The secrets shorter than MIN_SCRUBBED_LENGTH: never searched for in text, to be redacted where they were sent. */
  get shortSecrets(): ReadonlySet<string> {
    return this.short;
  }

  /** How many secrets were added (short ones included). */
  get size(): number {
    return this.values.size;
  }

  /** The secrets as added, short ones included (scrubText and scrubValue skip those and search for the forms of the others). */
  [Symbol.iterator](): Iterator<string> {
    return this.values[Symbol.iterator]();
  }

  [SCRUBBER](): Scrubber {
    return this.scrubber;
  }

  /** `text` with every occurrence of every secret, in every echo form, replaced by a redaction marker (overlapping ones by one). */
  scrub(text: string): string {
    return this.scrubber.scrub(text);
  }

  /** A deep copy of a JSON-like value with every string scrubbed, member names included. */
  scrubValue(value: unknown): unknown {
    return this.scrubber.scrubValue(value);
  }
}
