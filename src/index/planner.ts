/**
 * The vector query planner: which plan answers a filtered nearest-neighbour query. Every plan gets
 * the same filter expression (built by the policy core) and returns the exact top k, so the choice
 * is about speed only:
 *
 * - `memory`: the in-memory mirror visits only the namespace groups the filter can match and scores
 *   their int8 copies with the SIMD kernel, with an error bound per score; only the rows whose bound
 *   can still reach the top k are read from its vector file and scored in float32 — its cost grows
 *   with the matching rows only, never with the table.
 * - `lance-exact`: LanceDB's prefiltered exact scan — the scalar indexes narrow the rows, then every
 *   matching row is read and scored (about 20–50 ms plus 12 ms per 1,000 matching rows at 1M).
 *
 * An approximate (ANN) plan is not offered: on this data LanceDB's IVF_PQ lost recall under tenant
 * filters and IVF_HNSW_SQ was slower than the memory plan for every class (docs/BENCHMARKS.md).
 */
import type { MirrorState } from './mirror.js';

/**
 * `scan` is the reference index's only plan (src/search/scan-index.ts, used by unit tests);
 * `pg-vector` and `pg-exact` are distributed mode's plans without the cache (src/storage/pg/search.ts).
 */
export type PlanName = 'memory' | 'lance-exact' | 'scan' | 'pg-vector' | 'pg-exact';
/** `baseline` forces the previous release's plan (benchmarks compare against it). */
export type RequestedPlan = 'auto' | 'baseline';

export interface PlanInputs {
  readonly requested: RequestedPlan;
  readonly mirror: MirrorState;
}

/** What `explain` shows about a vector query's plan. */
export interface PlanReport {
  readonly name: PlanName;
  /** Records the filter matched (known exactly by the memory plan; null otherwise). */
  readonly matching: number | null;
  readonly stages_ms: Readonly<Record<string, number>>;
}

/** Picks the plan: the mirror whenever it is ready, else LanceDB. */
export function choosePlan({ requested, mirror }: PlanInputs): PlanName {
  if (requested === 'baseline') return 'lance-exact';
  return mirror === 'ready' ? 'memory' : 'lance-exact';
}
