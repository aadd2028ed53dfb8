/**
 * The suite's own HTTP client. Conformance checks must send requests a
 * well-behaved client never would (no Content-Type, two `DPoP` header
 * fields, credentials in the query string, a GET), and the report must show
 * exactly what went over the wire, so requests are plain data sent with
 * node:http(s), header fields in order, duplicates kept.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { TargetUnreachableError } from '../errors';
import { MAX_RESPONSE_BYTES } from '../oauth/limits';
import { classifyTransportError, RequestTimeout } from '../oauth/transport-error';
import type { WireRequest, WireResponse } from './exchange';
import { RunInterrupted } from './interrupt';
import type { Pacer } from './pacing';

export type { WireRequest, WireResponse };


export { TargetUnreachableError };


export interface HttpClientOptions {
  timeoutMs: number;
  /** Sockets kept open per origin; matches the run's concurrency. */
  maxSockets: number;
  /** Extra trusted CA certificates (PEM) for https targets, next to Node's defaults. */
  ca?: string;
  /**
   * Resend once, on a fresh connection, a request that a reused keep-alive
   * connection lost before any response byte (default true). False only
   * to show what happens without it (tests).
   */
  retryReusedSocket?: boolean;
  /** Paces every attempt, a resend included (config `rate`); absent: requests leave at once. */
  pacer?: Pacer;
  /** The run's stop signal: a request waiting for its turn or in flight ends at once with RunInterrupted. */
  signal?: AbortSignal;
}

/** How one attempt failed: the error, and whether a reused connection lost it before any answer (nothing was processed). */
class AttemptFailed extends Error {
  constructor(
    readonly error: Error,
    readonly lostOnReusedSocket: boolean,
  ) {
    super(error.message);
  }
}

/** Sockets that have carried a request: a request given one of these runs on a reused connection. */
const usedSockets = new WeakSet<object>();

export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** One connection per request, never pooled: for the resend of a request a reused connection lost. */
  private readonly freshHttpAgent: http.Agent;
  private readonly freshHttpsAgent: https.Agent;

  constructor(private readonly options: HttpClientOptions) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
    // Node's `ca` replaces the default roots, so the defaults are kept next to the extra ones.
    const ca = options.ca === undefined ? undefined : [...tls.rootCertificates, options.ca];
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: options.maxSockets, ...(ca ? { ca } : {}) });
    this.freshHttpAgent = new http.Agent({ keepAlive: false });
    this.freshHttpsAgent = new https.Agent({ keepAlive: false, ...(ca ? { ca } : {}) });
  }

  /**
   * Sends a request on a pooled keep-alive connection. A server may close
   * an idle keep-alive connection at any time, so a client may reuse one
   * just as it closes (RFC 9112 §9.6). A request lost that way, reset or
   * closed before any response byte, was not processed (the server closed
   * a connection it saw as idle), so it is resent once on a fresh
   * connection, as RFC 9112 §9.3.1 allows for a request the client can tell
   * was never applied. A failure on a fresh connection, or after an answer
   * began, is reported as it is.
   */
  async send(request: WireRequest): Promise<WireResponse> {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    const origin = `${url.protocol}//${url.host}`;
    try {
      try {
        return await this.attempt(request, url, secure ? this.httpsAgent : this.httpAgent);
      } catch (error) {
        if (!(error instanceof AttemptFailed) || !error.lostOnReusedSocket || this.options.retryReusedSocket === false) throw error;
        return await this.attempt(request, url, secure ? this.freshHttpsAgent : this.freshHttpAgent);
      }
    } catch (error) {
      if (error instanceof RunInterrupted) throw error;
      // A request destroyed because the run stopped is no fault of the target.
      if (this.options.signal?.aborted) throw new RunInterrupted();
      const cause = error instanceof AttemptFailed ? error.error : error;
      throw new TargetUnreachableError(origin, classifyTransportError(cause).words, { cause });
    }
  }

  private async attempt(request: WireRequest, url: URL, agent: http.Agent): Promise<WireResponse> {
    // The wait comes before the request's timer: pacing is not the target's slowness.
    if (this.options.pacer !== undefined) await this.options.pacer.wait(this.options.signal);
    if (this.options.signal?.aborted) throw new RunInterrupted();
    return this.attemptNow(request, url, agent);
  }

  private attemptNow(request: WireRequest, url: URL, agent: http.Agent): Promise<WireResponse> {
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<WireResponse>((resolve, reject) => {
      const req = transport.request(url, {
        method: request.method,
        agent,
        timeout: this.options.timeoutMs,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
      // setHeader with an array sends one field line per value, which
      // is how a check sends two DPoP headers.
      const grouped = new Map<string, { name: string; values: string[] }>();
      for (const [name, value] of request.headers) {
        const key = name.toLowerCase();
        const entry = grouped.get(key) ?? { name, values: [] };
        entry.values.push(value);
        grouped.set(key, entry);
      }
      for (const { name, values } of grouped.values()) req.setHeader(name, values.length === 1 ? values[0]! : values);
      if (request.body !== undefined && !grouped.has('content-length')) {
        req.setHeader('Content-Length', Buffer.byteLength(request.body));
      }
      let answered = false;
      let reused = false;
      req.on('socket', (socket) => {
        reused = usedSockets.has(socket);
        usedSockets.add(socket);
      });
      const timer = setTimeout(() => req.destroy(new RequestTimeout(this.options.timeoutMs)), this.options.timeoutMs);
      req.on('timeout', () => req.destroy(new RequestTimeout(this.options.timeoutMs)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // Node's own test for this race is `reusedSocket` and no response (ECONNRESET, EPIPE, or "socket hang up" for an EOF);
        // but Node sets `reusedSocket` only when a request finds a free socket, not when a queued request is handed one
        // that just came free, so the client keeps its own record of the sockets that carried a request before.
        const lost = (req.reusedSocket || reused) && !answered && classifyTransportError(error).kind === 'reset';
        reject(new AttemptFailed(error, lost));
      });
      req.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('error', (error: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(new AttemptFailed(error, false));
        });
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: joinHeaders(res.rawHeaders),
            rawHeaders: pairs(res.rawHeaders),
            text,
            body: parseBody(text),
          });
        });
      });
      req.end(request.body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.freshHttpAgent.destroy();
    this.freshHttpsAgent.destroy();
  }
}

function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

function joinHeaders(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of pairs(raw)) {
    const key = name.toLowerCase();
    out[key] = key in out ? `${out[key]}, ${value}` : value;
  }
  return out;
}

function parseBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
