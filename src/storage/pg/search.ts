/**
 * Search on PostgreSQL's records (SPEC 14): the path a process uses while its in-memory index is
 * loading, off or over budget. Both primitives take the request's filter compiled by `compileSql`
 * (bound parameters) and read only the records it admits, in one REPEATABLE READ transaction:
 * - vectors: with pgvector (the `embedding` column of migration 0002) `ORDER BY embedding <=> $q`
 *   (exact: no ANN index, which loses recall under tenant filters — LANCEDB-NOTES.md); without it,
 *   the admitted rows are read through a cursor and scored in JS with the exact cosine distance;
 * - full text: the admitted rows' texts are cut by the one tokenizer and ranked with BM25 over the
 *   caller's view (src/index/memory/bm25.ts), exactly as the in-memory index and LanceDB's path rank.
 * Equal distances are broken by id.
 */
import { itemAt } from '../../errors.js';
import { cosineDistance } from '../../embedders/vector.js';
import { countTerms, rank, type Counted } from '../../index/memory/bm25.js';
import { queryTerms } from '../../index/memory/tokens.js';
import type { PlanName, PlanReport } from '../../index/planner.js';
import { compileSql, HIT_COLUMNS, type Expr, type ScoredRow, type SqlParam } from '../../policy/index.js';
import type { IndexHit, SearchIndex } from '../../search/types.js';
import { hitOfRow } from './records.js';
import { realArrayOf, type SqlClient, type SqlDatabase } from './sql.js';

export interface PgSearchOptions {
  /** Use pgvector's `<=>` (default: whether the table has the `embedding` column). */
  readonly pgvector?: boolean;
  /** Rows per cursor fetch of the exact paths (default 2000). */
  readonly scanBatch?: number;
}

const HITS = HIT_COLUMNS.join(', ');

/** Whether migration 0002 could give the table pgvector's column. */
export async function hasPgvector(db: SqlClient): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM information_schema.columns
     WHERE table_name = 'index_records' AND column_name = 'embedding'`,
  );
  return (rows[0]?.n ?? 0) > 0;
}

/** The admitted records' condition and its parameters (after `before`). */
function admitted(filter: Expr, before: SqlParam[] = []): { where: string; params: SqlParam[] } {
  const params = [...before];
  return { where: `NOT deleted AND ${compileSql(filter, params)}`, params };
}

export class PgSearchIndex implements SearchIndex {
  private constructor(
    private readonly db: SqlDatabase,
    private readonly pgvector: boolean,
    private readonly scanBatch: number,
  ) {}

  static async open(db: SqlDatabase, options: PgSearchOptions = {}): Promise<PgSearchIndex> {
    const scanBatch = options.scanBatch ?? 2000;
    // It is written into FETCH's text: a positive integer only.
    if (!Number.isSafeInteger(scanBatch) || scanBatch <= 0)
      throw new Error('scanBatch must be a positive integer');
    const pgvector = options.pgvector ?? (await hasPgvector(db));
    return new PgSearchIndex(db, pgvector, scanBatch);
  }

  /** The vector plan this index uses. */
  get plan(): PlanName {
    return this.pgvector ? 'pg-vector' : 'pg-exact';
  }

  async vectorSearch(
    vector: Float32Array,
    filter: Expr,
    k: number,
  ): Promise<{ readonly rows: readonly IndexHit[]; readonly plan: PlanReport }> {
    const started = performance.now();
    const rows =
      k <= 0
        ? []
        : await this.snapshot((tx) =>
            this.pgvector ? this.nearest(tx, vector, filter, k) : this.scanNearest(tx, vector, filter, k),
          );
    const stages_ms = { query: performance.now() - started };
    return { rows, plan: { name: this.plan, matching: null, stages_ms } };
  }

  async fullTextSearch(query: string, filter: Expr, k: number): Promise<readonly IndexHit[]> {
    const terms = queryTerms(query);
    if (terms.length === 0 || k <= 0) return [];
    return this.snapshot(async (tx) => {
      const position = new Map(terms.map((term, j) => [term, j]));
      const matches: Array<Counted<string>> = [];
      const { where, params } = admitted(filter);
      const n = await this.scan(tx, `SELECT id, text FROM index_records WHERE ${where}`, params, (row) => {
        const id = String(row['id']);
        const counted = countTerms(id, id, String(row['text']), position);
        if (counted !== null) matches.push(counted);
      });
      const ranked = rank(matches, terms.length, n, k);
      const hits = await this.hits(
        tx,
        ranked.map((r) => r.item),
      );
      return ranked.flatMap(({ item, score }) => {
        const hit = hits.get(item);
        return hit === undefined ? [] : [{ ...hit, _score: score }];
      });
    });
  }

  /** pgvector: the k nearest admitted records, exactly (no ANN index is involved). */
  private async nearest(tx: SqlClient, vector: Float32Array, filter: Expr, k: number): Promise<ScoredRow[]> {
    const { where, params } = admitted(filter, [`[${Array.from(vector).join(',')}]`]);
    params.push(k);
    const { rows } = await tx.query<Record<string, unknown>>(
      `SELECT ${HITS}, embedding <=> $1::vector AS _distance FROM index_records
       WHERE ${where} ORDER BY _distance, id LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => ({ ...hitOfRow(row), _distance: Number(row['_distance']) }));
  }

  /** Without pgvector: every admitted record's vector read and scored, the k best kept. */
  private async scanNearest(
    tx: SqlClient,
    vector: Float32Array,
    filter: Expr,
    k: number,
  ): Promise<ScoredRow[]> {
    const best: Array<{ id: string; distance: number }> = [];
    const { where, params } = admitted(filter);
    await this.scan(
      tx,
      `SELECT id, array_send(vector) AS vector FROM index_records WHERE ${where}`,
      params,
      (row) => {
        const distance = cosineDistance(vector, realArrayOf(row['vector']));
        const id = String(row['id']);
        const worst = best[best.length - 1];
        if (best.length === k && worst !== undefined && !closer(distance, id, worst)) return;
        let i = best.length;
        while (i > 0 && closer(distance, id, itemAt(best, i - 1))) i--;
        best.splice(i, 0, { id, distance });
        if (best.length > k) best.pop();
      },
    );
    const hits = await this.hits(
      tx,
      best.map((b) => b.id),
    );
    return best.flatMap(({ id, distance }) => {
      const hit = hits.get(id);
      return hit === undefined ? [] : [{ ...hit, _distance: distance }];
    });
  }

  /** The hit columns of the records `ids`, by id. */
  private async hits(
    tx: SqlClient,
    ids: readonly string[],
  ): Promise<Map<string, ReturnType<typeof hitOfRow>>> {
    if (ids.length === 0) return new Map();
    const { rows } = await tx.query<Record<string, unknown>>(
      `SELECT ${HITS} FROM index_records WHERE id = ANY($1::text[])`,
      [[...ids]],
    );
    return new Map(rows.map((row) => [String(row['id']), hitOfRow(row)]));
  }

  /** Reads a query's rows through a cursor, `scanBatch` at a time; resolves with how many it read. */
  private async scan(
    tx: SqlClient,
    sql: string,
    params: SqlParam[],
    each: (row: Record<string, unknown>) => void,
  ): Promise<number> {
    await tx.query(`DECLARE scan NO SCROLL CURSOR FOR ${sql}`, params);
    let n = 0;
    for (;;) {
      const { rows } = await tx.query<Record<string, unknown>>(`FETCH ${this.scanBatch} FROM scan`);
      for (const row of rows) each(row);
      n += rows.length;
      if (rows.length < this.scanBatch) break;
    }
    await tx.query('CLOSE scan');
    return n;
  }

  /** Runs reads in one snapshot (the count of admitted records and their rows agree). */
  private snapshot<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return fn(tx);
    });
  }
}

/** Whether (distance, id) ranks before `other`: nearer, or as near with the lower id. */
function closer(distance: number, id: string, other: { id: string; distance: number }): boolean {
  return distance < other.distance || (distance === other.distance && id < other.id);
}
