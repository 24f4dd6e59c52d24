/**
 * How fast a registry change made by one process reaches another (SPEC 14: within 1 s), on one
 * PostgreSQL: process A registers users one at a time; after each acknowledged registration the
 * clock runs until process B (LISTEN/NOTIFY plus the 500 ms poll, the default) and process C (the
 * poll alone: the safety net, measured in the same run as the baseline) authenticate the new key.
 * Prints p50/p99/max of each and their ratio; creates and drops a database of its own.
 *
 *   node --import ./test/helpers/ts-register.mjs scripts/bench-registry-feed.ts --changes 200
 *   (TEST_DATABASE_URL_BASE overrides postgres://postgres@127.0.0.1:5432)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AccountStore } from '../src/accounts/store.js';
import { NO_HOOKS } from '../src/hooks.js';
import { migrate } from '../src/storage/pg/migrate.js';
import { createPool, type Pool } from '../src/storage/pg/pool.js';
import { PgRegistryStorage, type PgRegistryOptions } from '../src/storage/pg/registry.js';
import { percentile } from './bench/measure.js';
import { BENCH_DATABASE_BASE, openDatabase } from './lib/database.js';

const argIndex = process.argv.indexOf('--changes');
const CHANGES = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const db = await openDatabase(BENCH_DATABASE_BASE);
  const url = db.url;
  const dataDir = await mkdtemp(join(tmpdir(), 'vs-bench-feed-'));
  const pools: Pool[] = [];
  const stores: AccountStore[] = [];
  const open = async (options: PgRegistryOptions): Promise<AccountStore> => {
    const pool = createPool(url);
    pools.push(pool);
    const store = await AccountStore.open({
      dataDir,
      registry: true,
      hooks: NO_HOOKS,
      storage: new PgRegistryStorage(pool, options),
    });
    stores.push(store);
    return store;
  };
  try {
    const migrator = createPool(url);
    await migrate(migrator);
    await migrator.end();
    const a = await open({});
    const b = await open({});
    const c = await open({ notify: false });
    await a.createAccount('acme', 'admin', {
      isolate_user_scope_by_agent: false,
      isolate_agent_scope_by_user: false,
    });
    await sleep(1000);
    const notified: number[] = [];
    const polled: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const key = await a.addUser('acme', `u${i}`, 'user');
      const start = performance.now();
      let seenB: number | undefined;
      let seenC: number | undefined;
      while (seenB === undefined || seenC === undefined) {
        if (seenB === undefined && b.authenticate(key) !== undefined) seenB = performance.now() - start;
        if (seenC === undefined && c.authenticate(key) !== undefined) seenC = performance.now() - start;
        if (performance.now() - start > 10_000) throw new Error(`change ${i} not seen within 10 s`);
        await sleep(1);
      }
      notified.push(seenB);
      polled.push(seenC);
      // Out of step with the poll's period.
      await sleep(Math.random() * 100);
    }
    const line = (label: string, values: number[]) =>
      `${label.padEnd(26)} p50 ${percentile(values, 50).toFixed(1).padStart(7)} ms  p99 ${percentile(
        values,
        99,
      )
        .toFixed(1)
        .padStart(7)} ms  max ${Math.max(...values)
        .toFixed(1)
        .padStart(7)} ms`;
    process.stdout.write(
      `registry change → other process, ${CHANGES} changes, node ${process.version}\n` +
        `${line('LISTEN/NOTIFY + poll', notified)}\n${line('poll alone (baseline)', polled)}\n` +
        `p50 ratio poll/notify: ${(percentile(polled, 50) / percentile(notified, 50)).toFixed(1)}×\n`,
    );
  } finally {
    await Promise.all(stores.map((store) => store.close()));
    await Promise.all(pools.map((pool) => pool.end()));
    await rm(dataDir, { recursive: true, force: true });
    await db.drop();
  }
}

await main();
