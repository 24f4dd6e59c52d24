/** The server's resident set size sampled while an attack runs, for its peak. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadServer } from '../load/server.js';

const SAMPLE_EVERY_MS = 50;

/** Samples the server's RSS every 50 ms until `stop`, which resolves to the largest sample (MiB). */
export function watchRss(server: LoadServer): { stop(): Promise<number> } {
  let running = true;
  let peak = 0;
  const sampling = (async () => {
    while (running) {
      peak = Math.max(peak, await server.rssMb());
      await sleep(SAMPLE_EVERY_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await sampling;
      return Math.max(peak, await server.rssMb());
    },
  };
}
