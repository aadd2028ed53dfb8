/**
 * A node:http server on 127.0.0.1 answering with one handler: the shape the
 * discovery and metadata tests give a server that breaks one rule.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from '@jest/globals';
import { createReferenceServer, type ReferenceServer } from '../../src/server';

export interface TinyServer {
  origin: string;
  close(): Promise<void>;
}

/** Listening when the promise resolves; `origin` is what the handler's URLs are built from. */
export async function tiny(handler: (req: IncomingMessage, res: ServerResponse, origin: string) => void): Promise<TinyServer> {
  let origin = '';
  const server: Server = createServer((req, res) => handler(req, res, origin));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'Content-Type': type }).end(JSON.stringify(body));
}

/**
 * In a describe block: a reference server (the token endpoint the runs
 * target, DPoP on, no nonces) and the small servers the tests start beside
 * it, all closed after the block.
 */
export function referenceBesideTinyServers(): { reference: () => ReferenceServer; tiny: typeof tiny } {
  let reference: ReferenceServer | undefined;
  const servers: TinyServer[] = [];
  beforeAll(async () => {
    reference = await createReferenceServer({ dpop: { enabled: true, requireNonce: false } });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await reference?.close();
  });
  return {
    reference: () => reference!,
    tiny: async (handler) => {
      const server = await tiny(handler);
      servers.push(server);
      return server;
    },
  };
}
