/**
 * Distributed mode's index cache (issue 24, SPEC 14: "every process finds it within 1 s (p99)"):
 * two PgIndexStores on two pools (two processes), each with its in-memory cache. Measures the full
 * load of a cache from PostgreSQL (records/s), then how long after a writer's upsert resolves the
 * other process's cache reflects it, by NOTIFY (LISTEN on, polling set far off) and by polling
 * alone (500 ms, notifications lost). Needs PostgreSQL at TEST_DATABASE_URL_BASE (default
 * postgres://postgres@127.0.0.1:5432); creates and drops a database.
 *
 *   node --import ./test/helpers/ts-register.mjs scripts/bench-pg-cache.ts --records 20000 --writes 100
 */
import { performance } from 'node:perf_hooks';
import { PgIndexStore } from '../src/index/pg-store.js';
import { logger } from '../src/log.js';
import type { IndexRecord } from '../src/policy/index.js';
import { listenOn } from '../src/storage/pg/catch-up.js';
import { migrate } from '../src/storage/pg/migrate.js';
import { createPool, type Pool } from '../src/storage/pg/pool.js';
import { PgRecords } from '../src/storage/pg/records.js';
import { poolDatabase } from '../src/storage/pg/sql.js';
import { percentile, round } from './bench/measure.js';
import { DIM, Rng } from './bench/rng.js';
import { resourceRecord } from './bench/records.js';
import { numberFlag } from './lib/cli.js';
import { BENCH_DATABASE_BASE, openDatabase } from './lib/database.js';

const silent = logger.child({}, { level: 'silent' });
const EMBEDDER = { id: 'bench:pg-cache', dimension: DIM };

function records(from: number, n: number, rng: Rng): IndexRecord[] {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    const vector = new Float32Array(DIM);
    for (let d = 0; d < DIM; d++) vector[d] = rng.next() - 0.5;
    return resourceRecord(i, { account_id: `acct${i % 10}`, text: `record ${i} words w${i % 97}`, vector });
  });
}

const open = (pool: Pool, listen: boolean, pollMs?: number) =>
  PgIndexStore.open({
    db: poolDatabase(pool),
    embedder: EMBEDDER,
    memoryBudgetBytes: 2 ** 30,
    tombstones: false,
    ...(listen ? { subscribe: listenOn(pool) } : {}),
    ...(pollMs === undefined ? {} : { pollMs }),
    log: silent,
  });

/** Ms from each upsert resolving on `writer` until `reader`'s cache reflects its seq. */
async function visibility(
  writer: PgIndexStore,
  reader: PgIndexStore,
  head: PgRecords,
  n: number,
  rng: Rng,
  at: number,
) {
  const lags: number[] = [];
  for (let i = 0; i < n; i++) {
    await writer.upsert(records(at + i * 8, 8, rng));
    const done = performance.now();
    const seq = await head.lastSeq();
    while (Number(reader.memoryStatus()['reflects_seq']) < seq) await new Promise((r) => setImmediate(r));
    lags.push(performance.now() - done);
  }
  return {
    p50_ms: round(percentile(lags, 50)),
    p99_ms: round(percentile(lags, 99)),
    max_ms: round(Math.max(...lags)),
  };
}

async function main(): Promise<void> {
  const n = numberFlag('--records', 20_000);
  const writes = numberFlag('--writes', 100);
  const db = await openDatabase(BENCH_DATABASE_BASE);
  const writerPool = createPool(db.url);
  const readerPool = createPool(db.url);
  try {
    await migrate(writerPool);
    const rng = new Rng(7);
    const writer = await open(writerPool, false);
    const head = new PgRecords(poolDatabase(writerPool));
    for (let i = 0; i < n; i += 512) await writer.upsert(records(i, Math.min(512, n - i), rng));

    const started = performance.now();
    const notified = await open(readerPool, true, 600_000);
    await notified.whenLoaded();
    const loadMs = performance.now() - started;
    console.log(
      JSON.stringify({ load: { records: n, ms: round(loadMs), records_per_s: round((n / loadMs) * 1000) } }),
    );
    console.log(JSON.stringify({ notify: await visibility(writer, notified, head, writes, rng, n) }));
    await notified.close();

    const polled = await open(readerPool, false);
    await polled.whenLoaded();
    console.log(
      JSON.stringify({
        polling_500ms: await visibility(writer, polled, head, Math.min(writes, 40), rng, n + 8 * writes),
      }),
    );
    await polled.close();
    await writer.close();
  } finally {
    await writerPool.end();
    await readerPool.end();
    await db.drop();
  }
}

await main();
