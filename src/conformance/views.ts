/**
 * What a person sees of an exchange: the request as sent with secrets
 * redacted, the response with secrets scrubbed, a `curl` line that
 * reproduces the request with placeholders, and a response in a few words.
 */
import { formUrlDecode } from '../oauth/client-auth';
import { isPlainObject } from '../oauth/guards';
import { isSecretHeader, SECRET_PARAMETERS } from '../oauth/protocol';
import { SecretSet } from '../oauth/secrets';
import { MAX_JSON_DEPTH, MAX_KEPT_BODY_BYTES } from '../oauth/limits';
import { redactBody, redactForm, redactHeader, redactQuery, redactText, redactValue, scrubText } from '../oauth/redact';
import type { Exchange, WireRequest, WireResponse } from './exchange';
import type { ProxyRoute } from './proxy';
import type { ExchangeView } from './types';

/** What the curl line needs of the run besides the request: its proxy, and the CA file it trusts (`--cacert`). */
export interface CurlContext {
  proxy?: Pick<ProxyRoute, 'url' | 'credentials'> | undefined;
  /** The run's CA file (config caFile), as a path: curl must trust the same private CA to reproduce an https request. */
  caFile?: string | undefined;
}

/** An exchange as a report shows it: redacted, scrubbed of every secret the run has seen; the curl line with the run's proxy and CA file. */
export function viewOf(exchange: Exchange, secrets: SecretSet, context: CurlContext = {}): ExchangeView {
  const view: ExchangeView = { request: redactRequest(exchange.request, secrets), curl: curlCommand(exchange.request, secrets, context.proxy, context.caFile) };
  const res = exchange.response;
  if (res) {
    view.response = {
      status: res.status,
      headers: Object.fromEntries(Object.entries(res.headers).map(([n, v]) => [n, secrets.scrub(n === 'set-cookie' ? '[redacted]' : v)])),
      // A non-JSON body (an error page) may echo credentials in any shape: redactText catches JWTs, header lines and secret pairs.
      body: shownBody(secrets.scrubValue(typeof res.body === 'string' ? redactText(res.body) : redactBody(res.body))),
    };
  }
  return view;
}

/** The most of one response body a report shows: enough to see what came back, bounded however much did. */
export const MAX_SHOWN_BODY_CHARS = 8 * 1024;

/** A body for the report: as it is when small, else its start as text (scrubbed first: a cut never leaves half a secret). */
function shownBody(body: unknown): unknown {
  if (body === undefined) return undefined;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (text.length <= MAX_SHOWN_BODY_CHARS) return body;
  return `${text.slice(0, MAX_SHOWN_BODY_CHARS)}… (cut: ${text.length} characters in all)`;
}

/**
 * `400 invalid_client ("client authentication failed")`: a response in a few
 * words, never a token. `scrub` runs before anything is cut short, so a cut
 * never leaves half a secret behind.
 */
export function summarize(res: WireResponse, scrub: (text: string) => string = (text) => text): string {
  const body = isPlainObject(res.body) ? res.body : undefined;
  if (body && typeof body.access_token === 'string') return `${res.status} with an access token (token_type ${JSON.stringify(body.token_type)})`;
  if (body && typeof body.error === 'string') {
    const description = typeof body.error_description === 'string' ? ` (${JSON.stringify(cut(scrub(body.error_description), 160))})` : '';
    return `${res.status} ${cut(scrub(body.error), 80)}${description}`;
  }
  const size = res.truncated
    ? `, more than ${MAX_KEPT_BODY_BYTES / 1024} KiB (the rest not read)`
    : res.tooDeep
      ? `, JSON nested deeper than ${MAX_JSON_DEPTH} levels (not parsed)`
      : res.text
        ? `, ${res.text.length} bytes`
        : ', empty body';
  // Redirects are not followed: a token request must not be replayed to another URL with its credentials.
  if (res.status >= 300 && res.status < 400 && res.headers.location !== undefined) return `${res.status} redirect to ${scrub(res.headers.location)} (not followed)${size}`;
  return `${res.status} ${res.headers['content-type'] ?? 'no Content-Type'}${size}`;
}

/**
 * The refusal's stated reason (`error_description`), for a report: known
 * secrets scrubbed and secret-shaped text redacted before it is cut to
 * `max` characters, so a cut never leaves half a secret behind.
 */
export function statedReason(exchange: Exchange, scrub: (text: string) => string, max = 120): string | undefined {
  const body = isPlainObject(exchange.response?.body) ? exchange.response.body : undefined;
  const description = body?.error_description;
  if (typeof description !== 'string') return undefined;
  // What this request carried in secret places is scrubbed too, even what the run does not count as a secret (`Bearer abc`, a malformed proof).
  return cut(redactText(requestSecrets(exchange.request).scrub(scrub(description))), max);
}

/** The values a request carries in secret headers and secret parameters (src/oauth/protocol.ts). */
function requestSecrets(request: WireRequest): SecretSet {
  const secrets = new SecretSet();
  for (const [name, value] of request.headers) {
    if (!isSecretHeader(name)) continue;
    if (/authorization$/i.test(name)) secrets.addAuthorization(value);
    else for (const part of [value, ...value.split(',')]) secrets.add(part.trim());
  }
  return secrets.addParameters(request.body);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A request as the report shows it: secret header values and parameters redacted, then known secrets scrubbed. */
export function redactRequest(request: WireRequest, secrets: Iterable<string>): { method: string; url: string; headers: Array<[string, string]>; body?: string } {
  const url = new URL(request.url);
  // Rebuilt by hand: assigning to url.search would percent-encode the redaction markers.
  const shownUrl = url.search ? `${url.origin}${url.pathname}?${redactQuery(url.search.slice(1))}${url.hash}` : url.href;
  const contentType = request.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '';
  let body = request.body;
  if (body !== undefined) {
    if (/json/i.test(contentType)) {
      try {
        body = JSON.stringify(redactBody(JSON.parse(body)));
      } catch {
        // not JSON after all: scrubbed below
      }
    } else if (/x-www-form-urlencoded/i.test(contentType) || contentType === '') body = decodeForm(redactForm(body));
  }
  // A registered secret sent as a whole header value (a shaped gateway key) is redacted where it was sent, whatever
  // its length: a value of 1-3 characters is too short to be searched for in text (src/oauth/secrets.ts).
  const known = new Set(secrets);
  return {
    method: request.method,
    url: scrubText(shownUrl, secrets),
    headers: request.headers.map(([n, v]) => [n, known.has(v) ? redactValue(v) : scrubText(redactHeader(n, v), secrets)]),
    body: body === undefined ? undefined : scrubText(body, secrets),
  };
}

/** Readable form for a report: `a=b&c=d` with the brackets of redaction markers left unescaped. */
function decodeForm(form: string): string {
  return form
    .split('&')
    .map((pair) => pair.split('=').map(formUrlDecode).join('='))
    .join('&');
}

/** The placeholder a curl line shows for each secret parameter (src/oauth/protocol.ts). */
const PLACEHOLDERS: Readonly<Record<string, string>> = SECRET_PARAMETERS;

/**
 * A `curl` command that reproduces the request, with every secret replaced
 * by a placeholder (`<CLIENT_SECRET>`, `<DPOP_PROOF>`, ...): the user fills
 * them in; the report never carries the values.
 *
 * Through a proxy: `--proxy` with its URL without credentials,
 * `--proxytunnel` (the suite tunnels http targets too; curl tunnels https
 * ones anyway), and `--proxy-user` with placeholders when it needs them.
 */
const CLIENT_CERTIFICATE_PLACEHOLDER = '<CLIENT_CERTIFICATE_FILE>';
const CLIENT_KEY_PLACEHOLDER = '<CLIENT_KEY_FILE>';
const MADE_CERTIFICATE_PLACEHOLDER = '<A_CERTIFICATE_MADE_BY_THE_RUN>';
const MADE_KEY_PLACEHOLDER = '<ITS_KEY>';

export function curlCommand(request: WireRequest, secrets: Iterable<string>, proxy?: Pick<ProxyRoute, 'url' | 'credentials'>, caFile?: string): string {
  const known = new Set(secrets);
  const url = new URL(request.url);
  // Spliced by hand: assigning url.search would percent-encode the placeholders' angle brackets.
  const target = url.search ? `${url.origin}${url.pathname}?${placeholderForm(url.search.slice(1))}` : url.href;
  const parts = ['curl', '-i'];
  if (proxy !== undefined) {
    parts.push('--proxy', quote(proxy.url), '--proxytunnel');
    if (proxy.credentials !== undefined) parts.push('--proxy-user', quote(PROXY_USER_PLACEHOLDER));
  }
  // A private CA the run trusted (--ca-file): curl trusts it too, or an https request would not reproduce at all.
  if (caFile !== undefined && url.protocol === 'https:') parts.push('--cacert', quote(caFile));
  parts.push('-X', request.method, quote(target));
  // Mutual TLS: the certificate and its key are files of the user's, named by placeholders (the key is a secret).
  if (request.clientCertificate === 'configured') parts.push('--cert', quote(CLIENT_CERTIFICATE_PLACEHOLDER), '--key', quote(CLIENT_KEY_PLACEHOLDER));
  // Not the user's own certificate: one the run made (same subject, another CA or key); theirs would not reproduce the refusal.
  if (request.clientCertificate === 'made-for-run') parts.push('--cert', quote(MADE_CERTIFICATE_PLACEHOLDER), '--key', quote(MADE_KEY_PLACEHOLDER));
  let basicNote = false;
  // curl sends one -u: a request with several Authorization fields keeps them as -H.
  const single = request.headers.filter(([n]) => n.toLowerCase() === 'authorization').length === 1;
  for (const [name, value] of request.headers) {
    const user = single && name.toLowerCase() === 'authorization' ? curlUser(value) : undefined;
    if (user !== undefined) parts.push('-u', quote(user));
    else {
      // A header whose whole value is a known secret (a shaped gateway key) is a placeholder to fill in.
      const shown = known.has(value) && !PLACEHOLDER_HEADERS.has(name.toLowerCase()) ? HEADER_PLACEHOLDER : placeholderHeader(name, value);
      basicNote ||= shown === BASIC_PLACEHOLDER;
      parts.push('-H', quote(`${name}: ${shown}`));
    }
  }
  if (request.body !== undefined) {
    const contentType = request.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1];
    // curl adds a form Content-Type to --data-raw unless told not to: `-H 'Content-Type:'` sends none, as the check did.
    if (contentType === undefined) parts.push('-H', quote('Content-Type:'));
    let body = request.body;
    if (/json/i.test(contentType ?? '')) {
      try {
        const parsed = JSON.parse(body) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          body = JSON.stringify(Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, k in PLACEHOLDERS ? PLACEHOLDERS[k] : v])));
        }
      } catch {
        // sent as is (a malformed body is what the check sends)
      }
    } else if (body.includes('=')) body = placeholderForm(body);
    parts.push('--data-raw', quote(body));
  }
  const command = scrubText(parts.join(' '), secrets);
  // Fixed text, added after the scrub so a secret that happens to be a common word cannot mangle it.
  return basicNote ? `${command} ${BASIC_NOTE}` : command;
}

const HEADER_PLACEHOLDER = '<HEADER_VALUE>';
const PROXY_USER_PLACEHOLDER = '<PROXY_USER>:<PROXY_PASSWORD>';
/** Fields with a placeholder of their own (placeholderHeader). */
const PLACEHOLDER_HEADERS = new Set(['authorization', 'dpop', 'cookie']);
const BASIC_PLACEHOLDER = 'Basic <BASE64(CLIENT_ID:CLIENT_SECRET)>';
/** Said once, after the command (a shell comment), when `-u` could not be used. */
const BASIC_NOTE = '# BASE64 of the form-urlencoded id ":" form-urlencoded secret (RFC 6749 §2.3.1); curl -u would not encode them';

/**
 * `-u 'client-id:<CLIENT_SECRET>'` for a Basic credential whose id and
 * secret travelled as they are: RFC 6749 §2.3.1 form-urlencodes both before
 * base64, which `curl -u` does not, so a sent part carrying `%` or `+` (or
 * anything outside the characters form-encoding leaves alone) keeps the
 * header form. The id is not a secret and is shown; the secret never is.
 */
function curlUser(value: string): string | undefined {
  const [, scheme = '', credentials = ''] = /^(\S+)\s+(\S+)$/.exec(value) ?? [];
  if (scheme.toLowerCase() !== 'basic' || !isBasicCredential(credentials)) return undefined;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const id = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  if (!FORM_SAFE.test(id) || !FORM_SAFE.test(secret)) return undefined;
  // A canonical encoding only: curl re-encodes, so a padded or otherwise odd base64 would not be reproduced.
  if (Buffer.from(decoded, 'utf8').toString('base64') !== credentials) return undefined;
  return `${id}:<CLIENT_SECRET>`;
}

/** What application/x-www-form-urlencoding leaves unchanged (WHATWG URL §5.2): nothing to encode, nothing to decode. */
const FORM_SAFE = /^[A-Za-z0-9*._-]+$/;

function placeholderHeader(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'authorization') {
    const [, scheme = '', credentials = ''] = /^(\S+)\s*(.*)$/s.exec(value) ?? [];
    if (scheme.toLowerCase() !== 'basic') return `${scheme} <CREDENTIALS>`;
    // A value that is not base64 of "id:secret" carries no credential: keep it, so the curl reproduces the malformed header.
    return isBasicCredential(credentials) ? BASIC_PLACEHOLDER : value;
  }
  // A proof is a JWS (it has dots); a dot-less value is a deliberate non-proof, shown as sent.
  if (lower === 'dpop') return value.includes('.') ? '<DPOP_PROOF>' : value;
  if (lower === 'cookie') return '<COOKIE>';
  return value;
}

function isBasicCredential(credentials: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(credentials) && Buffer.from(credentials, 'base64').toString('utf8').includes(':');
}

function placeholderForm(form: string): string {
  return form
    .split('&')
    .map((pair) => {
      const [key = '', ...rest] = pair.split('=');
      const name = formUrlDecode(key);
      return name in PLACEHOLDERS ? `${key}=${PLACEHOLDERS[name]}` : [key, ...rest].join('=');
    })
    .join('&');
}


/** POSIX shell single quotes: nothing inside is expanded. */
function quote(value: string): string {
  // Each ' closes the quoting, adds an escaped quote, and reopens it.
  const escaped = value.split("'").join("'\\''");
  return `'${escaped}'`;
}
