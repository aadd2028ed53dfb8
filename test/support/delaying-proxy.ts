/**
 * A TCP relay on 127.0.0.1 that puts a target "far away": every chunk waits
 * half the round-trip time in each direction, and a new connection waits
 * one round trip before its first byte is relayed (the TCP handshake a
 * remote server costs), so keep-alive reuse matters as it does on a real
 * network. Order is kept per direction. Used by the latency test and
 * `npm run bench:conformance`.
 */
import net from 'node:net';

export interface DelayingProxy {
  /** `http://127.0.0.1:<port>`: the origin to use instead of the target's. */
  origin: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** `target` is read for each connection, so a server that must know the proxy's origin (its issuer) can start after the proxy. */
export async function startDelayingProxy(target: () => { host: string; port: number }, rttMs: number): Promise<DelayingProxy> {
  const oneWay = rttMs / 2;
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted += 1;
    const { host, port } = target();
    const upstream = net.connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    // The handshake of a fresh connection: nothing is relayed before one round trip has passed.
    const open = Date.now() + rttMs;
    relay(client, upstream, oneWay, open);
    relay(upstream, client, oneWay, open);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Relays `from` to `to`, each chunk `delayMs` later than it arrived (and not before `notBefore`), in order; an end follows the last chunk. */
function relay(from: net.Socket, to: net.Socket, delayMs: number, notBefore: number): void {
  let chain = Promise.resolve();
  const later = (action: () => void) => {
    const due = Math.max(Date.now() + delayMs, notBefore);
    chain = chain.then(
      () =>
        new Promise<void>((resolve) => {
          setTimeout(() => {
            if (!to.destroyed) action();
            resolve();
          }, Math.max(0, due - Date.now()));
        }),
    );
  };
  from.on('data', (chunk: Buffer) => later(() => to.write(chunk)));
  from.on('end', () => later(() => to.end()));
}
