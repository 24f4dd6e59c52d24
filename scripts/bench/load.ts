/**
 * Loading the corpus through the store's own upsert, in Arrow-sized batches, with ground truth
 * computed from each batch before it is written; and the time until the index answers every class
 * in full and with the exact top k after the load ends (optimize and index builds included).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IndexStore } from '../../src/index/store.js';
import { progressBar } from '../lib/progress.js';
import { buildBatch, type CorpusPlan, type Layout } from './corpus.js';
import { score, type Runner } from './measure.js';
import type { BenchQuery } from './queries.js';
import { Rng } from './rng.js';
import type { GroundTruth } from './truth.js';

const BATCH = 10_000;
const READY_TIMEOUT_MS = 10 * 60_000;
/** The recall target: a probe below it has not found the records just loaded. */
const READY_RECALL = 0.99;

export interface LoadResult {
  /** Records per second inside `store.upsert` (generation, ground truth and embedding excluded). */
  readonly recordsPerS: number;
  readonly upsertS: number;
  readonly wallS: number;
  /** performance.now() when the last upsert returned. */
  readonly endedAt: number;
}

export async function loadCorpus(
  store: IndexStore,
  layout: Layout,
  plan: CorpusPlan,
  truth: GroundTruth,
  seed: number,
  note: (message: string) => void,
): Promise<LoadResult> {
  const rng = new Rng(seed ^ 0xbec7);
  const bar = progressBar('load', 'records', false);
  bar.start(plan.records, 0);
  const start = performance.now();
  let upsertMs = 0;
  try {
    // A bulk load: the in-memory mirror is set aside and rebuilt from the table when it ends.
    await store.bulkLoad(async () => {
      for (let from = 0; from < plan.records; from += BATCH) {
        const to = Math.min(plan.records, from + BATCH);
        const batch = buildBatch(layout, plan, rng, from, to, (i, draft, vectors, offset) =>
          truth.visit(i, draft, vectors, offset),
        );
        const t0 = performance.now();
        await store.upsert(batch);
        upsertMs += performance.now() - t0;
        bar.update(to);
        // The bar draws only on a terminal; elsewhere a line per tenth of the load.
        const tenth = Math.ceil(plan.records / 10);
        if (!process.stderr.isTTY && Math.floor(to / tenth) > Math.floor(from / tenth)) {
          note(`loaded ${to} records (upsert ${(upsertMs / 1000).toFixed(1)} s so far)`);
        }
      }
    });
  } finally {
    bar.stop();
  }
  const endedAt = performance.now();
  return {
    recordsPerS: plan.records / (upsertMs / 1000),
    upsertS: upsertMs / 1000,
    wallS: (endedAt - start) / 1000,
    endedAt,
  };
}

/**
 * Optimizes and waits for the in-memory mirror's rebuild (both start when the bulk load ends), then
 * probes the first query of every class until each returns a full answer
 * (min(k, matching) hits) holding the exact top k (recall ≥ 0.99 against `exact`, the ground truth
 * of every loaded record): then all records are searchable. Seconds since `loadEnded`.
 */
export async function readyAfterLoad(
  store: Pick<IndexStore, 'optimize' | 'whenLoaded'>,
  probes: readonly BenchQuery[],
  run: Runner,
  exact: (q: BenchQuery) => readonly string[],
  loadEnded: number,
  note: (message: string) => void,
): Promise<number> {
  const since = () => ((performance.now() - loadEnded) / 1000).toFixed(1);
  await Promise.all([
    store.optimize().then(() => note(`optimize() done after ${since()} s`)),
    store.whenLoaded().then(() => note(`in-memory mirror rebuilt after ${since()} s`)),
  ]);
  for (;;) {
    const pending: string[] = [];
    for (const q of probes) {
      const { recall, short: isShort } = score(await run(q), exact(q), q.matching);
      if (isShort || recall < READY_RECALL) pending.push(q.cls);
    }
    const elapsed = performance.now() - loadEnded;
    if (pending.length === 0) return elapsed / 1000;
    if (elapsed > READY_TIMEOUT_MS) {
      note(
        `still short or inexact after ${(elapsed / 1000).toFixed(0)} s: ${pending.join(', ')} — measuring anyway`,
      );
      return elapsed / 1000;
    }
    await sleep(1000);
  }
}
