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

export type { WireRequest, WireResponse };


export { TargetUnreachableError };


export interface HttpClientOptions {
  timeoutMs: number;
  /** Sockets kept open per origin; matches the run's concurrency. */
  maxSockets: number;
  /** Extra trusted CA certificates (PEM) for https targets, next to Node's defaults. */
  ca?: string;
}

export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly options: HttpClientOptions) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
    // Node's `ca` replaces the default roots, so the defaults are kept next to the extra ones.
    const ca = options.ca === undefined ? undefined : [...tls.rootCertificates, options.ca];
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: options.maxSockets, ...(ca ? { ca } : {}) });
  }

  send(request: WireRequest): Promise<WireResponse> {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    const transport = secure ? https : http;
    const origin = `${url.protocol}//${url.host}`;
    return new Promise<WireResponse>((resolve, reject) => {
      const req = transport.request(url, {
        method: request.method,
        agent: secure ? this.httpsAgent : this.httpAgent,
        timeout: this.options.timeoutMs,
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
      const timer = setTimeout(() => req.destroy(new RequestTimeout(this.options.timeoutMs)), this.options.timeoutMs);
      req.on('timeout', () => req.destroy(new RequestTimeout(this.options.timeoutMs)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new TargetUnreachableError(origin, classifyTransportError(error).words, { cause: error }));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        res.on('error', (error: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(new TargetUnreachableError(origin, classifyTransportError(error).words, { cause: error }));
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
