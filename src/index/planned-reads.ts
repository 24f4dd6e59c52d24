/**
 * The index's queries, each answered by the plan the planner picks (planner.ts): from the in-memory
 * mirror when it is ready (loaded and caught up with the table), else from the LanceDB table. Both get
 * the same filter expression and give the same exact answer; the choice is about speed only.
 */
import type { Expr, ScoredRow } from '../policy/index.js';
import type { LanceTable } from './lance-table.js';
import type { MemoryIndex } from './memory/index.js';
import { ArenaFullError } from './memory/arena.js';
import { VectorFileError } from './memory/vector-file.js';
import type { Mirror } from './mirror.js';
import { choosePlan, type PlanReport, type RequestedPlan } from './planner.js';

/** A vector query's rows and how they were found. */
export interface VectorResult {
  readonly rows: ScoredRow[];
  readonly plan: PlanReport;
}

export class PlannedReads {
  constructor(
    private readonly mirror: Mirror,
    private readonly table: LanceTable,
  ) {}

  /** Records matching an expression (exact: from the mirror when ready, else a LanceDB count). */
  async countRows(expr?: Expr): Promise<number> {
    const memory = this.mirror.ready;
    if (memory !== null) return expr === undefined ? memory.size : memory.count(expr);
    return this.table.countRows(expr);
  }

  /**
   * The k records nearest to `vector` (cosine) among those matching `filter`, exactly, by the plan
   * the planner picks: the in-memory mirror when it is ready, else a prefiltered LanceDB scan (also
   * when the mirror's vector file fails: the mirror is given up then).
   */
  async vectorSearch(
    vector: Float32Array,
    filter: Expr,
    k: number,
    requested: RequestedPlan = 'auto',
  ): Promise<VectorResult> {
    const memory = this.mirror.ready;
    const name = choosePlan({ requested, mirror: memory === null ? this.mirror.state : 'ready' });
    if (name === 'memory' && memory !== null) {
      const fail = (error: unknown): void => this.mirror.failedSearch(error);
      const result = memoryVectorSearch(memory, vector, filter, k, fail);
      if (result !== null) return result;
    }
    const started = performance.now();
    const rows = await this.table.nearest(vector, filter, k);
    const stages_ms = { lancedb: performance.now() - started };
    return { rows, plan: { name: 'lance-exact', matching: null, stages_ms } };
  }

  /**
   * Best BM25 matches of `query` in `text` among records matching `filter` (statistics over those
   * records): from the mirror's inverted index when it is ready, else LanceDB's full-text index as a
   * candidate finder (fulltext-lance.ts) — the same hits and scores either way.
   */
  async fullTextSearch(query: string, filter: Expr, k: number): Promise<ScoredRow[]> {
    const memory = this.mirror.ready;
    if (memory !== null) return memoryFullText(memory, query, filter, k);
    return this.table.fullText(query, filter, k);
  }
}

/**
 * The memory plan of a vector query; null when the index failed under it — its vector file, or
 * scratch past its budget — (`failed` is told, and gives the index up: the caller answers from the
 * store of record instead).
 */
export function memoryVectorSearch(
  memory: MemoryIndex,
  vector: Float32Array,
  filter: Expr,
  k: number,
  failed: (error: VectorFileError | ArenaFullError) => void,
): VectorResult | null {
  let result;
  try {
    result = memory.search(vector, filter, k);
  } catch (error) {
    if (!(error instanceof VectorFileError || error instanceof ArenaFullError)) throw error;
    failed(error);
    return null;
  }
  const rows = result.hits.map(({ row, distance }) => ({ ...row, _distance: distance }));
  return { rows, plan: { name: 'memory', matching: result.matching, stages_ms: result.stages_ms } };
}

/** A full-text query answered by the in-memory index. */
export function memoryFullText(memory: MemoryIndex, query: string, filter: Expr, k: number): ScoredRow[] {
  return memory.fullText(query, filter, k).map(({ row, score }) => ({ ...row, _score: score }));
}
