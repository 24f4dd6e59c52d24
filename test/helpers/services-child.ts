/**
 * Child-process half of the service-level e2e tests (run through ts-register.mjs, outside jest, with
 * LOG_LEVEL=silent), configured by its environment like the real server (DATA_DIR, EMBEDDER, ...):
 * - `open`: builds the services, writes one file with wait: true, closes, and prints
 *   `{"ok": true, "embedder": id}` or `{"ok": false, "code", "message"}` if building failed.
 * - `write <n>`: builds the services with a slowed-down embedder (so the queue cannot drain), writes n
 *   files through the Vfs (retrying after a 429, as a client would), prints "written" and stays alive until the parent kills it.
 * - `serve`: the real server (src/serve.ts: limits, drain, bounded shutdown) on PORT, every embed call
 *   slowed by SLOW_EMBED_MS; prints "listening <port>" and exits on SIGTERM like `npm start`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { isAppError } from '../../src/errors.js';
import type { Embedder } from '../../src/embedders/embedder.js';
import { logger } from '../../src/log.js';
import { DEFAULT_POLICY, type RequestContext } from '../../src/policy/index.js';
import { serve, shutdownOn } from '../../src/serve.js';
import { buildServices } from '../../src/services.js';

const CTX: RequestContext = {
  role: 'user',
  policy: DEFAULT_POLICY,
  effective: { account_id: 'default', user_id: 'alice', agent_id: 'bot' },
};

/** Makes every embed call slow, as a large model would be, without changing what it returns. */
function slowDown(embedder: Embedder, ms: number): void {
  const embed = embedder.embed.bind(embedder);
  Object.assign(embedder, {
    embed: async (texts: readonly string[]) => {
      await sleep(ms);
      return embed(texts);
    },
  });
}

async function open(): Promise<void> {
  try {
    const services = await buildServices(loadConfig(process.env), logger);
    await services.vfs.write(CTX, {
      uri: 'viking://resources/child.md',
      content: 'from the child',
      wait: true,
    });
    await services.close();
    process.stdout.write(JSON.stringify({ ok: true, embedder: services.embedder.id }));
  } catch (error) {
    const code = isAppError(error) ? error.code : 'UNKNOWN';
    const message = error instanceof Error ? error.message : String(error);
    process.stdout.write(JSON.stringify({ ok: false, code, message }));
  }
}

/** false for a backpressure refusal (RESOURCE_EXHAUSTED), rethrows anything else. */
function backpressure(error: unknown): false {
  if (isAppError(error) && error.code === 'RESOURCE_EXHAUSTED') return false;
  throw error;
}

async function write(count: number): Promise<void> {
  const services = await buildServices(loadConfig(process.env), logger);
  slowDown(services.embedder, 300);
  await services.vfs.ensureIdentity(CTX);
  for (let i = 0; i < count; i++) {
    const file = { uri: `viking://resources/crash/f${i}.md`, content: `crashfile number${i}` };
    // The slowed indexer can fall behind enough for backpressure (429): retry as a client would.
    while (!(await services.vfs.write(CTX, file).then(() => true, backpressure))) await sleep(200);
  }
  process.stdout.write('written\n');
  setInterval(() => undefined, 1000);
}

async function serveSlowly(): Promise<void> {
  const services = await buildServices(loadConfig(process.env), logger);
  slowDown(services.embedder, Number(process.env['SLOW_EMBED_MS'] ?? 0));
  const served = await serve(services);
  shutdownOn(served, services, logger);
  const address = served.server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : ''}\n`);
}

const [command, count] = process.argv.slice(2);
if (command === 'open') await open();
else if (command === 'write' && count !== undefined) await write(Number(count));
else if (command === 'serve') await serveSlowly();
else throw new Error('usage: services-child open | write <n> | serve');
