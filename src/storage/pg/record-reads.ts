/**
 * Reads of the index records beside the search primitives (src/storage/pg/search.ts): the full load
 * of a process's cache from one snapshot with the seq it reflects, and the exact counts and scans
 * of maintenance and status. Every condition is the request's filter compiled by `compileSql`
 * (bound parameters); tombstones are never read as records.
 */
import type { RecordKey } from '../../index/lance-table.js';
import {
  compileSql,
  HIT_COLUMNS,
  TRUE,
  type Expr,
  type IndexRecord,
  type RecordDraft,
  type SqlParam,
} from '../../policy/index.js';
import { mapInSlices } from '../../time-slices.js';
import { hitOfRow, READ_COLUMNS, recordOfRow } from './records.js';
import { int, type SqlClient, type SqlDatabase } from './sql.js';

/** The live records' condition and its parameters. */
function live(filter: Expr | undefined): { where: string; params: SqlParam[] } {
  const params: SqlParam[] = [];
  return { where: `NOT deleted AND ${compileSql(filter ?? TRUE, params)}`, params };
}

/** Runs reads in one REPEATABLE READ snapshot. */
export function inSnapshot<T>(db: SqlDatabase, fn: (tx: SqlClient) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return fn(tx);
  });
}

/**
 * The seq a snapshot reflects: its last record change, or the purge horizon. Record writes commit in
 * seq order (PgRecords' write lock), so a snapshot holds every change up to it and none after.
 */
export async function snapshotSeq(tx: SqlClient): Promise<number> {
  const { rows } = await tx.query<{ seq: unknown }>(
    `SELECT greatest(coalesce((SELECT max(seq) FROM index_records), 0),
       (SELECT purged_seq FROM index_records_horizon)) AS seq`,
  );
  return int(rows[0]?.seq ?? 0);
}

/** The live records of a snapshot, `batch` at a time, through a cursor (within `tx`'s transaction). */
export async function* liveRecords(tx: SqlClient, batch: number): AsyncGenerator<IndexRecord[]> {
  if (!Number.isSafeInteger(batch) || batch <= 0) throw new Error('batch must be a positive integer');
  await tx.query(`DECLARE records_load NO SCROLL CURSOR FOR
    SELECT ${READ_COLUMNS} FROM index_records WHERE NOT deleted`);
  for (;;) {
    const { rows } = await tx.query<Record<string, unknown>>(`FETCH ${batch} FROM records_load`);
    // Decoded in time slices (a page of a large file's records is ~7 MB).
    if (rows.length > 0) yield await mapInSlices(rows, recordOfRow);
    if (rows.length < batch) break;
  }
  await tx.query('CLOSE records_load');
}

/** Live records matching `filter` (all of them without one). */
export async function countLive(db: SqlClient, filter?: Expr): Promise<number> {
  const { where, params } = live(filter);
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM index_records WHERE ${where}`,
    params,
  );
  return rows[0]?.n ?? 0;
}

/** Up to `limit` live records matching `filter`, without their vectors. */
export async function scanLive(db: SqlClient, filter: Expr, limit: number): Promise<RecordDraft[]> {
  const { where, params } = live(filter);
  params.push(limit);
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${HIT_COLUMNS.join(', ')}, text FROM index_records WHERE ${where} LIMIT $${params.length}`,
    params,
  );
  return rows.map((row) => ({ ...hitOfRow(row), text: String(row['text']) }));
}

/** The key fields of up to `limit` live records matching `filter`. */
export async function scanLiveKeys(db: SqlClient, filter: Expr, limit: number): Promise<RecordKey[]> {
  const { where, params } = live(filter);
  params.push(limit);
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT uri, scope, level, updated_at FROM index_records WHERE ${where} LIMIT $${params.length}`,
    params,
  );
  return rows.map((row) => ({
    uri: String(row['uri']),
    scope: String(row['scope']),
    level: int(row['level']),
    updated_at: int(row['updated_at']),
  }));
}
