/**
 * The index as the rest of the server uses it (indexing, search, status, maintenance, backup),
 * whoever holds the records: {@link IndexStore} (embedded mode: a LanceDB table and its in-memory
 * mirror) or `PgIndexStore` (distributed mode, SPEC 14: PostgreSQL's `index_records` and an
 * in-memory cache caught up by seq). Concerns of the local LanceDB table alone (a table removed under
 * the running server, its re-creation, its version for the "behind" marker) are the optional
 * {@link RecordIndex.localTable} facet: null in distributed mode, where there is nothing to guard.
 */
import type { Expr, IndexRecord, RecordDraft, ScoredRow } from '../policy/index.js';
import type { EmbedderIdentity } from './identity.js';
import type { RecordKey } from './lance-table.js';
import type { VectorResult } from './planned-reads.js';
import type { RequestedPlan } from './planner.js';

/** The local LanceDB table's own concerns (src/indexing/guard.ts watches them). */
export interface LocalTable {
  /** Whether open() (or {@link recreate}) created the table (there was none). */
  readonly created: boolean;
  /** True once a write found the table gone, until {@link recreate}. */
  readonly lost: boolean;
  /** Whether the table is still there (its folder may have been removed under the running server). */
  present(): Promise<boolean>;
  /** Called (once per loss) when a write finds the table gone. */
  onLost(listener: () => void): void;
  /** The table's version (it grows with every commit). */
  version(): Promise<number>;
  /** Replaces a lost table with a new empty one; `prepare` (journaling the rebuild) runs first. */
  recreate(prepare: () => Promise<unknown>): Promise<void>;
}

/**
 * The account epoch (SPEC 14, src/storage/pg/epochs.ts) the jobs of each account in a batch were
 * journaled under: their records are written only while the account is live with that epoch. Only
 * the PostgreSQL journal of a server with a registry stamps jobs; without a stamp nothing is checked.
 */
export type AccountEpochs = ReadonlyMap<string, number>;

/** What the caller of {@link RecordIndex.upsert} may learn while it runs. */
export interface UpsertHooks {
  /**
   * Called at most once, when the store holds its own copy of the records' vectors (before its
   * commit, the write's largest moment): the caller may free the vectors' memory then. A store that
   * cannot tell does not call it (the memory is collected when the records are).
   */
  readonly copied?: () => void;
}

export interface RecordIndex {
  readonly embedder: EmbedderIdentity;
  /** The local LanceDB table, or null when PostgreSQL holds the records (nothing to guard). */
  readonly localTable: LocalTable | null;

  /**
   * Inserts or replaces records by `id` (a batch holding one id twice stores its last record);
   * resolves once the store of record holds them, and searches on this process find them from then
   * on. `readSince` ({@link purgeMark} taken before the records' sources were read) drops records of
   * accounts purged since by this process; `epochs` drops those of accounts deleted (or deleted and
   * created again) since their jobs were journaled, by any process.
   */
  upsert(
    batch: readonly IndexRecord[],
    readSince?: number,
    epochs?: AccountEpochs,
    hooks?: UpsertHooks,
  ): Promise<void>;
  /** Deletes every record matching a policy-core expression. */
  deleteWhere(expr: Expr): Promise<void>;
  /** The purge count now: an indexing batch takes it before reading its sources (see {@link upsert}). */
  purgeMark(): number;
  /** Deletes every record of an account now and fences off records of it read before. */
  purgeAccount(account_id: string): Promise<void>;
  /** Runs `load` (which writes through upsert and deleteWhere) as a bulk load. */
  bulkLoad<T>(load: () => Promise<T>): Promise<T>;

  /** Records matching an expression (all of them without one), exactly. */
  countRows(expr?: Expr): Promise<number>;
  /** Records matching an expression, in no particular order (maintenance and tests). */
  scan(expr: Expr, limit?: number): Promise<RecordDraft[]>;
  /** The key fields of the records matching an expression (maintenance compares them with the files). */
  scanKeys(expr: Expr, limit: number): Promise<RecordKey[]>;
  /** The k records nearest to `vector` among those matching `filter`, exactly. */
  vectorSearch(
    vector: Float32Array,
    filter: Expr,
    k: number,
    requested?: RequestedPlan,
  ): Promise<VectorResult>;
  /** Best BM25 matches of `query` among records matching `filter`. */
  fullTextSearch(query: string, filter: Expr, k: number): Promise<ScoredRow[]>;

  /**
   * Resolves once searches on this process reflect every record change committed (by any process)
   * before the call: after an index job is acknowledged, `wait: true` then means searchable here.
   */
  caughtUp(): Promise<void>;
  /** Resolves once the in-memory index has finished loading (whether it is ready or gave up). */
  whenLoaded(): Promise<void>;
  /** Resolves when no background work on the records (compaction) is running. */
  settled(): Promise<void>;
  /** What status shows about the in-memory index. */
  memoryStatus(): Record<string, unknown>;
  /**
   * Closes the index; `deadline` (epoch milliseconds, default none) bounds what a graceful close
   * may add to a shutdown (the in-memory index's snapshot is abandoned rather than pass it).
   */
  close(deadline?: number): Promise<void>;
}
