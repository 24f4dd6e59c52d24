/**
 * `ScanIndex`: the simplest correct `SearchIndex`. It keeps its records in an array and answers both
 * query primitives by evaluating the filter on every record with the policy core's `evaluate`, then
 * ranking by exact cosine distance, or by how often the record's text holds the query's words. It is
 * the reference the planned indexes are held to, and it lets the search service's unit tests run in
 * milliseconds without LanceDB.
 */
import { cosineDistance } from '../embedders/vector.js';
import type { PlanReport } from '../index/planner.js';
import type { IndexRecord } from '../indexing/records.js';
import { tokenize } from '../index/memory/fulltext.js';
import { evaluate, hitOf, type Expr } from '../policy/index.js';
import type { IndexHit, SearchIndex } from './service.js';

/** How often `text` holds the query's terms, cut exactly as the real full-text indexes cut them. */
function matches(text: string, wanted: ReadonlySet<string>): number {
  let count = 0;
  for (const [term, tf] of tokenize(text).terms) if (wanted.has(term)) count += tf;
  return count;
}

export class ScanIndex implements SearchIndex {
  private readonly records = new Map<string, IndexRecord>();

  /** Inserts or replaces records by id. */
  put(records: readonly IndexRecord[]): void {
    for (const record of records) this.records.set(record.id, record);
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
    const wanted = new Set(tokenize(query).terms.keys());
    const hits = [...this.records.values()]
      .filter((r) => evaluate(filter, r))
      .map((r) => ({ ...hitOf(r), _score: matches(r.text, wanted) }))
      .filter((h) => h._score > 0)
      .sort((a, b) => b._score - a._score)
      .slice(0, k);
    return Promise.resolve(hits);
  }
}
