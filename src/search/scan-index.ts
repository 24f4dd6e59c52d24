/**
 * `ScanIndex`: the simplest correct `SearchIndex`. It keeps its records in a map and answers both
 * query primitives by evaluating the filter on every record with the policy core's `evaluate`, then
 * ranking by exact cosine distance, or by BM25 over the admitted records with the reference ranking
 * both real full-text backends compute (memory/bm25.ts: same scores, equal scores by id). It is the
 * reference the planned indexes are held to (test/helpers/search-index-cases.ts), and it lets the
 * search service's unit tests run in milliseconds without LanceDB.
 */
import { cosineDistance } from '../embedders/vector.js';
import { countTerms, rank } from '../index/memory/bm25.js';
import { queryTerms } from '../index/memory/tokens.js';
import type { PlanReport } from '../index/planner.js';
import type { IndexRecord } from '../indexing/records.js';
import { evaluate, hitOf, type Expr } from '../policy/index.js';
import type { IndexHit, SearchIndex } from './types.js';

export class ScanIndex implements SearchIndex {
  private readonly records = new Map<string, IndexRecord>();

  /** Inserts or replaces records by id. */
  put(records: readonly IndexRecord[]): void {
    for (const record of records) this.records.set(record.id, record);
  }

  /** Deletes the records matching `filter`. */
  deleteWhere(filter: Expr): void {
    for (const [id, record] of this.records) if (evaluate(filter, record)) this.records.delete(id);
  }

  vectorSearch(
    vector: Float32Array,
    filter: Expr,
    k: number,
  ): Promise<{ readonly rows: readonly IndexHit[]; readonly plan: PlanReport }> {
    const started = performance.now();
    const matching = [...this.records.values()].filter((r) => evaluate(filter, r));
    const filtered = performance.now();
    const rows = matching
      .map((r) => ({ ...hitOf(r), _distance: cosineDistance(vector, r.vector) }))
      .sort((a, b) => a._distance - b._distance)
      .slice(0, k);
    const stages_ms = { filter: filtered - started, score: performance.now() - filtered };
    return Promise.resolve({ rows, plan: { name: 'scan', matching: matching.length, stages_ms } });
  }

  fullTextSearch(query: string, filter: Expr, k: number): Promise<readonly IndexHit[]> {
    const terms = queryTerms(query);
    const position = new Map(terms.map((term, j) => [term, j]));
    const admitted = [...this.records.values()].filter((r) => evaluate(filter, r));
    const matches = admitted.flatMap((r) => countTerms(r, r.id, r.text, position) ?? []);
    const ranked = rank(matches, terms.length, admitted.length, k);
    return Promise.resolve(ranked.map(({ item, score }) => ({ ...hitOf(item), _score: score })));
  }
}
