/**
 * The index store: the LanceDB records table ({@link LanceTable}, the store of record) combined with
 * its in-memory mirror. Writes go to the table under one write lock (the ids it lacks appended, the
 * rest merged by id: table-write.ts) and reach the mirror in two phases (mirrored-writes.ts), so a
 * search never finds a record the table does not hold. Deletes are built from policy expressions and
 * always sent to LanceDB; account purges fence off records read before them (purge-fence.ts); a bulk
 * load sets the mirror aside (bulk-load.ts); compaction runs off the write path (compaction.ts).
 * Queries are planned (planned-reads.ts): exact from the mirror when it is ready and caught up, else
 * an exact prefiltered LanceDB query — the same filter expression and the same top k either way. The
 * mirror never decides what the table holds: it loads from a pinned table version (mirror-sync.ts).
 */
import { rmSync } from 'node:fs';
import type * as lancedb from '@lancedb/lancedb';
import { logger, type Logger } from '../log.js';
import { eq, type Expr, type IndexRecord, type RecordDraft, type ScoredRow } from '../policy/index.js';
import { KeyedMutex } from '../storage/atomic.js';
import { BulkLoad } from './bulk-load.js';
import { Compactor } from './compaction.js';
import type { EmbedderIdentity } from './identity.js';
import { LanceTable, type RecordKey, type TableOptions } from './lance-table.js';
import { removeTemporaries } from './memory/snapshot.js';
import { Mirror } from './mirror.js';
import { MirrorSync } from './mirror-sync.js';
import { MirroredWrites } from './mirrored-writes.js';
import { PlannedReads, type VectorResult } from './planned-reads.js';
import type { RequestedPlan } from './planner.js';
import { PurgeFence } from './purge-fence.js';
import type { AccountEpochs, LocalTable, RecordIndex, UpsertHooks } from './record-index.js';
import type { WritePath } from './table-write.js';

export type { EmbedderIdentity } from './identity.js';
export { REINDEX_COMMAND } from './identity.js';
export { INDEX_RETRY_S, lostError, TABLE_NAME, type RecordKey } from './lance-table.js';
export type { VectorResult } from './planned-reads.js';

export interface StoreOptions extends TableOptions {
  /** Compact and refresh indexes in the background after this many writes (default 50). */
  readonly optimizeEvery?: number;
  /** Bytes the in-memory mirror may use (default 0: searches use LanceDB only). */
  readonly memoryBudgetBytes?: number;
  /** Worker threads that share the mirror's large scans with the calling thread (default 0). */
  readonly searchThreads?: number;
  /** Where the mirror's vector file is created (and at once unlinked; default: the temporary directory). */
  readonly vectorDir?: string;
  /** Where the mirror reports loading and giving up, and compaction failures (default: the app logger). */
  readonly log?: Logger;
  /**
   * Where the mirror's snapshot is written at close and restored from at the next open (default:
   * none). Deleted when the table is reset.
   */
  readonly snapshotDir?: string;
}

export class IndexStore implements RecordIndex, LocalTable {
  /** Serialises this process's writes (and the mirror's catch-up), so the mirror sees them in table order. */
  private readonly writeLock = new KeyedMutex();
  private readonly mirror: Mirror;
  private readonly sync: MirrorSync;
  private readonly compactor: Compactor;
  private readonly reads: PlannedReads;
  private readonly fence = new PurgeFence();
  private readonly bulk: BulkLoad;
  private readonly writes: MirroredWrites;
  /** How writes reach the table; `merge` only to measure or test the old path (table-write.ts). */
  writePath: WritePath = 'split';

  private constructor(
    private readonly lance: LanceTable,
    options: StoreOptions,
  ) {
    const log = options.log ?? logger;
    const budgetBytes = options.memoryBudgetBytes ?? 0;
    const { dimension } = lance.embedder;
    const locked = <T>(fn: () => Promise<T>): Promise<T> => this.writeLock.run('write', fn);
    const threads = options.searchThreads ?? 0;
    const vectorDir = options.vectorDir === undefined ? {} : { vectorDir: options.vectorDir };
    this.mirror = new Mirror({ dimension, budgetBytes, threads, ...vectorDir, log });
    this.reads = new PlannedReads(this.mirror, lance);
    this.sync = new MirrorSync({
      mirror: this.mirror,
      enabled: budgetBytes > 0,
      table: () => this.table,
      pinned: (version) => lance.pinned(version),
      locked,
      log,
      ...(options.snapshotDir === undefined
        ? {}
        : { snapshot: { dir: options.snapshotDir, key: `${lance.embedder.id}/${dimension}` } }),
    });
    this.bulk = new BulkLoad({ mirror: this.mirror, sync: this.sync, table: () => this.table, locked });
    this.writes = new MirroredWrites({
      table: lance,
      mirror: this.mirror,
      sync: this.sync,
      bulk: this.bulk,
      path: () => this.writePath,
    });
    this.compactor = new Compactor({
      table: () => this.table,
      ready: () => this.sync.whenLoaded(),
      every: options.optimizeEvery ?? 50,
      log,
    });
  }

  /** The current LanceDB handle (for the mirror's reads, bulk ids and compaction). */
  private get table(): lancedb.Table {
    return this.lance.handle;
  }

  /** Opens (or creates) the records table; refuses a table built with another embedder. */
  static async open(options: StoreOptions): Promise<IndexStore> {
    // A new table may come to the version the old one's snapshot reflects.
    if (options.snapshotDir !== undefined) {
      removeTemporaries(options.snapshotDir);
      if (options.reset === true) rmSync(options.snapshotDir, { recursive: true, force: true });
    }
    const table = await LanceTable.open(options);
    try {
      const store = new IndexStore(table, options);
      void store.sync.start();
      return store;
    } catch (error) {
      table.close();
      throw error;
    }
  }

  /** The embedder identity stored with an existing index, or null if there is no index yet. */
  static storedIdentity = (uri: string): Promise<EmbedderIdentity | null> => LanceTable.storedIdentity(uri);

  get embedder(): EmbedderIdentity {
    return this.lance.embedder;
  }

  /** The store itself: it is the local LanceDB table the guard watches. */
  get localTable(): LocalTable {
    return this;
  }

  /** Whether open() (or {@link recreate}) created the table (there was none). */
  get created(): boolean {
    return this.lance.created;
  }

  /** Whether the table is still there (its folder may have been removed under the running server). */
  present(): Promise<boolean> {
    return this.lance.present();
  }

  /** True once a write found the table gone, until {@link recreate}. */
  get lost(): boolean {
    return this.lance.lost;
  }

  /** Called (once per loss) when a write finds the table gone. */
  onLost(listener: () => void): void {
    this.lance.onLost(listener);
  }

  /** The table's version (it grows with every commit; a re-created table starts again at 1). */
  version(): Promise<number> {
    return this.lance.version();
  }

  /**
   * Replaces a lost table with a new empty one (same embedder) and empties the mirror to match.
   * `prepare` (journaling the rebuild) runs first; writes wait meanwhile instead of failing.
   * Whatever a lost table left behind is dropped.
   */
  async recreate(prepare: () => Promise<unknown>): Promise<void> {
    await this.sync.whenLoaded();
    await this.writeLock.run('write', async () => {
      await prepare();
      await this.lance.recreate();
      // Still under the lock: no write reaches the old mirror's contents.
      await this.sync.emptied();
    });
  }

  /** Writes reach the mirror before they resolve: nothing committed is left to catch up with. */
  caughtUp(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves once the mirror has finished loading (whether it is ready or gave up). */
  whenLoaded(): Promise<void> {
    return this.sync.whenLoaded();
  }

  /** What status shows about the in-memory mirror, and the MiB LanceDB's caches hold. */
  memoryStatus(): Record<string, unknown> {
    return {
      ...this.mirror.describe(),
      reflects_version: this.sync.reflects,
      lancedb_cache_mb: Math.round(this.cacheBytes() / 2 ** 17) / 8,
    };
  }

  /** Bytes held by LanceDB's index and metadata caches. */
  cacheBytes(): number {
    return this.lance.cacheBytes();
  }

  /**
   * Inserts or replaces records by `id`; a batch holding one id twice stores its last record only
   * (LanceDB would insert both). The mirror prepares the records while LanceDB writes them and shows
   * them once LanceDB accepted them: a search never finds a record the table does not hold. After a
   * failed write the mirror re-reads those ids from the table. `readSince` ({@link purgeMark} taken
   * before the records' sources were read) drops records of accounts purged since. `hooks.copied`
   * runs once the table's files are built and the mirror has prepared its copy, before the commit.
   * (`epochs` is PostgreSQL's: one process writes a local table, and `readSince` fences it.)
   */
  async upsert(
    batch: readonly IndexRecord[],
    readSince?: number,
    _epochs?: AccountEpochs,
    hooks: UpsertHooks = {},
  ): Promise<void> {
    if (batch.length === 0) return;
    await this.writeLock.run('write', async () => {
      const records = this.fence.admit(lastPerId(batch), readSince);
      if (records.length === 0) return;
      await this.writes.upsert(records, hooks);
    });
    this.compactor.wrote();
  }

  /** The purge count now: an indexing batch takes it before reading its sources (see {@link upsert}). */
  purgeMark(): number {
    return this.fence.mark();
  }

  /**
   * Deletes every record of an account from the table and the mirror before it resolves, whatever the
   * indexer is doing, and fences off records of it whose sources were read before (an indexing batch
   * in flight would otherwise write the old tenant's records back). For an account id re-used after
   * a delete: nothing of the earlier account may be found by the new one.
   */
  async purgeAccount(account_id: string): Promise<void> {
    await this.writeLock.run('write', async () => {
      this.fence.purge(account_id);
      return this.writes.delete(eq('account_id', account_id));
    });
    this.compactor.wrote();
  }

  /**
   * Runs `load` (which writes through {@link upsert} and {@link deleteWhere}) as a bulk load: the
   * mirror is set aside meanwhile and rebuilt in the background after ({@link whenLoaded} resolves
   * once it is ready; searches use LanceDB until then). See bulk-load.ts.
   */
  bulkLoad<T>(load: () => Promise<T>): Promise<T> {
    return this.bulk.run(load);
  }

  /** Deletes every record matching a policy-core expression; the table decides whether any does. */
  async deleteWhere(expr: Expr): Promise<void> {
    if (expr.kind === 'const' && !expr.value) return;
    if (await this.writeLock.run('write', () => this.writes.delete(expr))) this.compactor.wrote();
  }

  /** Records matching an expression (exact: from the mirror when ready, else a LanceDB count). */
  countRows(expr?: Expr): Promise<number> {
    return this.reads.countRows(expr);
  }

  /** Records matching an expression, in no particular order (maintenance and tests). */
  scan(expr: Expr, limit?: number): Promise<RecordDraft[]> {
    return this.lance.scan(expr, limit);
  }

  /** The key fields of the records matching an expression (see {@link LanceTable.scanKeys}). */
  scanKeys(expr: Expr, limit: number): Promise<RecordKey[]> {
    return this.lance.scanKeys(expr, limit);
  }

  /** The k records nearest to `vector` among those matching `filter`, exactly (see {@link PlannedReads}). */
  vectorSearch(
    vector: Float32Array,
    filter: Expr,
    k: number,
    requested?: RequestedPlan,
  ): Promise<VectorResult> {
    return this.reads.vectorSearch(vector, filter, k, requested);
  }

  /** Best BM25 matches of `query` among records matching `filter` (see {@link PlannedReads}). */
  fullTextSearch(query: string, filter: Expr, k: number): Promise<ScoredRow[]> {
    return this.reads.fullTextSearch(query, filter, k);
  }

  /** Compacts the table now (see {@link Compactor.optimize}). */
  optimize(): Promise<void> {
    return this.compactor.optimize();
  }

  /** Resolves when no background compaction is running. */
  settled(): Promise<void> {
    return this.compactor.settled();
  }

  /** Number of data fragments (many small ones mean compaction is due). */
  fragmentCount(): Promise<number> {
    return this.lance.fragmentCount();
  }

  /**
   * Writes the mirror's snapshot (when it is ready and reflects the table's version: the next open
   * restores it; abandoned if not done by `deadline`), stops the mirror (a load in progress ends at its next batch), waits for compaction,
   * closes the table.
   */
  async close(deadline = Number.POSITIVE_INFINITY): Promise<void> {
    await this.writeLock.run('write', async () => {
      await this.sync.saveSnapshot(deadline);
      await this.mirror.close();
    });
    await this.sync.whenLoaded();
    await this.settled();
    this.lance.close();
  }
}

/**
 * The last record of each id, in first-seen order. One batch can build a record twice (a message's
 * own job and the commit that archived it); a merge-insert would store both copies.
 */
function lastPerId(records: readonly IndexRecord[]): readonly IndexRecord[] {
  const byId = new Map<string, IndexRecord>();
  for (const record of records) byId.set(record.id, record);
  return byId.size === records.length ? records : [...byId.values()];
}
