/**
 * Runs built services behind the HTTP server, and their bounded, graceful shutdown: on SIGINT or
 * SIGTERM the server drains (no new connections, in-flight requests finish with `Connection: close`),
 * then the indexer finishes its batch — all within SHUTDOWN_TIMEOUT_S. Whatever is unfinished at the
 * deadline (requests are cut, an index batch is abandoned) stays in the journal for the next start.
 */
import { createApp } from './http/app.js';
import { listen, type Served } from './http/server.js';
import { createWorkerApp } from './http/worker-app.js';
import type { Logger } from './log.js';
import type { Services } from './services.js';

/**
 * Serves `services` on the configured port and host: the whole API, or with `ROLE=worker` only the
 * health and readiness probes (SPEC 14).
 */
export function serve(services: Services): Promise<Served> {
  const { config } = services;
  const app = config.role === 'worker' ? createWorkerApp(services) : createApp(services);
  return listen(app, config, config.port, config.host);
}

/** Drains the server, then closes the services, within the configured deadline. */
export async function shutdown(served: Served, services: Services, log: Logger): Promise<void> {
  const deadline = Date.now() + services.config.shutdownTimeoutMs;
  if (!(await served.drain(services.config.shutdownTimeoutMs)))
    log.warn('requests still running at the shutdown deadline were cut off');
  await services.close(Math.max(0, deadline - Date.now()));
}

/** Shuts down on the first SIGINT/SIGTERM and exits: 0 when the shutdown went through, else 1. */
export function shutdownOn(served: Served, services: Services, log: Logger): void {
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    shutdown(served, services, log).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
