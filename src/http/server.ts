/**
 * The listening HTTP server around an express app: limits against slow or too many clients
 * (request, header and keep-alive timeouts, a connection cap) and a graceful drain for shutdown —
 * stop accepting, let in-flight requests finish with `Connection: close`, close idle keep-alive
 * sockets, and cut whatever is still open when the deadline passes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Config } from '../config.js';
import { settlesWithin } from '../deadline.js';

export type ServerLimits = Pick<
  Config,
  'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections'
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

/** Creates the server for `app` with `limits`, listening on `port` and `host`. */
export function listen(app: Express, limits: ServerLimits, port: number, host: string): Promise<Served> {
  const server = createServer({
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkingIntervalMs(limits),
  });
  server.maxConnections = limits.maxConnections;
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
