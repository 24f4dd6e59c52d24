/**
 * The listening HTTP server around an express app: limits against slow or too many clients
 * (request, header and keep-alive timeouts, a connection cap, a per-client connection cap and a short
 * deadline for a new connection's first request) and a graceful drain for shutdown —
 * stop accepting, let in-flight requests finish with `Connection: close`, close idle keep-alive
 * sockets, and cut whatever is still open when the deadline passes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import type { Config } from '../config.js';
import { settlesWithin } from '../deadline.js';

export type ServerLimits = Pick<
  Config,
  | 'requestTimeoutMs'
  | 'headersTimeoutMs'
  | 'keepAliveTimeoutMs'
  | 'maxConnections'
  | 'maxConnectionsPerClient'
  | 'firstRequestTimeoutMs'
>;

export interface Served {
  readonly server: Server;
  /**
   * Stops accepting connections and waits up to `deadlineMs` for the requests in flight; every
   * response from now on says `Connection: close`. True if everything finished in time; otherwise
   * the remaining connections are closed and the answer is false.
   */
  drain(deadlineMs: number): Promise<boolean>;
}

/** How often node looks for requests past their timeouts (its default, 30 s, is far too coarse). */
function checkingIntervalMs(limits: ServerLimits): number {
  return Math.max(50, Math.min(1000, limits.headersTimeoutMs / 4));
}

/**
 * Who a connection counts against: its IPv4 address (also when mapped into IPv6), or the /64 of an
 * IPv6 address, since one host usually holds a whole /64.
 */
export function clientOf(address: string | undefined): string {
  if (address === undefined) return '?';
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!bare.includes(':')) return bare;
  const [head = '', tail = ''] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = [
    ...left,
    ...new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'),
    ...right,
  ];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * One client may hold `maxConnectionsPerClient` connections (further ones are closed at once), and a
 * new connection that has not sent its first request's headers within `firstRequestTimeoutMs` is
 * closed: a client opening sockets and sending nothing cannot hold the server's connection slots
 * for the whole headers timeout. (MAX_CONNECTIONS still caps all clients together.)
 */
function guardConnections(server: Server, limits: ServerLimits): void {
  const open = new Map<string, number>();
  /** Each new connection's deadline for its first request, until that request arrives. */
  const firstRequest = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('connection', (socket: Socket) => {
    const client = clientOf(socket.remoteAddress);
    const count = (open.get(client) ?? 0) + 1;
    if (count > limits.maxConnectionsPerClient) {
      socket.destroy();
      return;
    }
    open.set(client, count);
    firstRequest.set(socket, setTimeout(() => socket.destroy(), limits.firstRequestTimeoutMs).unref());
    socket.once('close', () => {
      clearTimeout(firstRequest.get(socket));
      const left = (open.get(client) ?? 1) - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
    });
  });
  server.on('request', (req: IncomingMessage) => {
    clearTimeout(firstRequest.get(req.socket));
    firstRequest.delete(req.socket);
  });
}

/** Creates the server for `app` with `limits`, listening on `port` and `host`. */
export function listen(app: Express, limits: ServerLimits, port: number, host: string): Promise<Served> {
  const server = createServer({
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkingIntervalMs(limits),
  });
  server.maxConnections = limits.maxConnections;
  guardConnections(server, limits);
  const inflight = new Set<ServerResponse>();
  let draining = false;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (draining) res.setHeader('Connection', 'close');
    inflight.add(res);
    res.on('close', () => {
      inflight.delete(res);
      // A keep-alive response that began before the drain leaves its socket idle: close it now.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    app(req, res);
  });
  const drain = async (deadlineMs: number): Promise<boolean> => {
    draining = true;
    for (const res of inflight) if (!res.headersSent) res.setHeader('Connection', 'close');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const finished = await settlesWithin(closed, deadlineMs);
    if (!finished) server.closeAllConnections();
    return finished;
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, drain });
    });
  });
}
