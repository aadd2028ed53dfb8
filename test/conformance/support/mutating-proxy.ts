/**
 * A loopback proxy in front of the reference server that breaks one
 * behaviour at a time: the "deliberately broken server" of the conformance
 * tests. A mutation may rewrite the request, answer it itself, or rewrite
 * the response. The reference server is started with `issuer` = the proxy's
 * origin, so DPoP `htu` and assertion `aud` built for the proxy URL verify.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createReferenceServer, type ReferenceServer, type ReferenceServerConfig } from '../../../src/server';
import { HttpClient } from '../../../src/conformance/http';
import { referenceTargetConfig, type ConformanceConfig } from '../../../src/conformance';

export interface ProxyRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Array<[string, string]>;
  body: string;
}

export interface ProxyResponse {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

export interface Mutation {
  /** Called as a request arrives and awaited before it is handled (a test may count requests in flight, or hold them to widen overlaps). */
  arrive?(req: ProxyRequest): Promise<void> | void;
  /** Called once the answer has been written. */
  depart?(req: ProxyRequest): void;
  request?(req: ProxyRequest): ProxyRequest | ProxyResponse | void;
  response?(res: ProxyResponse, req: ProxyRequest): ProxyResponse | void;
  /**
   * True: close the connection right after this answer is written, without
   * `Connection: close` (as a server that drops idle keep-alive sockets
   * does): a client that reuses it loses its next request.
   */
  closeAfter?(res: ProxyResponse, req: ProxyRequest): boolean;
}

export interface MutatingProxy {
  /** The token endpoint URL through the proxy. */
  tokenEndpoint: string;
  /** The run configuration for the reference server's demo clients, aimed at the proxy. */
  config: ConformanceConfig;
  server: ReferenceServer;
  mutation: Mutation | undefined;
  close(): Promise<void>;
}

export async function startMutatingProxy(
  options: { requireNonce?: boolean; clients?: ReferenceServerConfig['clients']; server?: Pick<ReferenceServerConfig, 'codeLifetimeSeconds' | 'refreshTokens'> } = {},
): Promise<MutatingProxy> {
  const upstream = new HttpClient({ timeoutMs: 10_000, maxSockets: 8 });
  let target = '';
  const state: { mutation: Mutation | undefined } = { mutation: undefined };
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const headers: Array<[string, string]> = [];
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
          const name = req.rawHeaders[i]!;
          if (!['host', 'connection', 'content-length', 'keep-alive'].includes(name.toLowerCase())) headers.push([name, req.rawHeaders[i + 1]!]);
        }
        let request: ProxyRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') };
        const arrived = request;
        const mutation = state.mutation;
        await mutation?.arrive?.(arrived);
        let response: ProxyResponse;
        const mutated = state.mutation?.request?.(request);
        if (mutated && 'status' in mutated) response = mutated;
        else {
          if (mutated) request = mutated;
          const upstreamRes = await upstream.send({ method: request.method, url: `${target}${request.path}`, headers: request.headers, body: request.method === 'GET' && request.body === '' ? undefined : request.body });
          response = { status: upstreamRes.status, headers: upstreamRes.rawHeaders.filter(([n]) => !['content-length', 'connection', 'keep-alive', 'transfer-encoding', 'date'].includes(n.toLowerCase())), body: upstreamRes.text };
          response = state.mutation?.response?.(response, request) ?? response;
        }
        const grouped = new Map<string, string[]>();
        for (const [n, v] of response.headers) grouped.set(n, [...(grouped.get(n) ?? []), v]);
        for (const [n, v] of grouped) res.setHeader(n, v.length === 1 ? v[0]! : v);
        res.statusCode = response.status;
        if (mutation?.closeAfter?.(response, arrived)) res.on('finish', () => setImmediate(() => req.socket.destroy()));
        res.end(response.body);
        mutation?.depart?.(arrived);
      })().catch((error: unknown) => {
        res.statusCode = 502;
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const server = await createReferenceServer({ issuer: origin, dpop: { requireNonce: options.requireNonce === true }, ...(options.clients ? { clients: options.clients } : {}), ...options.server });
  target = server.url;
  return {
    tokenEndpoint: `${origin}/oauth/token`,
    config: { ...referenceTargetConfig(server), url: `${origin}/oauth/token` },
    server,
    get mutation() {
      return state.mutation;
    },
    set mutation(value) {
      state.mutation = value;
    },
    async close() {
      upstream.close();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await server.close();
    },
  };
}

// ---- helpers for writing mutations --------------------------------------

export function header(msg: { headers: Array<[string, string]> }, name: string): string | undefined {
  return msg.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

export function withoutHeader<T extends { headers: Array<[string, string]> }>(msg: T, name: string): T {
  return { ...msg, headers: msg.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase()) };
}

export function withHeader<T extends { headers: Array<[string, string]> }>(msg: T, name: string, value: string): T {
  return { ...withoutHeader(msg, name), headers: [...withoutHeader(msg, name).headers, [name, value]] };
}

export function form(req: ProxyRequest): URLSearchParams {
  return new URLSearchParams(req.body);
}

export function json(res: ProxyResponse): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(res.body) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function withJson(res: ProxyResponse, body: Record<string, unknown>): ProxyResponse {
  return { ...res, body: JSON.stringify(body) };
}

export function dpopProofs(req: ProxyRequest): string[] {
  return req.headers.filter(([n]) => n.toLowerCase() === 'dpop').map(([, v]) => v);
}

/** The decoded part of a compact JWS, or undefined when there is none or it does not decode. */
function decoded(jws: string | null | undefined, part: 'header' | 'claims'): Record<string, unknown> | undefined {
  if (!jws) return undefined;
  try {
    return (part === 'header' ? decodeProtectedHeader(jws) : decodeJwt(jws)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export const proofClaims = (req: ProxyRequest) => decoded(dpopProofs(req)[0], 'claims');
export const proofHeader = (req: ProxyRequest) => decoded(dpopProofs(req)[0], 'header');
export const assertionClaims = (req: ProxyRequest) => decoded(form(req).get('client_assertion'), 'claims');
export const assertionHeader = (req: ProxyRequest) => decoded(form(req).get('client_assertion'), 'header');

const FRAMING: Array<[string, string]> = [
  ['Content-Type', 'application/json; charset=utf-8'],
  ['Cache-Control', 'no-store'],
  ['Pragma', 'no-cache'],
];

/** What a server that wrongly accepts the request would answer (well framed, so only the acceptance is wrong). */
export function fakeToken(req: ProxyRequest): ProxyResponse {
  const dpop = dpopProofs(req).length > 0;
  return { status: 200, headers: FRAMING, body: JSON.stringify({ access_token: 'fake-token-from-a-broken-server', token_type: dpop ? 'DPoP' : 'Bearer', expires_in: 900, ...(dpop ? { cnf: { jkt: 'not-checked' } } : {}) }) };
}

export function errorResponse(status: number, error: string, description = error, extra: Array<[string, string]> = []): ProxyResponse {
  return { status, headers: [...FRAMING, ...extra], body: JSON.stringify({ error, error_description: description }) };
}

/** Token answers without expires_in: resp-expires warns (RFC 6749 §5.1: RECOMMENDED), nothing else changes. */
export const NO_EXPIRES_IN: Mutation = {
  response: (res) => {
    if (res.status !== 200) return res;
    const body = json(res);
    if (body === undefined) return res;
    delete body.expires_in;
    return { ...res, body: JSON.stringify(body) };
  },
};

/** Every request answered 429 with Retry-After: 0: no check gets a verdict (inconclusive after the one resend). */
export const RATE_LIMITED: Mutation = {
  request: () => ({ status: 429, headers: [['Content-Type', 'application/json'], ['Retry-After', '0']], body: '{"error":"slow_down"}' }),
};
