/**
 * Reading and parsing a token request: media type, bounded body, form or
 * JSON parameters, duplicate and query-string checks (RFC 6749 §3.2, §2.3.1,
 * §4.4.2). Everything here is about framing; what the parameters mean is the
 * pipeline's business.
 */
import type { IncomingMessage } from 'node:http';
import { FORM_MEDIA_TYPE, JSON_MEDIA_TYPE, OAUTH_PARAMETERS } from '../oauth/protocol';
import { echo, invalidRequest } from './errors';

export const TOKEN_REQUEST_PARAMETERS = ['grant_type', 'scope', 'client_id', 'client_secret', 'client_assertion_type', 'client_assertion'] as const;

/** The parameters of the authorization_code and refresh_token requests (RFC 6749 §4.1.3, §6; RFC 7636 §4.5). */
export const GRANT_REQUEST_PARAMETERS = [OAUTH_PARAMETERS.code, OAUTH_PARAMETERS.redirectUri, OAUTH_PARAMETERS.codeVerifier, OAUTH_PARAMETERS.refreshToken] as const;

/**
 * Parameters that must never travel in the request URI (RFC 6749 §2.3.1,
 * §3.2): credentials and the grant's own parameters, a code, its verifier
 * and a refresh token among them (URIs end up in logs).
 */
const BODY_ONLY_PARAMETERS = new Set<string>([...TOKEN_REQUEST_PARAMETERS, ...GRANT_REQUEST_PARAMETERS]);

export type MediaType = 'form' | 'json';

/** The request body is larger than allowed; the caller answers 413 and stops reading. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Form or JSON per `Content-Type` (RFC 6749 §4.4.2 form; attesto_phoenix also takes JSON). */
export function requestMediaType(contentType: string | undefined): MediaType {
  if (contentType === undefined || contentType.trim() === '') throw invalidRequest('missing Content-Type');
  const [essence = '', ...parameters] = contentType.split(';');
  const type = essence.trim().toLowerCase();
  const media: MediaType | undefined =
    type === FORM_MEDIA_TYPE ? 'form' : type === JSON_MEDIA_TYPE ? 'json' : undefined;
  if (!media) throw invalidRequest(`unsupported token request Content-Type: ${echo(type)}`);
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim().toLowerCase());
    if (name === 'charset' && !['utf-8', 'utf8', 'us-ascii', '"utf-8"'].includes(value)) {
      throw invalidRequest(`unsupported charset ${echo(value)}: token requests are UTF-8 (RFC 6749 Appendix B)`);
    }
  }
  return media;
}

/** Rejects credentials and token parameters in the query string (RFC 6749 §2.3.1: "MUST NOT be included in the request URI"). */
export function rejectQueryParameters(search: string): void {
  if (!search) return;
  for (const name of new URLSearchParams(search).keys()) {
    if (BODY_ONLY_PARAMETERS.has(name)) throw invalidRequest(`${name} must be sent in the request body, not the query string`);
  }
}

/**
 * The values of every line of header `name` (lower case), in order. Node
 * joins repeated headers it does not know (`DPoP`) and keeps one of some it
 * does (`Authorization`), so only the raw list shows how many were sent:
 * RFC 9449 §4.3 item 1 and RFC 6749 §2.3 depend on that count.
 */
export function headerLines(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === name) values.push(rawHeaders[i + 1]!);
  }
  return values;
}

/**
 * A Host field value (RFC 9110 §7.2): `uri-host [ ":" port ]` with the
 * RFC 3986 §3.2.2 host forms: an IP-literal in brackets, or a reg-name
 * (which also covers IPv4). Empty is allowed (§7.2: a target without
 * an authority).
 */
const HOST_FIELD_VALUE =
  /^(?:\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/;

/**
 * What is wrong with the request's Host header, if anything. RFC 9112 §3.2:
 * "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
 * request message that lacks a Host header field and to any request message
 * that contains more than one Host header field line or a Host header field
 * with an invalid field value." Lines are counted in `rawHeaders`: Node keeps
 * only the first of repeated Host lines in `req.headers`.
 */
export function hostHeaderProblem(req: Pick<IncomingMessage, 'httpVersion' | 'rawHeaders'>): string | undefined {
  const hosts = headerLines(req.rawHeaders, 'host');
  if (hosts.length === 0) return req.httpVersion === '1.1' ? 'missing Host header (RFC 9112 3.2)' : undefined;
  if (hosts.length > 1) return 'more than one Host header (RFC 9112 3.2)';
  if (!HOST_FIELD_VALUE.test(hosts[0]!)) return 'invalid Host header (RFC 9112 3.2)';
  return undefined;
}

/**
 * The expectations of the request's Expect lines (RFC 9110 §10.1.1:
 * `Expect = #expectation`), lower-cased; empty list members are dropped.
 * Node hands a request to `checkContinue` whenever "100-continue" appears
 * anywhere in the value (even as "100-continue-please"), so the list is
 * read here exactly.
 */
export function expectations(rawHeaders: readonly string[]): string[] {
  return headerLines(rawHeaders, 'expect')
    .flatMap((line) => line.split(','))
    .map((member) => member.trim().toLowerCase())
    .filter((member) => member !== '');
}

/** Reads the body up to `limit` bytes; rejects with `BodyTooLargeError` as soon as it is exceeded. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onAborted = () => onError(new Error('request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/**
 * The request parameters, parsed per media type. Parameters sent without a
 * value are treated as omitted (RFC 6749 §3.2), so `scope=` means no scope;
 * a parameter present more than once is an `invalid_request` (§3.2: "MUST
 * NOT be included more than once").
 */
export function parseParameters(body: Buffer, media: MediaType): Map<string, string> {
  const text = body.toString('utf8');
  return media === 'form' ? parseForm(text) : parseJson(text);
}

function parseForm(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (value === '') continue;
    if (params.has(name)) throw invalidRequest(`parameter ${echo(name)} is included more than once`);
    params.set(name, value);
  }
  return params;
}

function parseJson(text: string): Map<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequest('malformed JSON request body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidRequest('JSON request body must be an object');
  const duplicate = firstDuplicateTopLevelKey(text);
  if (duplicate !== undefined) throw invalidRequest(`parameter ${echo(duplicate)} is included more than once`);
  const params = new Map<string, string>();
  for (const [name, member] of Object.entries(value)) {
    if (member === null || member === '') continue;
    if (typeof member !== 'string') {
      // Unknown members are ignored whatever their type (RFC 6749 §3.2); ours must be strings.
      if (BODY_ONLY_PARAMETERS.has(name)) throw invalidRequest(`${name} must be a string`);
      continue;
    }
    params.set(name, member);
  }
  return params;
}

/**
 * JSON.parse keeps the last of repeated names silently. This scans the
 * (already valid) JSON text and reports the first name repeated in the
 * top-level object.
 */
export function firstDuplicateTopLevelKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    if (char === '"') {
      const start = i;
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(json.slice(start, i + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
    } else if (char === '{' || char === '[') {
      depth++;
      expectKey = char === '{' && depth === 1;
    } else if (char === '}' || char === ']') {
      depth--;
    } else if (char === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return undefined;
}
