/**
 * A small HTTP proxy on 127.0.0.1 that speaks CONNECT (RFC 9110 §9.3.6)
 * and nothing else, for the proxy tests: it counts the tunnels it opens,
 * may require Basic credentials (407 otherwise, RFC 9110 §15.5.8), may
 * refuse every tunnel with a status of the test's choice or never answer,
 * and may resolve names only it knows (`staging.example:443` → a loopback
 * port), so a target reachable through it alone proves the run used it.
 *
 * It connects to loopback only: a tunnel to any other host is refused 502.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export interface Tunnel {
  /** The CONNECT request target: `host:port` (RFC 9110 §9.3.6 authority-form). */
  target: string;
  /** The Proxy-Authorization it carried, if any. */
  authorization: string | undefined;
}

export interface ConnectProxyOptions {
  /** Require these Basic credentials; a CONNECT without them is answered 407. */
  credentials?: { user: string; password: string };
  /** `tunnel` (default): open tunnels; `silent`: never answer a CONNECT; `hangup`: close the connection instead; a number: answer every CONNECT with that status. */
  answer?: 'tunnel' | 'silent' | 'hangup' | number;
  /** Names only the proxy resolves: `host:port` of the CONNECT → a port on 127.0.0.1. */
  hosts?: Record<string, number>;
  /** Speak TLS to clients (an https:// proxy). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface ConnectProxy {
  /** `http://127.0.0.1:PORT` (or `https://localhost:PORT` with `tls`), without credentials. */
  url: string;
  port: number;
  /** Every CONNECT received, in order (refused ones included). */
  tunnels: Tunnel[];
  /** Tunnels actually opened. */
  opened(): number;
  /** Local ports of the proxy's own connections to targets: a target's peer on one of them was reached through the proxy. */
  upstreamPorts: Set<number>;
  answer: NonNullable<ConnectProxyOptions['answer']>;
  /** Resolves once no client connection is open (a client that gave up on a silent proxy closed its side). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const sockets = new Set<net.Socket>();
  const clients = new Set<net.Socket>();
  const onIdle: Array<() => void> = [];
  const trackClient = (socket: net.Socket) => {
    clients.add(socket);
    socket.on('close', () => {
      clients.delete(socket);
      if (clients.size === 0) for (const resolve of onIdle.splice(0)) resolve();
    });
  };
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A peer that goes away mid-tunnel is the normal end of a tunnel here, not a test failure.
    socket.on('error', () => socket.destroy());
  };
  const expected = options.credentials ? `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}` : undefined;
  let opened = 0;

  const refuse = (socket: net.Socket, status: number, extra = '') => {
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Refused'}\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n`);
  };

  const onConnect = (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    track(client);
    const target = req.url ?? '';
    const authorization = req.headers['proxy-authorization'];
    proxy.tunnels.push({ target, authorization });
    // Silent: never answer; read (and drop) whatever comes, so the client's close is seen (http.Server sockets allow half-open).
    if (proxy.answer === 'silent') {
      client.on('end', () => client.destroy());
      return void client.resume();
    }
    if (proxy.answer === 'hangup') return void client.end();
    if (typeof proxy.answer === 'number') return refuse(client, proxy.answer);
    if (expected !== undefined && authorization !== expected) return refuse(client, 407, 'Proxy-Authenticate: Basic realm="test proxy"\r\n');
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(target.slice(colon + 1));
    const mapped = options.hosts?.[target];
    if (mapped === undefined && !LOOPBACK.has(host)) return refuse(client, 502);
    const upstream = net.connect(mapped ?? port, mapped === undefined ? host : '127.0.0.1');
    track(upstream);
    upstream.once('error', () => refuse(client, 502));
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      upstream.on('error', () => upstream.destroy());
      opened += 1;
      proxy.upstreamPorts.add(upstream.localPort!);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      // Either side closing ends the tunnel, as a proxy does: a target that drops a connection drops the client's.
      upstream.pipe(client);
      client.pipe(upstream);
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
  };

  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }) : http.createServer();
  // Only CONNECT is served: anything else is not for this proxy.
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(405, { Allow: 'CONNECT', 'Content-Length': '0' }).end());
  server.on('connect', onConnect);
  server.on('connection', (socket: net.Socket) => {
    track(socket);
    trackClient(socket);
  });
  server.on('secureConnection', track);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  const proxy: ConnectProxy = {
    url: options.tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`,
    port,
    tunnels: [],
    opened: () => opened,
    upstreamPorts: new Set(),
    answer: options.answer ?? 'tunnel',
    idle: () => (clients.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => onIdle.push(resolve))),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed): a refused connection. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
