/**
 * The index records on PostgreSQL (SPEC 14): the `index_records` table (migration 0002), the store of
 * record that every process's in-memory index caches. Every upsert and every delete gives the rows it
 * touches the next value of one global sequence (`seq`); a delete leaves a tombstone (`deleted`, its
 * text and vector emptied) so a reader catching up by `seq` ({@link PgRecords.changesSince}) sees it,
 * until tombstones are purged (then a reader behind the purge must reload). Each write transaction
 * notifies `records_changed` with its last seq at commit.
 *
 * Writes take one advisory lock for their transaction, so seqs commit in order: a reader that has
 * seen seq n will never later find a committed row below n (with concurrent writers a sequence alone
 * would let a slow transaction commit a lower seq after a faster one, and a reader would skip it).
 * Record writes are batches from the indexing workers, so the lock costs little.
 */
import {
  compileSql,
  COLUMN_NAMES,
  type Expr,
  type HitRow,
  type IndexRecord,
  type SqlParam,
} from '../../policy/index.js';
import type { AccountEpochs } from '../../index/record-index.js';
import { searchableText } from '../../index/terms.js';
import { mapInSlices } from '../../time-slices.js';
import { liveEpochs } from './epochs.js';
import { int, realArrayLiteral, realArrayOf, type SqlClient, type SqlDatabase } from './sql.js';

export const RECORDS_CHANNEL = 'records_changed';
/** The advisory lock of record writes (any constant not used elsewhere: "vsidx"). */
const WRITE_LOCK = 0x76736964;
/** Rows per INSERT: 19 parameters each, far below PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 500;

export type RecordChange =
  | { readonly seq: number; readonly kind: 'upsert'; readonly record: IndexRecord }
  | { readonly seq: number; readonly kind: 'delete'; readonly id: string };

/** What a reader at some seq gets: the changes after it, or `reset` when tombstones it needs are gone. */
export type Changes =
  | { readonly kind: 'changes'; readonly changes: readonly RecordChange[]; readonly last: number }
  | { readonly kind: 'reset'; readonly horizon: number };

const COLUMNS = COLUMN_NAMES.join(', ');
/** The columns as read: the vector in binary (see realArrayOf). */
export const READ_COLUMNS = COLUMN_NAMES.map((c) =>
  c === 'vector' ? 'array_send(vector) AS vector' : c,
).join(', ');
const UPDATES = COLUMN_NAMES.filter((c) => c !== 'id')
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(', ');

/** A row as PostgreSQL returns it (int8 as text, real[] as numbers). */
type Row = Record<string, unknown> & { seq: unknown; deleted: boolean; id: string };

function text(v: unknown): string {
  if (typeof v !== 'string') throw new Error(`index_records: expected text, got ${typeof v}`);
  return v;
}
const nullable = (v: unknown): string | null => (v === null || v === undefined ? null : text(v));

/** A stored row's hit columns (what a search hit carries). */
export function hitOfRow(row: Record<string, unknown>): HitRow {
  return {
    id: text(row['id']),
    account_id: text(row['account_id']),
    uri: text(row['uri']),
    scope: text(row['scope']),
    owner_user_id: nullable(row['owner_user_id']),
    owner_agent_id: nullable(row['owner_agent_id']),
    context_type: text(row['context_type']),
    abstract: text(row['abstract']),
    session_id: nullable(row['session_id']),
    message_id: nullable(row['message_id']),
    role: nullable(row['role']),
    role_id: nullable(row['role_id']),
    level: int(row['level']),
    chunk_index: int(row['chunk_index']),
    created_at: int(row['created_at']),
    updated_at: int(row['updated_at']),
  };
}

/** A stored row as a record. */
export function recordOfRow(row: Record<string, unknown>): IndexRecord {
  return {
    ...hitOfRow(row),
    text: text(row['text']),
    vector: realArrayOf(row['vector']),
  };
}

/** The parameters of one record, in {@link COLUMN_NAMES} order (the text in its searchable form). */
function paramsOf(record: IndexRecord): unknown[] {
  return COLUMN_NAMES.map((name) => {
    if (name === 'vector') return realArrayLiteral(record.vector);
    if (name === 'text') return searchableText(record.text);
    return record[name];
  });
}

/** The records whose account is live with the epoch `epochs` gives it (all of those it does not name). */
async function admitted(
  tx: SqlClient,
  records: readonly IndexRecord[],
  epochs: AccountEpochs | undefined,
): Promise<IndexRecord[]> {
  if (epochs === undefined || epochs.size === 0) return [...records];
  const live = await liveEpochs(tx, [...epochs.keys()]);
  return records.filter((r) => {
    const epoch = epochs.get(r.account_id);
    return epoch === undefined || live.get(r.account_id) === epoch;
  });
}

/** The last record of each id (an upsert cannot touch one row twice). */
function lastPerId(records: readonly IndexRecord[]): IndexRecord[] {
  return [...new Map(records.map((r) => [r.id, r])).values()];
}

export class PgRecords {
  constructor(private readonly db: SqlDatabase) {}

  /**
   * Inserts or replaces records by id (a tombstone comes back to life); resolves with the last seq
   * (0 when nothing was written). With `epochs` (the epoch of the jobs each account's records come
   * from, epochs.ts), the records of an account not live with that epoch now are dropped: checked
   * under a share lock on the account's row, so no deletion commits between the check and this write.
   */
  async upsert(records: readonly IndexRecord[], epochs?: AccountEpochs): Promise<number> {
    const all = lastPerId(records);
    if (all.length === 0) return 0;
    return this.write(async (tx) => {
      const rows = await admitted(tx, all, epochs);
      let last = 0;
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const params: unknown[] = [];
        const values = rows.slice(i, i + ROWS_PER_INSERT).map((record) => {
          const first = params.length;
          params.push(...paramsOf(record));
          const slots = COLUMN_NAMES.map(
            (name, j) => `$${first + j + 1}${name === 'vector' ? '::real[]' : ''}`,
          );
          return `(${slots.join(', ')}, nextval('index_records_seq'), false)`;
        });
        const { rows: seqs } = await tx.query<{ seq: unknown }>(
          `INSERT INTO index_records (${COLUMNS}, seq, deleted) VALUES ${values.join(', ')}
           ON CONFLICT (id) DO UPDATE SET ${UPDATES}, seq = EXCLUDED.seq, deleted = false
           RETURNING seq`,
          params,
        );
        for (const s of seqs) last = Math.max(last, int(s.seq));
      }
      return last;
    });
  }

  /** Deletes the records matching `filter` (leaving tombstones); resolves with how many it deleted. */
  async deleteWhere(filter: Expr): Promise<number> {
    return (await this.delete(filter)).deleted;
  }

  /** {@link deleteWhere}, resolving also with the last seq it took (0 when it deleted nothing). */
  async delete(filter: Expr): Promise<{ deleted: number; last: number }> {
    if (filter.kind === 'const' && !filter.value) return { deleted: 0, last: 0 };
    let deleted = 0;
    const last = await this.write(async (tx) => {
      const params: SqlParam[] = [];
      const where = compileSql(filter, params);
      const { rows } = await tx.query<{ seq: unknown }>(
        `UPDATE index_records SET deleted = true, seq = nextval('index_records_seq'), text = '',
           abstract = '', vector = '{}'
         WHERE NOT deleted AND ${where} RETURNING seq`,
        params,
      );
      deleted = rows.length;
      return rows.reduce((max, r) => Math.max(max, int(r.seq)), 0);
    });
    return { deleted, last };
  }

  /**
   * Up to `limit` changes after `since`, in seq order (one statement, so the horizon and the rows
   * agree): `reset` if tombstones after `since` were purged (the reader must reload).
   */
  async changesSince(since: number, limit: number): Promise<Changes> {
    const { rows } = await this.db.query<Row & { horizon: unknown }>(
      `SELECT h.purged_seq AS horizon, r.* FROM index_records_horizon h
       LEFT JOIN LATERAL (
         SELECT ${READ_COLUMNS}, seq, deleted FROM index_records WHERE seq > $1 ORDER BY seq LIMIT $2
       ) r ON true`,
      [since, limit],
    );
    const horizon = int(rows[0]?.horizon ?? 0);
    if (since < horizon) return { kind: 'reset', horizon };
    // A page of a large file is ~7 MB of rows: decoded in time slices.
    const changes = await mapInSlices(
      rows.filter((row) => row.seq !== null),
      (row): RecordChange =>
        row.deleted
          ? { seq: int(row.seq), kind: 'delete', id: row.id }
          : { seq: int(row.seq), kind: 'upsert', record: recordOfRow(row) },
    );
    return { kind: 'changes', changes, last: changes.at(-1)?.seq ?? since };
  }

  /** The last seq of a committed write still visible, or of purged tombstones (0 before any). */
  async lastSeq(): Promise<number> {
    const { rows } = await this.db.query<{ seq: unknown }>(
      `SELECT greatest(coalesce(max(seq), 0), (SELECT purged_seq FROM index_records_horizon)) AS seq
       FROM index_records`,
    );
    return int(rows[0]?.seq ?? 0);
  }

  /** Records (tombstones not counted). */
  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM index_records WHERE NOT deleted',
    );
    return rows[0]?.n ?? 0;
  }

  /** Removes the tombstones up to seq `upTo`; readers behind it will be told to reload. */
  async purgeTombstones(upTo: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      await tx.query('UPDATE index_records_horizon SET purged_seq = greatest(purged_seq, $1)', [upTo]);
      const { rows } = await tx.query<{ n: number }>(
        'WITH gone AS (DELETE FROM index_records WHERE deleted AND seq <= $1 RETURNING 1) SELECT count(*)::int AS n FROM gone',
        [upTo],
      );
      return rows[0]?.n ?? 0;
    });
  }

  /** Runs a write under the write lock and notifies its last seq (if it wrote anything) at commit. */
  private write(fn: (tx: SqlClient) => Promise<number>): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      const last = await fn(tx);
      if (last > 0) await tx.query(`SELECT pg_notify('${RECORDS_CHANNEL}', $1)`, [String(last)]);
      return last;
    });
  }
}
