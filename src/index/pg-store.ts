/**
 * The index in distributed mode (SPEC 14): PostgreSQL's `index_records` ({@link PgRecords}) is the
 * store of record — a write resolves once committed there, deletes are always sent — and this
 * process's in-memory index is a cache of it ({@link PgCache}: loaded from a snapshot at a seq,
 * caught up in seq order). Searches use the cache when it is ready and reflects what this process
 * must see, else {@link PgSearchIndex} with the same compiled filter (exact: the same hits).
 * Account purges fence off records read before them as IndexStore does (purge-fence.ts), for the
 * batches of this process; across processes, records are written only while their account is live
 * with the epoch their jobs were journaled under (src/storage/pg/epochs.ts). Tombstones are purged on a timer (pg-tombstones.ts). The embedder the
 * records were built with is kept in `index_meta`; another one is refused.
 */
import { KeyedMutex } from '../storage/atomic.js';
import { logger, type Logger } from '../log.js';
import { eq, TRUE, type Expr, type IndexRecord, type RecordDraft, type ScoredRow } from '../policy/index.js';
import type { Subscribe } from '../storage/pg/catch-up.js';
import { claimIdentity, storedIdentity } from '../storage/pg/index-meta.js';
import { countLive, scanLive, scanLiveKeys } from '../storage/pg/record-reads.js';
import { PgRecords } from '../storage/pg/records.js';
import { PgSearchIndex } from '../storage/pg/search.js';
import type { SqlClient, SqlDatabase } from '../storage/pg/sql.js';
import { mismatch, type EmbedderIdentity } from './identity.js';
import type { RecordKey } from './lance-table.js';
import { PgCache } from './pg-cache.js';
import { TombstonePurger, type TombstoneOptions } from './pg-tombstones.js';
import { memoryFullText, memoryVectorSearch, type VectorResult } from './planned-reads.js';
import type { RequestedPlan } from './planner.js';
import { PurgeFence } from './purge-fence.js';
import type { AccountEpochs, RecordIndex } from './record-index.js';

export interface PgStoreOptions {
  readonly db: SqlDatabase;
  readonly embedder: EmbedderIdentity;
  /** Empty the records and record this embedder (a rebuild with another one). */
  readonly reset?: boolean;
  /** Bytes the in-memory cache may use (default 0: every search goes to PostgreSQL). */
  readonly memoryBudgetBytes?: number;
  /** Worker threads that share the cache's large scans with the calling thread (default 0). */
  readonly searchThreads?: number;
  /** Where the cache's vector file is created (and at once unlinked; default: the temporary directory). */
  readonly vectorDir?: string;
  /** LISTEN on `records_changed` (catch-up.ts `listenOn`); without it the cache polls only. */
  readonly subscribe?: Subscribe;
  /** The cache's polling interval, ms (default 500). */
  readonly pollMs?: number;
  /** How long after a failed cache load it is tried again, ms (default 5000). */
  readonly retryMs?: number;
  /** Tombstone purging (default: every minute, kept ten minutes); false: not by this process. */
  readonly tombstones?: TombstoneOptions | false;
  /** Use pgvector for searches without the cache (default: where the table has it). */
  readonly pgvector?: boolean;
  readonly log?: Logger;
}

export class PgIndexStore implements RecordIndex {
  /** No local table: nothing for the guard to watch. */
  readonly localTable = null;
  private readonly fence = new PurgeFence();
  /** Serialises this process's upserts with its purges (the fence's admission and the write). */
  private readonly writeLock = new KeyedMutex();

  private constructor(
    private readonly db: SqlDatabase,
    readonly embedder: EmbedderIdentity,
    private readonly records: PgRecords,
    private readonly search: PgSearchIndex,
    private readonly cache: PgCache,
    private readonly purger: TombstonePurger | null,
  ) {}

  /** Opens the index on PostgreSQL; refuses records built with another embedder (unless `reset`). */
  static async open(options: PgStoreOptions): Promise<PgIndexStore> {
    const { db, embedder } = options;
    const log = options.log ?? logger;
    const records = new PgRecords(db);
    if (options.reset === true) await records.deleteWhere(TRUE);
    const stored = await claimIdentity(db, embedder, options.reset === true);
    if (stored?.id !== embedder.id || stored.dimension !== embedder.dimension)
      throw mismatch(stored, embedder);
    const search = await PgSearchIndex.open(
      db,
      options.pgvector === undefined ? {} : { pgvector: options.pgvector },
    );
    const cache = new PgCache({
      db,
      records,
      dimension: embedder.dimension,
      budgetBytes: options.memoryBudgetBytes ?? 0,
      threads: options.searchThreads ?? 0,
      ...(options.vectorDir === undefined ? {} : { vectorDir: options.vectorDir }),
      ...(options.subscribe === undefined ? {} : { subscribe: options.subscribe }),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
      log,
    });
    const purger =
      options.tombstones === false ? null : new TombstonePurger(records, { ...options.tombstones, log });
    purger?.start();
    return new PgIndexStore(db, embedder, records, search, cache, purger);
  }

  /** The embedder identity the records were built with, or null if none was recorded yet. */
  static storedIdentity(db: SqlClient): Promise<EmbedderIdentity | null> {
    return storedIdentity(db);
  }

  /**
   * Inserts or replaces records by `id` (the last of an id in the batch); resolves once committed.
   * `readSince` ({@link purgeMark} taken before the records' sources were read) drops records of
   * accounts purged since by this process, `epochs` (src/storage/pg/epochs.ts) those of accounts
   * deleted since their jobs were journaled, by any process. A failed write leaves the cache as it
   * was: it only reads commits.
   */
  async upsert(batch: readonly IndexRecord[], readSince?: number, epochs?: AccountEpochs): Promise<void> {
    if (batch.length === 0) return;
    const wrong = batch.find((r) => r.vector.length !== this.embedder.dimension);
    if (wrong !== undefined)
      throw new Error(
        `record ${wrong.id}: ${wrong.vector.length} dimensions, the index has ${this.embedder.dimension}`,
      );
    await this.writeLock.run('write', async () => {
      const admitted = this.fence.admit(batch, readSince);
      if (admitted.length > 0) this.cache.wrote(await this.records.upsert(admitted, epochs));
    });
  }

  purgeMark(): number {
    return this.fence.mark();
  }

  /** Deletes every record of an account and fences off records of it read before (see IndexStore). */
  async purgeAccount(account_id: string): Promise<void> {
    await this.writeLock.run('write', async () => {
      this.fence.purge(account_id);
      this.cache.wrote((await this.records.delete(eq('account_id', account_id))).last);
    });
  }

  async deleteWhere(expr: Expr): Promise<void> {
    this.cache.wrote((await this.records.delete(expr)).last);
  }

  /** Runs `load` as it is: the cache takes in record changes a page at a time anyway. */
  bulkLoad<T>(load: () => Promise<T>): Promise<T> {
    return load();
  }

  async countRows(expr?: Expr): Promise<number> {
    const memory = this.cache.usable();
    if (memory !== null) return expr === undefined ? memory.size : memory.count(expr);
    return countLive(this.db, expr);
  }

  scan(expr: Expr, limit = 100_000): Promise<RecordDraft[]> {
    return scanLive(this.db, expr, limit);
  }

  scanKeys(expr: Expr, limit: number): Promise<RecordKey[]> {
    return scanLiveKeys(this.db, expr, limit);
  }

  /** From the cache when it may answer (see {@link PgCache.usableSoon}), else from PostgreSQL; `baseline` forces PostgreSQL. */
  async vectorSearch(
    vector: Float32Array,
    filter: Expr,
    k: number,
    requested: RequestedPlan = 'auto',
  ): Promise<VectorResult> {
    const memory = requested === 'baseline' ? null : await this.cache.usableSoon();
    if (memory !== null) {
      const result = memoryVectorSearch(memory, vector, filter, k, (error) => this.cache.failed(error));
      if (result !== null) return result;
    }
    const { rows, plan } = await this.search.vectorSearch(vector, filter, k);
    return { rows: [...rows], plan };
  }

  async fullTextSearch(query: string, filter: Expr, k: number): Promise<ScoredRow[]> {
    const memory = await this.cache.usableSoon();
    if (memory !== null) return memoryFullText(memory, query, filter, k);
    return [...(await this.search.fullTextSearch(query, filter, k))];
  }

  caughtUp(): Promise<void> {
    return this.cache.caughtUp();
  }

  whenLoaded(): Promise<void> {
    return this.cache.whenLoaded();
  }

  /** Nothing runs in the background on the records (PostgreSQL maintains its own tables). */
  settled(): Promise<void> {
    return Promise.resolve();
  }

  memoryStatus(): Record<string, unknown> {
    return this.cache.describe();
  }

  /** Stops purging and catching up (closing the LISTEN connection) and frees the cache. */
  async close(): Promise<void> {
    await this.purger?.stop();
    await this.cache.close();
  }
}
