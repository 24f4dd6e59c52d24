/**
 * A TCP proxy in front of PostgreSQL that a test can cut: `down()` resets every open connection and
 * refuses new ones (what a restart or failover looks like to a client), `up()` accepts again. The
 * machine's PostgreSQL itself is never restarted, so test files running beside this one are unaffected.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Resets every connection and refuses new ones until {@link up}. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let accepting = true;
  const server: Server = createServer((client) => {
    if (!accepting) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const end = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    down: () => {
      accepting = false;
      for (const socket of open) socket.resetAndDestroy();
      open.clear();
    },
    up: () => {
      accepting = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        accepting = false;
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
