/**
 * A TCP relay in front of the test PostgreSQL, to cut the database off from a server under test:
 * `stop()` closes the port and resets every relayed connection (as a crashed or unreachable
 * PostgreSQL does: new connections are refused, open ones fail), `start()` listens on the same port
 * again. `url(database)` is the relay's address for a database.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { PG_BASE_URL } from './pg.js';

export interface PgProxy {
  url(database: string): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startPgProxy(): Promise<PgProxy> {
  const target = new URL(PG_BASE_URL);
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const relay = (client: Socket): void => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };
  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer(relay);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const address = s.address();
        if (typeof address === 'object' && address !== null) port = address.port;
        server = s;
        resolve();
      });
    });
  const stop = async (): Promise<void> => {
    const s = server;
    server = null;
    for (const socket of sockets) socket.resetAndDestroy();
    if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await start();
  return {
    url: (database) => `postgres://${target.username || 'postgres'}@127.0.0.1:${port}/${database}`,
    stop,
    start,
    close: stop,
  };
}
