/**
 * The benchmark's single-writes phase (scripts/bench/writes.ts): the extended plan, the recounted
 * matching counts and the ground truth that takes the written records in — checked against a brute
 * force over every record — and, on a real IndexStore, that the planned search path finds the
 * written records with full recall against that truth.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { makeLayout, planCorpus, buildBatch, type CorpusPlan } from '../../scripts/bench/corpus.js';
import { loadCorpus } from '../../scripts/bench/load.js';
import { measureVariant } from '../../scripts/bench/measure.js';
import { CLASS_NAMES, makeQueries, readersByFolder, type BenchQuery } from '../../scripts/bench/queries.js';
import { DIM, Rng } from '../../scripts/bench/rng.js';
import { variants } from '../../scripts/bench/runners.js';
import { GroundTruth } from '../../scripts/bench/truth.js';
import { extendPlan, measureAfterWrites, recount, singleWrites } from '../../scripts/bench/writes.js';
import type { ClassResult } from '../../scripts/bench/report.js';
import type { IndexRecord } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import { logger } from '../../src/log.js';
import { tempDir } from '../helpers/temp-dir.js';

const SEED = 7;
const RECORDS = 3_000;
const WRITES = 400;
const quiet = () => undefined;

const layout = makeLayout(SEED);

/** A corpus plan, its queries, and a fresh ground truth (it fills as records stream past). */
function corpus(records = RECORDS) {
  const plan = planCorpus(layout, records, SEED);
  const { queries, reps } = makeQueries(layout, plan, 4, SEED);
  const truth = new GroundTruth(plan, queries, readersByFolder(plan, queries), reps, 10);
  return { plan, queries, truth };
}

/** An upsert that only keeps what it is given. */
function collector(): { upsert: (batch: readonly IndexRecord[]) => Promise<void>; records: IndexRecord[] } {
  const records: IndexRecord[] = [];
  return {
    records,
    upsert: (batch) => {
      records.push(...batch);
      return Promise.resolve();
    },
  };
}

/** The exact top 10 of a query over `records` (folder of record i: plan.folderOf[i]), by plain loops. */
function bruteForce(q: BenchQuery, plan: CorpusPlan, records: readonly IndexRecord[]): string[] {
  const readable = new Set(q.folders);
  const scored: Array<[number, string]> = [];
  records.forEach((r, i) => {
    if (!readable.has(plan.folderOf[i]!)) return;
    let s = 0;
    for (let d = 0; d < DIM; d++) s += q.vector[d]! * r.vector[d]!;
    scored.push([s, r.uri]);
  });
  return scored
    .sort((a, b) => b[0] - a[0])
    .slice(0, 10)
    .map(([, uri]) => uri);
}

describe('extendPlan', () => {
  const { plan } = corpus();
  const counts = plan.folders.map((f) => f.count);
  const extended = extendPlan(plan, WRITES, SEED);

  test('keeps the planned records and leaves the given plan unchanged', () => {
    expect(extended.records).toBe(RECORDS + WRITES);
    expect(extended.folderOf.subarray(0, RECORDS)).toEqual(plan.folderOf);
    expect(extended.centroidOf.subarray(0, RECORDS)).toEqual(plan.centroidOf);
    expect(extended.userOf.subarray(0, RECORDS)).toEqual(plan.userOf);
    expect(plan.records).toBe(RECORDS);
    expect(plan.folders.map((f) => f.count)).toEqual(counts);
  });

  test('puts every new record in an existing folder and counts it there and in its account', () => {
    expect(extended.folders).toHaveLength(plan.folders.length);
    const added = extended.folders.map((f, i) => f.count - counts[i]!);
    const tally = new Array<number>(plan.folders.length).fill(0);
    for (let i = RECORDS; i < extended.records; i++) tally[extended.folderOf[i]!]! += 1;
    expect(added).toEqual(tally);
    expect(extended.accountSize.reduce((s, n) => s + n, 0)).toBe(RECORDS + WRITES);
    expect(new Set(Array.from(extended.folderOf.subarray(RECORDS))).size).toBeGreaterThan(10);
  });

  test('is deterministic for a seed', () => {
    expect(extendPlan(plan, WRITES, SEED).folderOf).toEqual(extended.folderOf);
    expect(extendPlan(plan, WRITES, SEED + 1).folderOf).not.toEqual(extended.folderOf);
  });
});

describe('single writes and the ground truth', () => {
  const { plan, queries, truth } = corpus();

  test('the truth after the writes is the exact top 10 over the loaded and the written records', async () => {
    const loaded = buildBatch(layout, plan, new Rng(1), 0, RECORDS, (i, draft, vectors, offset) =>
      truth.visit(i, draft, vectors, offset),
    );
    const before = queries.map((q) => [...truth.top[q.index]!.best]);
    const extended = extendPlan(plan, WRITES, SEED);
    truth.extend(extended);
    const store = collector();
    const stats = await singleWrites(store, layout, extended, truth, RECORDS, SEED, 60_000, quiet);

    expect(stats.records).toBe(WRITES);
    expect(store.records).toHaveLength(WRITES);
    const ids = new Set(loaded.map((r) => r.id));
    for (const [n, r] of store.records.entries()) {
      expect(ids.has(r.id)).toBe(false);
      expect(r.uri.startsWith(`${extended.folders[extended.folderOf[RECORDS + n]!]!.uri}/`)).toBe(true);
    }
    const all = [...loaded, ...store.records];
    for (const q of queries) expect(truth.top[q.index]!.best).toEqual(bruteForce(q, extended, all));
    // The writes changed some answers: the truth is not the one of the load alone.
    expect(queries.some((q) => before[q.index]!.join() !== truth.top[q.index]!.best.join())).toBe(true);
  });

  test('writes stop at their budget; the plan of what was written matches the truth', async () => {
    const { plan: fresh, queries: qs, truth: t } = corpus();
    const loaded = buildBatch(layout, fresh, new Rng(1), 0, RECORDS, (i, draft, vectors, offset) =>
      t.visit(i, draft, vectors, offset),
    );
    t.extend(extendPlan(fresh, WRITES, SEED));
    const store = collector();
    const slow = async (batch: readonly IndexRecord[]) => {
      await sleep(5);
      await store.upsert(batch);
    };
    const notes: string[] = [];
    const full = extendPlan(fresh, WRITES, SEED);
    const stats = await singleWrites({ upsert: slow }, layout, full, t, RECORDS, SEED, 50, (n) =>
      notes.push(n),
    );
    expect(stats.records).toBeGreaterThan(0);
    expect(stats.records).toBeLessThan(WRITES);
    expect(store.records).toHaveLength(stats.records);
    expect(notes.join()).toMatch(/stopped by their 0.05 s budget/);
    const written = extendPlan(fresh, stats.records, SEED);
    const all = [...loaded, ...store.records];
    for (const q of recount(qs, written)) {
      expect(t.top[q.index]!.best).toEqual(bruteForce(q, written, all));
      expect(q.matching).toBe(Array.from(written.folderOf).filter((f) => q.folders.includes(f)).length);
    }
  });

  test('recount gives each query the records of its folders, written ones included', () => {
    const extended = extendPlan(plan, WRITES, SEED);
    const now = recount(queries, extended);
    for (const q of now) {
      const readable = new Set(q.folders);
      const brute = Array.from(extended.folderOf).filter((f) => readable.has(f)).length;
      expect(q.matching).toBe(brute);
    }
    expect(now.reduce((s, q) => s + q.matching, 0)).toBeGreaterThan(
      queries.reduce((s, q) => s + q.matching, 0),
    );
  });

  test('an extended plan must keep the folders', () => {
    expect(() => truth.extend({ ...plan, folders: plan.folders.slice(1) })).toThrow(/keeps the folders/);
  });
});

test('on a real store, every class finds the written records with full recall', async () => {
  const dir = tempDir('vs-bench-writes-');
  const { plan, queries, truth } = corpus(2_000);
  const store = await IndexStore.open({
    uri: dir.path,
    embedder: { id: 'bench', dimension: DIM },
    memoryBudgetBytes: 64 * 2 ** 20,
    log: logger,
  });
  try {
    await loadCorpus(store, layout, plan, truth, SEED, quiet);
    const { planned } = variants(store, queries, logger);
    const budget = { latencyMs: 10_000, qpsMs: 0 };
    const results: ClassResult[] = [];
    for (const name of CLASS_NAMES) {
      const first = await measureVariant(
        planned,
        queries.filter((q) => q.cls === name),
        (q) => truth.exact(q),
        budget,
      );
      results.push({
        name,
        matching_median: 0,
        planned: first,
        baseline: first,
        http: null,
        http_hybrid: null,
        after_writes: null,
      });
    }
    const writes = { count: 60, seed: SEED, budgetMs: 60_000, measure: budget };
    const after = await measureAfterWrites(
      store,
      { layout, plan, queries, truth },
      writes,
      planned,
      results,
      quiet,
    );

    expect(after.writes.records).toBe(60);
    expect(await store.countRows()).toBe(plan.records + 60);
    for (const { name, after_writes } of after.results) {
      expect({
        name,
        recall: after_writes?.recall_at_10,
        short: after_writes?.short,
        mismatches: after_writes?.matchingMismatches,
      }).toEqual({ name, recall: 1, short: 0, mismatches: 0 });
    }
  } finally {
    await store.close();
    dir.remove();
  }
});
