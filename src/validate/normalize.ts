/**
 * Turns whatever an HTTP client returned into one shape: status, headers and
 * body. Accepted: supertest/superagent responses, axios responses, plain
 * `{ status, headers, body }` objects (body parsed, or a JSON string/Buffer),
 * WHATWG fetch `Response` objects through the async `fromFetch`, and the
 * error superagent rejects with when a body labelled JSON does not parse
 * (it carries status, headers and `rawResponse`).
 * Anything else is described in a problem, never a TypeError.
 */
import { headerRecord, headerValue, isHeaderSource, isJsonMediaType, type HeaderSource } from './headers';
import { RULES, RULE_SOURCES, type Problem } from './problem';
import { AttestoError } from '../errors';
import { MAX_RESPONSE_BYTES } from '../oauth/limits';

/** A value that is not a response any supported HTTP client produces; `problem` says what it is instead. */
export class UnsupportedResponseError extends AttestoError {
  static override code = 'ERR_UNSUPPORTED_RESPONSE';

  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

/** `json`: `body` holds parsed JSON; `text`: `body` is the raw text, not JSON; `empty`: no payload. */
export type BodyKind = 'json' | 'text' | 'empty';

/** A token endpoint response in normalized form. */
export interface TokenEndpointResponse {
  status: number;
  /** Lower-case names; repeated fields joined with ", " (RFC 9110 §5.3). */
  headers: Record<string, string>;
  /** Parsed JSON when the payload is JSON, the raw text when it is not, `undefined` when empty. */
  body: unknown;
  bodyKind: BodyKind;
  /** The payload as received, when the client kept it as text. */
  rawBody?: string;
}

/** Alias: the name the shared API uses. */
export type NormalizedResponse = TokenEndpointResponse;

/** The validator's internal view: like TokenEndpointResponse, but headers are read in place (no copy). */
export interface ResponseView {
  status: number;
  headers: HeaderSource | undefined;
  body: unknown;
  bodyKind: BodyKind;
  rawBody?: string;
}

/** Thrown by normalizeResponse/fromFetch for values that are not responses; `problem` says why. */

/** Normalizes a response from supertest, axios or a plain object; throws UnsupportedResponseError otherwise. */
export function normalizeResponse(response: unknown): TokenEndpointResponse {
  const view = readResponse(response);
  if (!('bodyKind' in view)) throw new UnsupportedResponseError(view);
  const out: TokenEndpointResponse = {
    status: view.status,
    headers: headerRecord(view.headers),
    body: view.body,
    bodyKind: view.bodyKind,
  };
  if (view.rawBody !== undefined) out.rawBody = view.rawBody;
  return out;
}

/** Reads a WHATWG fetch `Response` (without consuming it: the body is read from a clone). */
export async function fromFetch(response: unknown): Promise<TokenEndpointResponse> {
  if (!isFetchResponse(response)) {
    throw new UnsupportedResponseError(
      shapeProblem(`fromFetch expects a fetch Response, received ${describe(response)}`, describe(response)),
    );
  }
  if (response.bodyUsed) {
    throw new UnsupportedResponseError(
      shapeProblem('the fetch Response body was already read: validate the Response before calling .json() or .text()', 'a used Response'),
    );
  }
  let text: string;
  try {
    text = await boundedText(response.clone());
  } catch (error) {
    if (error instanceof UnsupportedResponseError) throw error;
    const cause = error instanceof Error && /^\w{1,60}$/.test(error.name) ? error.name : 'unknown error';
    throw new UnsupportedResponseError(shapeProblem(`reading the fetch Response body failed (${cause})`, 'an unreadable Response'));
  }
  const headers = headerRecord(response.headers as HeaderSource);
  return parseInto<TokenEndpointResponse>({ status: response.status, headers, body: undefined, bodyKind: 'empty' }, text);
}

/**
 * How long a fetch Response body may take to end once validation reads it.
 * The response has arrived (its status and headers are there); a body that
 * never ends (a hostile or broken stream) must fail the assertion with a
 * clear message well inside a test's timeout, not hang every matcher.
 */
export const FETCH_BODY_TIMEOUT_MS = 2000;

/** The body as text, at most MAX_RESPONSE_BYTES and within FETCH_BODY_TIMEOUT_MS; a body that breaks either is a problem. */
async function boundedText(response: FetchResponseLike): Promise<string> {
  const stream = (response as { body?: { getReader?: () => ReadableStreamDefaultReader<Uint8Array> } | null }).body;
  if (!stream || typeof stream.getReader !== 'function') return withDeadline(response.text(), () => undefined);
  const reader = stream.getReader();
  const read = (async () => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_RESPONSE_BYTES) {
        void reader.cancel().catch(() => undefined);
        throw new UnsupportedResponseError(shapeProblem(`the fetch Response body is larger than ${MAX_RESPONSE_BYTES} bytes: not a token endpoint answer`, 'an oversized Response'));
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  })();
  return withDeadline(read, () => void reader.cancel().catch(() => undefined));
}

function withDeadline<T>(work: Promise<T>, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new UnsupportedResponseError(shapeProblem(`the fetch Response body did not end within ${FETCH_BODY_TIMEOUT_MS} ms`, 'a Response whose body does not end')));
    }, FETCH_BODY_TIMEOUT_MS);
    timer.unref?.();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export interface FetchResponseLike {
  status: number;
  bodyUsed: boolean;
  headers: { get(name: string): string | null };
  clone(): FetchResponseLike;
  text(): Promise<string>;
}

/** Duck-typed so Responses from another realm (undici, node-fetch) count too. */
export function isFetchResponse(value: unknown): value is FetchResponseLike {
  if (value === null || typeof value !== 'object') return false;
  try {
    return hasFetchResponseMembers(value as Record<string, unknown>);
  } catch {
    return false; // throwing getters: not a Response; readResponse reports it
  }
}

function hasFetchResponseMembers(candidate: Record<string, unknown>): boolean {
  return (
    typeof candidate.status === 'number' &&
    typeof candidate.text === 'function' &&
    typeof candidate.clone === 'function' &&
    typeof candidate.arrayBuffer === 'function' &&
    typeof candidate.bodyUsed === 'boolean' &&
    candidate.headers !== null &&
    typeof candidate.headers === 'object' &&
    typeof (candidate.headers as { get?: unknown }).get === 'function'
  );
}

/**
 * The internal reader: a view, or the problem explaining why `value` is not
 * a response. Ordered for the common case (a response with a numeric
 * status) and allocation-light: it runs on every assertion.
 */
export function readResponse(value: unknown): ResponseView | Problem {
  try {
    return readResponseParts(value);
  } catch (error) {
    // A value whose getters throw (a revoked Proxy, a hostile object): a clear problem, never a crash.
    const name = error instanceof Error && /^\w{1,60}$/.test(error.name) ? error.name : 'an exception';
    return shapeProblem(`reading the received value threw ${name}: it is not an HTTP response this validator can read`, describe(value));
  }
}

function readResponseParts(value: unknown): ResponseView | Problem {
  if (value === null || typeof value !== 'object') {
    return shapeProblem(`expected an HTTP response, received ${describe(value)}`, describe(value));
  }
  const input = value as Record<string, unknown>;
  if (value instanceof Error || input.isAxiosError === true) {
    const failed = failedRequest(value as Error & Record<string, unknown>);
    if (failed !== undefined) return failed;
  }
  let status = input.status;
  if (typeof status !== 'number') status = input.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 999) return notAResponse(value);
  let rawHeaders = input.headers ?? input.header;
  if (Array.isArray(rawHeaders)) rawHeaders = headerEntries(rawHeaders);
  if (rawHeaders !== undefined && rawHeaders !== null && !isHeaderSource(rawHeaders)) {
    return shapeProblem(
      `the response headers must be an object, a Headers/Map, or an array of [name, value] pairs, received ${describe(input.headers ?? input.header)}`,
      describe(input.headers ?? input.header),
    );
  }
  const view: ResponseView = { status, headers: (rawHeaders ?? undefined) as HeaderSource | undefined, body: undefined, bodyKind: 'empty' };
  const text = input.text;
  if (typeof text === 'string') {
    // superagent/supertest: `text` is the raw payload; `body` is parsed only for JSON media types.
    view.rawBody = text;
    const parsed = input.body;
    if (text.length === 0) return view;
    if (parsed !== null && typeof parsed === 'object' && !isBinary(parsed) && isJsonMediaType(headerValue(view.headers, 'content-type'))) {
      view.body = parsed;
      view.bodyKind = 'json';
      return view;
    }
    return parseInto(view, text);
  }
  if ((text === undefined || text === null) && 'text' in input && isEmptyRecord(input.body)) {
    // superagent/supertest without a payload (HEAD, 204, an aborted body): `text` is unset and
    // `body` is the `{}` superagent always fills in. That is no body, not an empty JSON object.
    return view;
  }
  if (typeof text === 'function' && isFetchResponse(value)) {
    return shapeProblem(
      'received a fetch Response, whose body can only be read asynchronously: await the matcher, use validateTokenEndpointResponseAsync, or pass await fromFetch(res)',
      'a fetch Response',
    );
  }
  if (isBodyKind(input.bodyKind)) {
    // Already normalized (normalizeResponse, fromFetch): trust its reading of the body.
    view.body = input.body;
    view.bodyKind = input.bodyKind;
    if (typeof input.rawBody === 'string') view.rawBody = input.rawBody;
    return view;
  }
  // axios: the payload is `data` (already JSON-parsed when it parsed).
  if (input.config !== undefined && 'data' in input) return decodeInto(view, input.data);
  // superagent's JSON parse error (a non-JSON body labelled JSON) carries status, headers and the raw text.
  if (input instanceof Error && 'rawResponse' in input) return decodeInto(view, input.rawResponse ?? undefined);
  if ('body' in input) return decodeInto(view, input.body);
  if ('data' in input) return decodeInto(view, input.data);
  if (typeof input.pipe === 'function' || typeof input.on === 'function') {
    return shapeProblem(
      'received a streaming response (e.g. a Node IncomingMessage) whose body has not been read: pass { status, headers, body } instead',
      'a stream',
    );
  }
  return view;
}

/**
 * An HTTP client's rejection: axios and superagent reject with an Error that
 * carries the response (`error.response`) for error statuses, and without one
 * when no response arrived. Returns the response's view, a problem naming the
 * failure, or undefined for errors that are read as responses themselves
 * (superagent's JSON parse error, which carries the raw text).
 */
function failedRequest(error: Error & Record<string, unknown>): ResponseView | Problem | undefined {
  if ('rawResponse' in error) return undefined;
  const nested = error.response;
  if (nested !== null && typeof nested === 'object' && nested !== error) {
    const candidate = nested as Record<string, unknown>;
    if (typeof candidate.status === 'number' || typeof candidate.statusCode === 'number') return readResponse(nested);
  }
  if (typeof error.status === 'number' || typeof error.statusCode === 'number') return undefined; // read as the response itself
  // Name and code only: an error message may quote a URL or a request with credentials.
  const ctor: unknown = error.constructor;
  const className = typeof ctor === 'function' && ctor.name !== 'Error' && ctor.name !== 'Object' ? ctor.name : undefined;
  const name = className ?? (typeof error.name === 'string' && /^\w{1,60}$/.test(error.name) ? error.name : 'Error');
  const code = typeof error.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(error.code) ? ` ${error.code}` : '';
  return shapeProblem(
    `received an error (${name}${code}) instead of a response: the request failed before any HTTP response arrived`,
    `an error (${name}${code})`,
  );
}

/** `[[name, value], ...]` (HeadersInit) or node's flat `rawHeaders` `[name, value, name, value, ...]` as a record. */
function headerEntries(list: readonly unknown[]): Record<string, unknown> | readonly unknown[] {
  const out: Record<string, unknown> = {};
  const append = (name: unknown, value: unknown): boolean => {
    if (typeof name !== 'string') return false;
    const key = name.toLowerCase();
    const previous = out[key];
    out[key] = previous === undefined ? value : ([] as unknown[]).concat(previous, value);
    return true;
  };
  // Indexed loops: a sparse array's holes must count as malformed, not be skipped.
  // Anything else is returned as is, and the caller reports the array as a shape problem.
  const pairs = list.length > 0 && Array.isArray(list[0]);
  if (!pairs && list.length % 2 !== 0) return list;
  for (let i = 0; i < list.length; i += pairs ? 1 : 2) {
    const entry = list[i];
    if (pairs) {
      if (!Array.isArray(entry) || entry.length !== 2 || !append(entry[0], entry[1])) return list;
    } else if (!append(entry, list[i + 1])) {
      return list;
    }
  }
  return out;
}

function isEmptyRecord(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const _key in value) return false;
  return true;
}

function notAResponse(value: object): Problem {
  if (typeof (value as { then?: unknown }).then === 'function') {
    return shapeProblem(
      'received a pending request (a Promise or thenable): await the request before asserting on its response',
      'a Promise/thenable',
    );
  }
  if (Array.isArray(value)) return shapeProblem(`expected an HTTP response, received ${describe(value)}`, describe(value));
  const members = value as Record<string, unknown>;
  if ('access_token' in members || 'token_type' in members || 'error' in members) {
    return shapeProblem(
      `received what looks like a response body (${describe(value)}): pass the whole response (res, not res.body or res.data), so status and headers are checked too`,
      describe(value),
    );
  }
  return shapeProblem(
    `expected an HTTP response with a numeric status (supertest, axios, fetch, or { status, headers, body }), received ${describe(value)}`,
    describe(value),
  );
}

function isBodyKind(value: unknown): value is BodyKind {
  return value === 'json' || value === 'text' || value === 'empty';
}

type BodyParts = Pick<ResponseView, 'body' | 'bodyKind' | 'rawBody'>;

function decodeInto<T extends BodyParts>(target: T, source: unknown): T {
  if (source === undefined) return target;
  if (typeof source === 'string') return parseInto(target, source);
  if (isBinary(source)) return parseInto(target, Buffer.from(source as Uint8Array).toString('utf8'));
  if (source instanceof ArrayBuffer) return parseInto(target, Buffer.from(source).toString('utf8'));
  target.body = source;
  target.bodyKind = 'json';
  return target;
}

function parseInto<T extends BodyParts>(target: T, text: string): T {
  target.rawBody = text;
  if (text.trim().length === 0) {
    target.body = undefined;
    target.bodyKind = 'empty';
    return target;
  }
  try {
    target.body = JSON.parse(text) as unknown;
    target.bodyKind = 'json';
  } catch {
    target.body = text;
    target.bodyKind = 'text';
  }
  return target;
}

function isBinary(value: unknown): boolean {
  return value instanceof Uint8Array;
}

function shapeProblem(message: string, received: string): Problem {
  return { where: 'response', pointer: '', message, received, rule: RULES.responseShape, ...RULE_SOURCES[RULES.responseShape] };
}

/** Describes a value by its type and member names only: never its content (it may hold secrets). */
export function describe(value: unknown): string {
  try {
    return describeValue(value);
  } catch {
    return 'an unreadable object (its inspection threw)';
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} item(s)`;
  if (typeof value === 'object') {
    const ctor: unknown = (value as { constructor?: unknown }).constructor;
    const name = typeof ctor === 'function' ? ctor.name : undefined;
    const keys = Object.keys(value as object)
      .slice(0, 8)
      .map((key) => (key.length > 40 ? `${key.slice(0, 40)}…` : key));
    const kind = name && name !== 'Object' ? `a ${name}` : 'an object';
    return keys.length > 0 ? `${kind} with keys ${keys.join(', ')}` : `${kind} with no keys`;
  }
  if (typeof value === 'string') return `a string (${value.length} chars)`;
  if (typeof value === 'function') return 'a function';
  return `${typeof value === 'undefined' ? 'undefined' : `the ${typeof value} ${String(value)}`}`;
}
