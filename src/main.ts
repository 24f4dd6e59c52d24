/**
 * The server entry point and the only module with side effects at import: loads the configuration,
 * opens the stores, builds the app, listens (see serve.ts for the limits and the bounded shutdown).
 */
import { setFlagsFromString } from 'node:v8';
import { ConfigError, isLoopbackHost, loadConfig, type Config } from './config.js';
import { logger } from './log.js';
import { serve, shutdownOn } from './serve.js';
import { buildServices } from './services.js';
import { restrictUmask } from './storage/modes.js';

const MODE_TEXT: Record<Config['authMode'], string> = {
  api_key: 'api_key (ROOT_API_KEY set; requests need an API key)',
  trusted: 'trusted (identity from X-OpenViking-* headers set by a gateway)',
  dev: 'DEV MODE (no ROOT_API_KEY: every request is ROOT, admin API disabled; loopback only; start with ROOT_API_KEY=<secret> for keys and the admin API)',
};

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.authMode === 'dev' && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `dev mode (no ROOT_API_KEY) may only bind to a loopback address, not HOST=${config.host}; set ROOT_API_KEY or AUTH_MODE=trusted`,
    );
  }
  if (config.authMode === 'trusted' && config.rootApiKey === undefined && !isLoopbackHost(config.host)) {
    logger.warn(
      { host: config.host },
      'trusted mode without ROOT_API_KEY on a non-loopback address: anyone who reaches this port can claim any identity; keep it behind the gateway or set ROOT_API_KEY',
    );
  }
  // V8 reads this factor at every full collection; by default a busy server's heap grows to about
  // four times its live data and is seldom given back.
  if (config.heapGrowthPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.heapGrowthPercent}`);
  // Owner-only files and folders also for what libraries write (LanceDB, multer, backups).
  restrictUmask();
  const services = await buildServices(config, logger);
  const served = await serve(services).catch(async (error: unknown) => {
    await services.close();
    throw error;
  });
  shutdownOn(served, services, logger);
  // Started by `npm start` (scripts/start.mjs) with an IPC channel as a lifeline: when the launcher
  // dies without passing a signal on (npm killed, a SIGKILL), the channel closes and the server shuts
  // down as on SIGTERM instead of living on, holding the port and the DATA_DIR lock.
  if (process.channel !== undefined) {
    process.channel.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
  const address = served.server.address();
  const where =
    typeof address === 'object' && address !== null
      ? `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
      : config.host;
  process.stdout.write(
    config.role === 'worker'
      ? `VikingScope worker (ROLE=worker: indexing; answers /health and /ready only) on http://${where}\nembedder: ${services.embedder.id}\n`
      : `VikingScope listening on http://${where}\nauth mode: ${MODE_TEXT[config.authMode]}\nembedder: ${services.embedder.id}\n` +
          `web console: http://${where}/console/\nAPI reference: http://${where}/docs\n`,
  );
  logger.info(
    {
      host: config.host,
      port: config.port,
      authMode: config.authMode,
      role: config.role,
      distributed: config.databaseUrl !== undefined,
      embedder: services.embedder.id,
    },
    'listening',
  );
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `failed to start: ${String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
