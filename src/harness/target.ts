/**
 * What a token endpoint client talks to: a URL (staging), an http.Server, or
 * a request listener / Express-style app. Servers the harness starts itself
 * listen on 127.0.0.1 with an ephemeral port and are closed by `close()`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { DEFAULT_TOKEN_PATH, isBareOrigin } from '../oauth/protocol';
import { redactQuery } from '../oauth/redact';
import { HarnessTransportError, InvalidArgumentError } from '../errors';

export type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;

/** An http(s).Server, a request listener / Express app, or an absolute http(s) URL of the token endpoint. */
export type TokenEndpointTarget = http.Server | tls.Server | RequestListener | string | URL;


export class ResolvedTarget {
  /** Path plus query of the token endpoint. */
  readonly path: string;
  /** Origin (`http://127.0.0.1:4000`) once known; always known for URL targets. */
  origin: string | undefined;
  /** Resolves to the origin once the server accepts connections. */
  readonly ready: Promise<string>;
  /** An https server object: local, so its (typically self-signed) loopback certificate is trusted. */
  readonly isLocalTls: boolean;
  private ownedServer: http.Server | tls.Server | undefined;

  constructor(target: TokenEndpointTarget, path: string | undefined) {
    if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) {
      throw new InvalidArgumentError(`tokenEndpoint: path must start with "/", got ${JSON.stringify(path)}`);
    }
    if (typeof target === 'string' || target instanceof URL) {
      const url = parseTargetUrl(target);
      this.origin = url.origin;
      // A bare origin names the server, not a root endpoint: use the default path (`path: '/'` targets the root).
      this.path = path ?? (isBareOrigin(url) ? DEFAULT_TOKEN_PATH : `${url.pathname}${url.search}`);
      this.ready = Promise.resolve(url.origin);
      this.ownedServer = undefined;
      this.isLocalTls = false;
      return;
    }
    this.path = path ?? DEFAULT_TOKEN_PATH;
    let server: http.Server | tls.Server;
    if (isServer(target)) {
      server = target;
    } else if (typeof target === 'function') {
      server = http.createServer(target as http.RequestListener);
    } else {
      throw new InvalidArgumentError('tokenEndpoint: target must be an http.Server, a request listener / Express app, or an absolute http(s) URL');
    }
    this.isLocalTls = server instanceof tls.Server;
    const address = server.address();
    if (address !== null && typeof address === 'object') {
      this.origin = originOf(server, address);
      this.ready = Promise.resolve(this.origin);
      return;
    }
    if (typeof address === 'string') throw new InvalidArgumentError('tokenEndpoint: servers listening on a pipe or socket path are not supported');
    // Not listening yet: listen on loopback only, and let the process exit even if nobody calls close().
    const owned = server;
    this.ownedServer = owned;
    this.ready = new Promise<string>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(new HarnessTransportError(`tokenEndpoint: cannot start the app on 127.0.0.1 (${error.code ?? error.message})`));
      };
      owned.once('error', onError);
      owned.listen(0, '127.0.0.1', () => {
        owned.removeListener('error', onError);
        this.origin = originOf(owned, owned.address() as AddressInfo);
        resolve(this.origin);
      });
      owned.unref();
    });
    // A failure is reported to whoever awaits `ready`; don't crash the process meanwhile.
    this.ready.catch(() => undefined);
  }

  /** `origin + path`, or `undefined` before the server listens. */
  get url(): string | undefined {
    return this.origin === undefined ? undefined : `${this.origin}${this.path}`;
  }

  /** A description safe for messages: query-string secrets redacted. */
  describe(): string {
    return describeUrl(this.url ?? `(app on 127.0.0.1)${this.path}`);
  }

  /** Closes a server the harness started; servers the caller passed in are left alone. */
  async close(): Promise<void> {
    const server = this.ownedServer;
    if (server === undefined || !server.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      if (server instanceof http.Server) server.closeAllConnections();
      else (server as unknown as http.Server).closeAllConnections?.();
    });
  }
}

/**
 * A URL with secret query parameters redacted, for messages: the markers are
 * written as is (`?client_secret=[redacted, 9 chars]`), not percent-encoded,
 * and the other parameters as the caller wrote them.
 */
export function describeUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  return `${url.slice(0, queryStart)}?${redactQuery(url.slice(queryStart + 1))}`;
}

function parseTargetUrl(target: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(target));
  } catch {
    throw new InvalidArgumentError(`tokenEndpoint: target ${JSON.stringify(describeUrl(String(target)))} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`tokenEndpoint: target must be an http(s) URL, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError('tokenEndpoint: credentials in the target URL are not supported; pass them as options.client');
  }
  url.hash = '';
  return url;
}

function isServer(value: unknown): value is http.Server | tls.Server {
  return value instanceof http.Server || value instanceof tls.Server;
}

function originOf(server: http.Server | tls.Server, address: AddressInfo): string {
  let host = address.address;
  // A wildcard listener is reachable on loopback; connect there, as supertest does.
  if (host === '::' || host === '0.0.0.0') host = '127.0.0.1';
  if (host.includes(':')) host = `[${host}]`;
  const protocol = server instanceof tls.Server ? 'https' : 'http';
  return `${protocol}://${host}:${address.port}`;
}
