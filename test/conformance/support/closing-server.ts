/**
 * A server that answers every request with a small JSON error, then closes
 * the connection (keep-alive announced, never honoured): a client that
 * reuses the connection loses its next request before any response byte.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ClosingServer {
  url: string;
  /** Requests the handler saw (a request lost on a closed connection never reaches it). */
  requests: () => number;
  close: () => Promise<void>;
}

export async function startClosingServer(): Promise<ClosingServer> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests += 1;
    req.resume();
    req.on('end', () => {
      res.on('finish', () => setImmediate(() => req.socket.destroy()));
      res.writeHead(400, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end('{"error":"invalid_request"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
