/**
 * Issue 23 item 5 in distributed mode: the longest main-thread block while a member's cache
 * (PgCache, through PgIndexStore) takes in the 9.5 MiB file of the stall benchmark — 12.4k chunk
 * records with 384-d vectors, written into PostgreSQL by another member (its own pool). Each phase
 * writes first with the reader's catch-up idle (no LISTEN, polling set far off), then starts a probe
 * (a 1 ms timer chained on itself: the longest gap between two of its turns is the longest block)
 * and lets the reader catch up until it reflects the head:
 *  - write: the file's records arrive; rewrite: every record replaced (same ids, other words);
 *    delete: the file's tombstones; load: a fresh member loads the 12.4k records from a snapshot.
 * Needs PostgreSQL at TEST_DATABASE_URL_BASE (default postgres://postgres@127.0.0.1:5432); creates
 * and drops a database per round. Uses PgIndexStore's public surface only, so the same file runs
 * against an older tree (before/after in one run: alternate the trees).
 *
 *   node --import ./test/helpers/ts-register.mjs scripts/bench-pg-cache-blocks.ts [rounds]
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PgIndexStore } from '../src/index/pg-store.js';
import { fileRecords } from '../src/indexing/records.js';
import { logger } from '../src/log.js';
import { DEFAULT_POLICY, eq, type IndexRecord } from '../src/policy/index.js';
import { migrate } from '../src/storage/pg/migrate.js';
import { createPool } from '../src/storage/pg/pool.js';
import { PgRecords } from '../src/storage/pg/records.js';
import { poolDatabase } from '../src/storage/pg/sql.js';
import { BENCH_DATABASE_BASE, openDatabase } from './lib/database.js';
import { DIMENSION, MIB, times, vector } from './lib/memory-probe.js';

const silent = logger.child({}, { level: 'silent' });
const EMBEDDER = { id: 'bench:pg-cache-blocks', dimension: DIMENSION };
const URI = 'viking://resources/stall/large/big.md';

/** The stall benchmark's file (scripts/stall/large-file.ts): 9.5 MiB of one line repeated. */
function bigText(seed: string): string {
  const line = `${seed} the quick brown fox jumps over the lazy dog near the riverbank at dawn\n`;
  return line.repeat(Math.floor((9.5 * MIB) / Buffer.byteLength(line)));
}

function fileOf(seed: string): IndexRecord[] {
  return fileRecords('acme', URI, bigText(seed), DEFAULT_POLICY, times).map((draft, i) => ({
    ...draft,
    vector: vector(i + (seed === 'alpha' ? 0 : 100_000)),
  }));
}

/** The longest gap between two turns of a 1 ms timer, from {@link start} to {@link stop}. */
class BlockProbe {
  private last = 0;
  private longest = 0;
  private timer: NodeJS.Timeout | null = null;
  start(): void {
    this.last = performance.now();
    const tick = (): void => {
      const now = performance.now();
      this.longest = Math.max(this.longest, now - this.last);
      this.last = now;
      this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }
  stop(): number {
    if (this.timer !== null) clearTimeout(this.timer);
    return Math.max(this.longest, performance.now() - this.last);
  }
}

const reflects = (store: PgIndexStore): number => Number(store.memoryStatus()['reflects_seq']);

/** Lets `reader` catch up to the head under the probe: the longest block and the time it took. */
async function caughtUpUnderProbe(reader: PgIndexStore, records: PgRecords) {
  const head = await records.lastSeq();
  const probe = new BlockProbe();
  const started = performance.now();
  probe.start();
  void reader.caughtUp();
  while (reflects(reader) < head) await new Promise((resolve) => setTimeout(resolve, 5));
  return { longest_ms: probe.stop(), total_ms: performance.now() - started };
}

async function round(figures: Record<string, number[]>): Promise<void> {
  const add = (name: string, ms: number) => (figures[name] ??= []).push(ms);
  const db = await openDatabase(BENCH_DATABASE_BASE);
  const writerPool = createPool(db.url);
  const readerPool = createPool(db.url);
  const open = (pollMs: number) =>
    PgIndexStore.open({
      db: poolDatabase(readerPool),
      embedder: EMBEDDER,
      memoryBudgetBytes: 2 ** 30,
      tombstones: false,
      pollMs,
      log: silent,
    });
  try {
    await migrate(writerPool);
    const records = new PgRecords(poolDatabase(writerPool));
    const reader = await open(600_000);
    await reader.whenLoaded();
    for (const [phase, write] of [
      ['write', () => records.upsert(fileOf('alpha'))],
      ['rewrite', () => records.upsert(fileOf('bravo'))],
      ['delete', () => records.delete(eq('uri', URI))],
    ] as const) {
      await write();
      const { longest_ms, total_ms } = await caughtUpUnderProbe(reader, records);
      add(`${phase}: longest block`, longest_ms);
      add(`${phase}: catch-up total`, total_ms);
    }
    await reader.close();
    await records.upsert(fileOf('alpha'));
    const probe = new BlockProbe();
    const started = performance.now();
    probe.start();
    const loading = await open(600_000);
    await loading.whenLoaded();
    add('load: longest block', probe.stop());
    add('load: total', performance.now() - started);
    if (loading.memoryStatus()['records'] !== fileOf('alpha').length) throw new Error('load incomplete');
    await loading.close();
  } finally {
    await writerPool.end();
    await readerPool.end();
    await db.drop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const rounds = Number(process.argv[2] ?? 3);
const figures: Record<string, number[]> = {};
console.log(`records: ${fileOf('alpha').length}; load before: ${load()}`);
for (let r = 0; r < rounds; r++) await round(figures);
for (const [name, ms] of Object.entries(figures))
  console.log(`${name}: median ${median(ms).toFixed(0)} ms (${ms.map((m) => m.toFixed(0)).join(', ')})`);
console.log(`load after: ${load()}`);
