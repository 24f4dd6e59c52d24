/**
 * Where ingest time goes: the benchmark's corpus (scripts/bench/corpus.ts) loaded batch by batch,
 * each batch fed in turn to four variants on their own tables, so every variant sees the same machine
 * load (the variants alternate batch by batch):
 *
 * - `upsert`: `IndexStore.upsert` with the in-memory mirror on;
 * - `bulk`: the same inside one `IndexStore.bulkLoad` over the whole run (what `npm run bench` times):
 *   the mirror is set aside, and its rebuild from the table afterwards is reported on its own line;
 * - `append`: the same records as one Arrow batch appended to a bare LanceDB table (LanceDB's share);
 * - `arrow`: building that Arrow batch only;
 * - `mirror`: the mirror's own work only (`MemoryIndex.prepare` and `commit` of the batch).
 *
 *   npm run bench:ingest -- [--records N] [--batch B] [--only upsert,bulk,append,arrow,mirror]
 *
 * Prints records/s per variant (records / time inside the variant's call), the ratio to `append`, and
 * the process's CPU time per record inside the call (all threads: LanceDB writes on its own), which a
 * busy shared machine disturbs less than the wall time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lancedb from '@lancedb/lancedb';
import { pino } from 'pino';
import { recordSchema, toArrowTable } from '../src/index/arrow.js';
import { MemoryIndex } from '../src/index/memory/index.js';
import type { IndexRecord } from '../src/indexing/records.js';
import { IndexStore } from '../src/index/store.js';
import { buildBatch, makeLayout, planCorpus } from './bench/corpus.js';
import { DIM, Rng } from './bench/rng.js';

const VARIANTS = ['upsert', 'bulk', 'append', 'arrow', 'mirror'] as const;
type Variant = (typeof VARIANTS)[number];
const EMBEDDER = { id: 'bench:ingest', dimension: DIM };
const BUDGET = 3 * 2 ** 30;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const records = Number(option('--records', '200000'));
  const size = Number(option('--batch', '10000'));
  const only = new Set(option('--only', VARIANTS.join(',')).split(',')) as Set<Variant>;
  const dir = await mkdtemp(join(tmpdir(), 'vs-ingest-'));
  const log = pino({ level: 'silent' });
  const store = await IndexStore.open({
    uri: join(dir, 'store'),
    embedder: EMBEDDER,
    memoryBudgetBytes: BUDGET,
    optimizeEvery: Number.MAX_SAFE_INTEGER,
    log,
  });
  await store.whenLoaded();
  const bulkStore = await IndexStore.open({
    uri: join(dir, 'bulk'),
    embedder: EMBEDDER,
    memoryBudgetBytes: BUDGET,
    optimizeEvery: Number.MAX_SAFE_INTEGER,
    log,
  });
  await bulkStore.whenLoaded();
  let endBulk = (): void => undefined;
  const bulkDone = bulkStore.bulkLoad(() => new Promise<void>((resolve) => (endBulk = resolve)));
  const db = await lancedb.connect(join(dir, 'bare'));
  const schema = recordSchema(EMBEDDER.id, DIM);
  const bare = await db.createEmptyTable('records', schema);
  const memory = await MemoryIndex.create(DIM, BUDGET);
  const run: Record<Variant, (batch: IndexRecord[]) => Promise<unknown>> = {
    upsert: (batch) => store.upsert(batch),
    bulk: (batch) => bulkStore.upsert(batch),
    append: (batch) => bare.add(toArrowTable(schema, batch, DIM)),
    arrow: (batch) => Promise.resolve(toArrowTable(schema, batch, DIM)),
    mirror: (batch) => {
      const rows = batch.map(({ vector: _v, text: _t, ...row }) => row);
      const prepared = memory.prepare(
        rows,
        batch.map((r) => r.vector),
        batch.map((r) => r.text),
      );
      return Promise.resolve(memory.commit(prepared));
    },
  };
  const ms: Record<Variant, number> = { upsert: 0, bulk: 0, append: 0, arrow: 0, mirror: 0 };
  const cpu: Record<Variant, number> = { upsert: 0, bulk: 0, append: 0, arrow: 0, mirror: 0 };
  const layout = makeLayout(42);
  const plan = planCorpus(layout, records, 42);
  const rng = new Rng(42 ^ 0xbec7);
  try {
    for (let from = 0; from < records; from += size) {
      const batch = buildBatch(layout, plan, rng, from, Math.min(records, from + size), () => undefined);
      for (const variant of VARIANTS) {
        if (!only.has(variant)) continue;
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await run[variant](batch);
        const used = process.cpuUsage(c0);
        cpu[variant] += used.user + used.system;
        ms[variant] += performance.now() - t0;
      }
    }
    endBulk();
    await bulkDone;
    const t0 = performance.now();
    await bulkStore.whenLoaded();
    const rebuildS = (performance.now() - t0) / 1000;
    for (const variant of VARIANTS) {
      if (!only.has(variant)) continue;
      const perS = records / (ms[variant] / 1000);
      const ratio = only.has('append') ? ` (${(ms[variant] / ms.append).toFixed(2)}× append's time)` : '';
      const perRecord = (cpu[variant] / records).toFixed(1);
      process.stdout.write(
        `${variant.padEnd(7)} ${Math.round(perS).toLocaleString('en')} records/s${ratio}, CPU ${perRecord} µs/record\n`,
      );
    }
    if (only.has('bulk')) {
      const state = String(bulkStore.memoryStatus()['state']);
      process.stdout.write(`bulk's mirror rebuilt from the table in ${rebuildS.toFixed(1)} s (${state})\n`);
    }
  } finally {
    endBulk();
    await bulkStore.close();
    bare.close();
    db.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
