/**
 * The single-writes phase (issue 10: "10,000 further single writes keep every class within the
 * targets"): records written after the load one per `store.upsert` call — new ids at URIs of the
 * corpus' own namespace folders, vectors from the corpus' generator — each scored into the ground
 * truth before it is written, so every class can be measured again against exact answers that
 * include them.
 */
import { performance } from 'node:perf_hooks';
import type { IndexStore } from '../../src/index/store.js';
import { buildBatch, CENTROIDS, type CorpusPlan, type Layout } from './corpus.js';
import { measureVariant, percentile, round, variantLine, type Budget, type Runner } from './measure.js';
import type { BenchQuery } from './queries.js';
import type { ClassResult } from './report.js';
import { Rng } from './rng.js';
import type { GroundTruth } from './truth.js';

/**
 * The plan with `count` more records after the planned ones: each in the folder of a random planned
 * record (so writes land where the corpus is, sessions get further messages), by that record's
 * user, with a random centroid. The given plan is left unchanged.
 */
export function extendPlan(plan: CorpusPlan, count: number, seed: number): CorpusPlan {
  const rng = new Rng(seed ^ 0x3a17);
  const records = plan.records + count;
  const folderOf = new Int32Array(records);
  const centroidOf = new Uint16Array(records);
  const userOf = new Uint16Array(records);
  folderOf.set(plan.folderOf);
  centroidOf.set(plan.centroidOf);
  userOf.set(plan.userOf);
  const folders = plan.folders.map((f) => ({ ...f }));
  const accountSize = [...plan.accountSize];
  for (let i = plan.records; i < records; i++) {
    const like = rng.int(plan.records);
    const folder = plan.folderOf[like]!;
    folderOf[i] = folder;
    userOf[i] = plan.userOf[like]!;
    centroidOf[i] = rng.int(CENTROIDS);
    folders[folder]!.count++;
    accountSize[folders[folder]!.account]! += 1;
  }
  const { foldersByAccount } = plan;
  return { records, folderOf, centroidOf, userOf, folders, foldersByAccount, accountSize };
}

/** The queries with their matching counts under `plan` (the same folders, more records in them). */
export function recount(queries: readonly BenchQuery[], plan: CorpusPlan): BenchQuery[] {
  return queries.map((q) => ({
    ...q,
    matching: q.folders.reduce((sum, f) => sum + plan.folders[f]!.count, 0),
  }));
}

export interface WriteStats {
  readonly records: number;
  /** Records per second inside `store.upsert` (generation and ground truth excluded). */
  readonly records_per_s: number;
  /** Latency of one `store.upsert` of one record. */
  readonly p50_ms: number;
  readonly p99_ms: number;
}

/**
 * Writes records [from, plan.records) of an extended plan one `store.upsert` call each, in order,
 * scoring each into `truth` (which must already hold the extended plan) before it is written. No
 * write starts after `budgetMs` (at least one is made); `records` says how many were written, and
 * `extendPlan(plan, records, seed)` is then the plan of what the store holds.
 */
export async function singleWrites(
  store: Pick<IndexStore, 'upsert'>,
  layout: Layout,
  plan: CorpusPlan,
  truth: GroundTruth,
  from: number,
  seed: number,
  budgetMs: number,
  note: (message: string) => void,
): Promise<WriteStats> {
  const rng = new Rng(seed ^ 0x5e1f);
  const samples: number[] = [];
  const tenth = Math.max(1, Math.ceil((plan.records - from) / 10));
  const start = performance.now();
  for (let i = from; i < plan.records; i++) {
    if (samples.length > 0 && performance.now() - start > budgetMs) {
      note(`single writes stopped by their ${budgetMs / 1000} s budget after ${samples.length}`);
      break;
    }
    const batch = buildBatch(layout, plan, rng, i, i + 1, (j, draft, vectors, offset) =>
      truth.visit(j, draft, vectors, offset),
    );
    const t0 = performance.now();
    await store.upsert(batch);
    samples.push(performance.now() - t0);
    if (samples.length % tenth === 0) note(`${samples.length} single writes done`);
  }
  const seconds = samples.reduce((s, ms) => s + ms, 0) / 1000;
  return {
    records: samples.length,
    records_per_s: round(samples.length / seconds, 1),
    p50_ms: round(percentile(samples, 50)),
    p99_ms: round(percentile(samples, 99)),
  };
}

/** The corpus as loaded: its plan, queries and ground truth. */
export interface WritesCorpus {
  readonly layout: Layout;
  readonly plan: CorpusPlan;
  readonly queries: readonly BenchQuery[];
  readonly truth: GroundTruth;
}

export interface WritesPhase {
  readonly count: number;
  readonly seed: number;
  /** No write starts after this. */
  readonly budgetMs: number;
  /** The budget of each class's measurement after the writes. */
  readonly measure: Budget;
}

/**
 * `count` single-record upserts after the first measurement, then the planned path of every class
 * again (`after_writes`), against ground truth and matching counts that include the written records.
 */
export async function measureAfterWrites(
  store: Pick<IndexStore, 'upsert'>,
  corpus: WritesCorpus,
  writes: WritesPhase,
  run: Runner,
  results: readonly ClassResult[],
  note: (message: string) => void,
): Promise<{ writes: WriteStats; results: ClassResult[] }> {
  const { layout, plan, queries, truth } = corpus;
  const { count, seed, budgetMs, measure } = writes;
  const extended = extendPlan(plan, count, seed);
  truth.extend(extended);
  note(`${count} single writes (one store.upsert each)`);
  const stats = await singleWrites(store, layout, extended, truth, plan.records, seed, budgetMs, note);
  note(`single writes: ${stats.records_per_s} records/s, p50 ${stats.p50_ms} ms, p99 ${stats.p99_ms} ms`);
  const written = stats.records === count ? extended : extendPlan(plan, stats.records, seed);
  const now = recount(queries, written);
  const out: ClassResult[] = [];
  for (const result of results) {
    const qs = now.filter((q) => q.cls === result.name);
    const after_writes = await measureVariant(run, qs, (q) => truth.exact(q), measure);
    note(variantLine(result.name, 'after writes', after_writes));
    out.push({ ...result, after_writes });
  }
  return { writes: stats, results: out };
}
