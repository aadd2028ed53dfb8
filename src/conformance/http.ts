/**
 * The suite's own HTTP client. Conformance checks must send requests a
 * well-behaved client never would (no Content-Type, two `DPoP` header
 * fields, credentials in the query string, a GET), and the report must show
 * exactly what went over the wire, so requests are plain data sent with
 * node:http(s), header fields in order, duplicates kept.
 *
 * Through a proxy (config `proxy`, HTTPS_PROXY / HTTP_PROXY), every request
 * travels in a CONNECT tunnel (RFC 9110 §9.3.6): for an https target TLS
 * runs inside it, end to end with the target; for an http target the
 * request goes in the clear inside it, byte for byte as the check wrote it
 * (an absolute-form request to a forwarding proxy could be rewritten on the
 * way, and a check's defect with it). One behaviour for both schemes.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { ProxyTunnelError, TargetUnreachableError } from '../errors';
import { parseBoundedJson } from '../oauth/bounded-json';
import { MAX_KEPT_BODY_BYTES } from '../oauth/limits';
import { SecretSet } from '../oauth/secrets';
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
  /** The proxy every request goes through, in a CONNECT tunnel; absent: direct. */
  proxy?: HttpProxy;
}

/**
 * A client certificate for mutual TLS (RFC 8705): presented in the TLS
 * handshake of an https request. `id` names it for the connection pools
 * (its thumbprint): connections made with one certificate never carry a
 * request meant for another, or for none.
 */
export interface ClientIdentity {
  id: string;
  /** PEM. */
  certificate: string;
  /** PEM; a secret. */
  key: string;
  /** Made by the suite for this run (an impostor), not the user's: reports name it so. */
  madeForRun?: boolean;
}

/** What one handshake offers: a single TLS version, optionally an OpenSSL cipher list (TLS 1.2 and older) and a client certificate. */
export interface HandshakeOffer {
  version: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
  /** Presented when the server asks for one (a mutual-TLS endpoint may end a handshake without it). */
  identity?: ClientIdentity;
}

/**
 * How a handshake ended: `negotiated` with the protocol and OpenSSL's name
 * of the suite; `refused` when the server ended it (an alert, a reset) after
 * the connection was made; `unreached` when there was no server to ask (no
 * connection, or no TLS answer in time): nothing is said about its TLS then.
 */
export type HandshakeAnswer =
  | { outcome: 'negotiated'; protocol: string; cipher: string }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'unreached'; reason: string };

export interface HttpProxy {
  /** The proxy URL without credentials (`http://proxy.example:3128`); named in errors. */
  url: string;
  /** The `Proxy-Authorization` value to send with CONNECT (Basic, from the URL's credentials); a secret. */
  authorization?: string;
}

/** The proxy answered CONNECT with a status other than 200: no tunnel (RFC 9110 §9.3.6). */
class TunnelRefused extends Error {
  constructor(
    readonly status: number,
    readonly statusText: string,
  ) {
    super(`${status} ${statusText}`.trim());
  }
}

type TunnelConnectOptions = Parameters<HttpsProxyAgent<string>['connect']>[1];

/**
 * https-proxy-agent's tunnel, pooled by Node's http.Agent like any other
 * connection (keep-alive, maxSockets, `req.reusedSocket`), with two changes:
 *  - a refused CONNECT is an error. The library instead replays the
 *    proxy's answer as if it were the response to the request (so that
 *    node:http parses it), which would make a 407 from the proxy a 407
 *    from the target, and a check would judge the proxy's answer.
 *  - requests whose CONNECT is still under way are known, so a deadline
 *    that passes then is the proxy's silence, not the target's.
 * The library takes 200 alone as success (any 2xx would do, RFC 9110
 * §9.3.6); proxies send 200.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  private readonly connecting = new WeakSet<http.ClientRequest>();

  override async connect(req: http.ClientRequest, opts: TunnelConnectOptions): Promise<net.Socket> {
    let answer: { statusCode: number; statusText: string } | undefined;
    // The library emits the proxy's answer on the request before it returns the socket.
    req.once('proxyConnect', (connect: { statusCode: number; statusText: string }) => (answer = connect));
    this.connecting.add(req);
    try {
      const socket = await super.connect(req, opts);
      if (answer !== undefined && answer.statusCode !== 200) {
        socket.destroy();
        throw new TunnelRefused(answer.statusCode, answer.statusText);
      }
      return socket;
    } finally {
      this.connecting.delete(req);
    }
  }

  /** Whether this request is still waiting for its tunnel (connecting to the proxy, or for its answer to CONNECT). */
  isConnecting(req: http.ClientRequest): boolean {
    return this.connecting.has(req);
  }
}

/**
 * How one attempt failed: the error, whether a reused connection lost it
 * before any answer (nothing was processed), and whether it failed before
 * the proxy's tunnel was open (the proxy's failure: the target was never asked).
 */
class AttemptFailed extends Error {
  constructor(
    readonly error: Error,
    readonly lostOnReusedSocket: boolean,
    readonly atProxy = false,
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
  /** Through a proxy: the pooled tunnels and the fresh ones, for both schemes (the pool keys tell them apart). */
  private readonly tunnels: { pooled: TunnelAgent; fresh: TunnelAgent } | undefined;
  /** Trusted roots for TLS inside a tunnel, given per request (the tunnel agent's own options serve its connection to the proxy). */
  private readonly ca: string[] | undefined;
  /** Connections made with a client certificate, by certificate (identityAgent). */
  private readonly identityAgents = new Map<string, https.Agent>();
  /**
   * Aborted by close(): destroys every connection to the proxy, one still
   * waiting for an answer to CONNECT too (the library sets no deadline on
   * it, and an agent's destroy() only knows established sockets).
   */
  private readonly closing = new AbortController();
  /** Aborted by halt(): every request in flight or waiting ends at once (the run found the target unreachable). */
  private readonly halting = new AbortController();
  /** What a request listens to: halt(), and the run's stop signal. */
  private readonly requestSignal: AbortSignal;
  /** The proxy's credentials, scrubbed from its words before an error repeats them. */
  private readonly proxySecrets = new SecretSet();

  constructor(private readonly options: HttpClientOptions) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
    // Node's `ca` replaces the default roots, so the defaults are kept next to the extra ones.
    const ca = options.ca === undefined ? undefined : [...tls.rootCertificates, options.ca];
    this.ca = ca;
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: options.maxSockets, ...(ca ? { ca } : {}) });
    this.freshHttpAgent = new http.Agent({ keepAlive: false });
    this.freshHttpsAgent = new https.Agent({ keepAlive: false, ...(ca ? { ca } : {}) });
    // Every open connection to the proxy listens on it (up to maxSockets pooled, plus fresh ones): no leak to warn about.
    setMaxListeners(0, this.closing.signal);
    this.requestSignal = options.signal ? AbortSignal.any([options.signal, this.halting.signal]) : this.halting.signal;
    setMaxListeners(0, this.halting.signal, this.requestSignal);
    const proxy = options.proxy;
    if (proxy !== undefined) {
      if (proxy.authorization !== undefined) this.proxySecrets.addAuthorization(proxy.authorization);
      // The URL carries no credentials (the library would log it under DEBUG); they travel as the header.
      const common = {
        headers: proxy.authorization === undefined ? {} : { 'Proxy-Authorization': proxy.authorization },
        signal: this.closing.signal,
        // For an https:// proxy's own certificate.
        ...(ca ? { ca } : {}),
      };
      this.tunnels = {
        pooled: new TunnelAgent(proxy.url, { ...common, keepAlive: true, maxSockets: options.maxSockets }),
        fresh: new TunnelAgent(proxy.url, { ...common, keepAlive: false }),
      };
    }
  }

  /**
   * Sends a request on a pooled keep-alive connection. A server may close
   * an idle keep-alive connection at any time, so a client may reuse one
   * just as it closes (RFC 9112 §9.6). A request lost that way, reset or
   * closed before any response byte, was not processed (the server closed
   * a connection it saw as idle), so it is resent once on a fresh
   * connection, as RFC 9112 §9.3.1 allows for a request the client can tell
   * was never applied. A failure on a fresh connection, or after an answer
   * began, is reported as it is. `freshConnection` sends on a connection of
   * its own at once, outside the pool's limit (requests meant to arrive
   * together, rt-race).
   */
  async send(request: WireRequest, options: { freshConnection?: boolean; identity?: ClientIdentity } = {}): Promise<WireResponse> {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    const origin = `${url.protocol}//${url.host}`;
    const tunnels = this.tunnels;
    // A client certificate is for TLS: over plain http there is no handshake to present it in.
    const identity = secure ? options.identity : undefined;
    const pooled = () => (identity !== undefined ? (tunnels?.fresh ?? this.identityAgent(identity, true)) : (tunnels?.pooled ?? (secure ? this.httpsAgent : this.httpAgent)));
    const fresh = () => (identity !== undefined ? (tunnels?.fresh ?? this.identityAgent(identity, false)) : (tunnels?.fresh ?? (secure ? this.freshHttpsAgent : this.freshHttpAgent)));
    try {
      try {
        if (options.freshConnection === true) return await this.attempt(request, url, fresh(), identity);
        return await this.attempt(request, url, pooled(), identity);
      } catch (error) {
        if (!(error instanceof AttemptFailed) || !error.lostOnReusedSocket || this.options.retryReusedSocket === false) throw error;
        return await this.attempt(request, url, fresh(), identity);
      }
    } catch (error) {
      if (error instanceof RunInterrupted) throw error;
      // A request destroyed because the run stopped is no fault of the target.
      if (this.options.signal?.aborted) throw new RunInterrupted();
      if (this.halting.signal.aborted) throw new TargetUnreachableError(origin, 'not sent: the run stopped, the target being unreachable', { cause: error });
      const cause = error instanceof AttemptFailed ? error.error : error;
      if (error instanceof AttemptFailed && error.atProxy && this.options.proxy !== undefined) throw this.proxyError(this.options.proxy, url, origin, cause);
      throw new TargetUnreachableError(origin, classifyTransportError(cause).words, { cause });
    }
  }

  /** What the proxy did, in one line that names it (never its credentials) and the tunnel asked for. */
  private proxyError(proxy: HttpProxy, url: URL, origin: string, cause: unknown): ProxyTunnelError {
    const tunnel = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
    if (cause instanceof TunnelRefused) {
      // The proxy's reason phrase, as the user's proxy wrote it: printable, short, and free of the credentials.
      const text = this.proxySecrets.scrub(cause.statusText.replace(/[^\x20-\x7e]/g, '').slice(0, 80)).trim();
      const hint =
        cause.status !== 407 ? '' : proxy.authorization === undefined ? ' (give its credentials in the proxy URL: http://user:password@host:port)' : ' (it did not accept the credentials of the proxy URL)';
      return new ProxyTunnelError(proxy.url, origin, `refused the tunnel to ${tunnel}: ${cause.status}${text ? ` ${text}` : ''}${hint}`, { cause, status: cause.status });
    }
    if (cause instanceof RequestTimeout) return new ProxyTunnelError(proxy.url, origin, `did not answer the CONNECT to ${tunnel} within ${cause.timeoutMs} ms`, { cause });
    // https-proxy-agent's words for a proxy that closed the connection before its answer.
    if (cause instanceof Error && /before receiving CONNECT response/.test(cause.message)) {
      return new ProxyTunnelError(proxy.url, origin, `closed the connection before answering the CONNECT to ${tunnel}`, { cause });
    }
    return new ProxyTunnelError(proxy.url, origin, `cannot be reached for the tunnel to ${tunnel}: ${classifyTransportError(cause).words}`, { cause });
  }

  /** The pool of connections made with one client certificate (pooled: keep-alive, up to maxSockets; else one per request). */
  private identityAgent(identity: ClientIdentity, pooled: boolean): https.Agent {
    const key = `${pooled ? 'pooled' : 'fresh'}\u0000${identity.id}`;
    let agent = this.identityAgents.get(key);
    if (agent === undefined) {
      agent = new https.Agent({ keepAlive: pooled, ...(pooled ? { maxSockets: this.options.maxSockets } : {}), cert: identity.certificate, key: identity.key, ...(this.ca ? { ca: this.ca } : {}) });
      this.identityAgents.set(key, agent);
    }
    return agent;
  }

  private async attempt(request: WireRequest, url: URL, agent: http.Agent, identity?: ClientIdentity): Promise<WireResponse> {
    // The wait comes before the request's timer: pacing is not the target's slowness.
    if (this.options.pacer !== undefined) await this.options.pacer.wait(this.requestSignal);
    if (this.requestSignal.aborted) throw new RunInterrupted();
    return this.attemptNow(request, url, agent, identity);
  }

  private attemptNow(request: WireRequest, url: URL, agent: http.Agent, identity?: ClientIdentity): Promise<WireResponse> {
    const secure = url.protocol === 'https:';
    const transport = secure ? https : http;
    const tunnel = agent instanceof TunnelAgent ? agent : undefined;
    return new Promise<WireResponse>((resolve, reject) => {
      const req = transport.request(url, {
        method: request.method,
        agent,
        timeout: this.options.timeoutMs,
        signal: this.requestSignal,
        // TLS inside a tunnel is set up from the request's options (the tunnel agent's serve the proxy connection).
        ...(tunnel !== undefined && secure && this.ca !== undefined ? { ca: this.ca } : {}),
        ...(tunnel !== undefined && identity !== undefined ? { cert: identity.certificate, key: identity.key } : {}),
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
      // Through a proxy, a request has no socket until its tunnel is open: an error before then is the proxy's.
      let tunnelled = tunnel === undefined;
      req.on('socket', (socket) => {
        tunnelled = true;
        reused = usedSockets.has(socket);
        usedSockets.add(socket);
      });
      const timer = setTimeout(() => {
        const timeout = new RequestTimeout(this.options.timeoutMs);
        // Settled here, not on the 'error' that destroy() leads to: a request still waiting for its
        // tunnel has no socket to destroy, and node:http reports the error only once one arrives.
        reject(new AttemptFailed(timeout, false, tunnel?.isConnecting(req) === true));
        req.destroy(timeout);
      }, this.options.timeoutMs);
      // Stopped: settled now, for the same reason (a request waiting for its tunnel hears of destroy() only later).
      const onStop = () => {
        clearTimeout(timer);
        reject(new AttemptFailed(new RunInterrupted(), false));
      };
      this.requestSignal.addEventListener('abort', onStop, { once: true });
      req.once('close', () => this.requestSignal.removeEventListener('abort', onStop));
      req.on('timeout', () => req.destroy(new RequestTimeout(this.options.timeoutMs)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // Node's own test for this race is `reusedSocket` and no response (ECONNRESET, EPIPE, or "socket hang up" for an EOF);
        // but Node sets `reusedSocket` only when a request finds a free socket, not when a queued request is handed one
        // that just came free, so the client keeps its own record of the sockets that carried a request before.
        const lost = (req.reusedSocket || reused) && !answered && classifyTransportError(error).kind === 'reset';
        reject(new AttemptFailed(error, lost, !tunnelled));
      });
      req.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        let settled = false;
        const settle = (truncated: boolean) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const text = Buffer.concat(chunks).subarray(0, MAX_KEPT_BODY_BYTES).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: joinHeaders(res.rawHeaders), rawHeaders: pairs(res.rawHeaders), text, ...bodyOf(text, truncated) });
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          // Past what is kept: the rest is not read (a body without end costs nothing more); the connection goes with it.
          if (size > MAX_KEPT_BODY_BYTES) {
            settle(true);
            res.destroy();
          }
        });
        res.on('error', (error: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(new AttemptFailed(error, false));
        });
        res.on('end', () => settle(false));
      });
      req.end(request.body);
    });
  }

  /**
   * One TLS handshake with an https target, no HTTP sent: the protocol and
   * cipher suite the server chose from what was offered, or why the handshake
   * ended. Used to ask what the server accepts (old versions, weak suites),
   * so OpenSSL's security level 0 lets anything be offered at all. Bounded by
   * the request timeout and the run's signal; takes a turn under the pacer.
   */
  async offerHandshake(target: string, offer: HandshakeOffer): Promise<HandshakeAnswer> {
    const url = new URL(target);
    if (this.options.pacer !== undefined) await this.options.pacer.wait(this.requestSignal);
    return new Promise((resolve) => {
      let settled = false;
      let connected = false;
      const done = (answer: HandshakeAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const socket = tls.connect({
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 443),
        servername: /^[\d.]+$|:/.test(url.hostname) ? undefined : url.hostname,
        minVersion: offer.version,
        maxVersion: offer.version,
        ciphers: `${offer.ciphers ?? 'DEFAULT'}@SECLEVEL=0`,
        ...(this.ca ? { ca: this.ca } : {}),
        ...(offer.identity ? { cert: offer.identity.certificate, key: offer.identity.key } : {}),
        // The question is what the server negotiates, not its certificate (which the run's requests judge).
        rejectUnauthorized: false,
      });
      socket.once('connect', () => (connected = true));
      const timer = setTimeout(() => done({ outcome: 'unreached', reason: `no TLS answer within ${this.options.timeoutMs} ms` }), this.options.timeoutMs);
      socket.once('secureConnect', () => done({ outcome: 'negotiated', protocol: socket.getProtocol() ?? offer.version, cipher: socket.getCipher().name }));
      socket.once('error', (error: NodeJS.ErrnoException) => done({ outcome: connected ? 'refused' : 'unreached', reason: error.code ?? error.message }));
      this.requestSignal.addEventListener('abort', () => done({ outcome: 'unreached', reason: 'the run stopped' }), { once: true });
    });
  }

  /** Ends every request in flight or waiting for its turn, and any later one: the run will not go on. */
  halt(): void {
    this.halting.abort();
    this.closing.abort();
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.freshHttpAgent.destroy();
    this.freshHttpsAgent.destroy();
    for (const agent of this.identityAgents.values()) agent.destroy();
    this.tunnels?.pooled.destroy();
    this.tunnels?.fresh.destroy();
    this.closing.abort();
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

/** The body as judged: parsed JSON when complete, JSON and nested at most MAX_JSON_DEPTH deep; else the text, marked. */
function bodyOf(text: string, truncated: boolean): Pick<WireResponse, 'body' | 'truncated' | 'tooDeep'> {
  if (truncated) return { body: text, truncated: true };
  if (text.length === 0) return { body: undefined };
  const parsed = parseBoundedJson(text);
  if (parsed.ok) return { body: parsed.value };
  return parsed.reason === 'too-deep' ? { body: text, tooDeep: true } : { body: text };
}
