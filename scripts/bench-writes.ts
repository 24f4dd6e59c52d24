/**
 * What one single write (`IndexStore.upsert` of one record) costs on a large table, by write path, in
 * one run: the benchmark corpus (scripts/bench/corpus.ts) bulk-loaded to N records and optimized,
 * then rounds of single writes — a new id and a rewrite of a loaded id — each made once by the old
 * path (`merge`: one merge by id for every record) and once by the new one (`split`: an `id IN (…)`
 * query, an append for ids the table lacks, a merge for the rest). The paths alternate write by
 * write (the first one swaps every round), on the same table and store, with background compaction
 * every 50 writes as in the server, so both see the same table size, fragments and machine load.
 *
 *   npm run bench:writes -- [--records N] [--rounds R] [--batch B] [--mirror-mb M]
 *
 * `--batch B` makes each write B records (B new ids, or B loaded ids rewritten), as an indexing
 * batch of a large file would be.
 *
 * Prints p50 / p99 / mean ms per path and kind and the ratio merge ÷ split, then checks the table:
 * one row per id (N + R × 2 × B new ids).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lancedb from '@lancedb/lancedb';
import { pino } from 'pino';
import type { IndexRecord } from '../src/policy/index.js';
import { IndexStore, TABLE_NAME } from '../src/index/store.js';
import type { WritePath } from '../src/index/table-write.js';
import { buildBatch, makeLayout, planCorpus } from './bench/corpus.js';
import { percentile } from './bench/measure.js';
import { DIM, Rng } from './bench/rng.js';

const PATHS: readonly WritePath[] = ['merge', 'split'];
const KINDS = ['new', 'rewrite'] as const;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

function line(label: string, samples: number[]): string {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const p = (q: number) => percentile(samples, q).toFixed(1);
  return `${label.padEnd(14)} p50 ${p(50)} ms, p99 ${p(99)} ms, mean ${mean.toFixed(1)} ms (${samples.length} writes)`;
}

async function main(): Promise<void> {
  const records = Number(option('--records', '200000'));
  const rounds = Number(option('--rounds', '300'));
  const size = Number(option('--batch', '1'));
  const mirrorMb = Number(option('--mirror-mb', '2048'));
  const dir = await mkdtemp(join(tmpdir(), 'vs-writes-'));
  const layout = makeLayout(42);
  const plan = planCorpus(layout, records + rounds * 2 * size, 42);
  const store = await IndexStore.open({
    uri: join(dir, 'store'),
    embedder: { id: 'bench:writes', dimension: DIM },
    memoryBudgetBytes: mirrorMb * 2 ** 20,
    log: pino({ level: 'silent' }),
  });
  let closed = false;
  try {
    const t0 = performance.now();
    const rng = new Rng(42 ^ 0xbec7);
    await store.bulkLoad(async () => {
      for (let from = 0; from < records; from += 10_000) {
        await store.upsert(
          buildBatch(layout, plan, rng, from, Math.min(records, from + 10_000), () => undefined),
        );
      }
    });
    await Promise.all([store.optimize(), store.whenLoaded()]);
    const mirror = String(store.memoryStatus()['state']);
    process.stdout.write(
      `${records} records loaded and optimized in ${((performance.now() - t0) / 1000).toFixed(1)} s (mirror ${mirror})\n`,
    );
    const samples = new Map<string, number[]>();
    const writeRng = new Rng(7);
    let next = records;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? PATHS : [...PATHS].reverse();
      for (const path of order) {
        for (const kind of KINDS) {
          // New ids from the extended plan, or loaded records' ids with new vectors.
          const batch: IndexRecord[] = [];
          for (let i = 0; i < size; i++) {
            const at = kind === 'new' ? next++ : writeRng.int(records);
            batch.push(buildBatch(layout, plan, writeRng, at, at + 1, () => undefined)[0]!);
          }
          store.writePath = path;
          const started = performance.now();
          await store.upsert(batch);
          const key = `${path} ${kind}`;
          samples.set(key, [...(samples.get(key) ?? []), performance.now() - started]);
        }
      }
    }
    for (const kind of KINDS) {
      for (const path of PATHS)
        process.stdout.write(`${line(`${path} ${kind}`, samples.get(`${path} ${kind}`)!)}\n`);
      const mean = (path: WritePath) => {
        const s = samples.get(`${path} ${kind}`)!;
        return s.reduce((a, b) => a + b, 0) / s.length;
      };
      const median = (path: WritePath) => percentile(samples.get(`${path} ${kind}`)!, 50);
      process.stdout.write(
        `${kind}: merge ÷ split = ${(median('merge') / median('split')).toFixed(2)}× at p50, ` +
          `${(mean('merge') / mean('split')).toFixed(2)}× on the mean\n`,
      );
    }
    await store.close();
    closed = true;
    const db = await lancedb.connect(join(dir, 'store'));
    const table = await db.openTable(TABLE_NAME);
    const rows = await table.countRows();
    table.close();
    db.close();
    const expected = records + rounds * 2 * size;
    process.stdout.write(
      `table rows: ${rows} (expected ${expected}: ${rows === expected ? 'one per id' : 'MISMATCH'})\n`,
    );
  } finally {
    if (!closed) await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
