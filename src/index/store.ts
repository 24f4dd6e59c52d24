/**
 * The LanceDB index store: one `records` table (SPEC 9.2) opened once, with the embedder identity in
 * its schema metadata, scalar and full-text indexes, writes that append the ids the table itself says
 * it lacks and merge the rest by id (table-write.ts), deletes built from policy expressions and always sent to
 * LanceDB, account purges that fence off records read before them, and compaction off the write
 * path. Vector queries are planned: exact from the in-memory mirror of the table when it is ready and
 * caught up, else an exact prefiltered LanceDB scan — both get the same filter expression and return
 * the same top k. The mirror never decides what the table holds: it is patched from the table after
 * a failed write, and loads from a pinned table version while writes go on.
 * Before every write it checks that the table is still there: a table deleted under it (its folder
 * removed) is reported lost instead of being re-created half empty by the next write.
 */
import * as lancedb from '@lancedb/lancedb';
import type { Schema } from 'apache-arrow';
import { AppError } from '../errors.js';
import { logger, type Logger } from '../log.js';
import {
  COLUMN_NAMES,
  COLUMNS,
  compileWhere,
  eq,
  HIT_COLUMNS,
  type Column,
  type Expr,
  type ScoredRow,
} from '../policy/index.js';
import { KeyedMutex } from '../storage/atomic.js';
import { META_EMBEDDER_DIMENSION, META_EMBEDDER_ID, recordSchema, toArrowTable } from './arrow.js';
import { BulkIds } from './bulk-ids.js';
import { Compactor } from './compaction.js';
import { Mirror } from './mirror.js';
import { MirrorSync } from './mirror-sync.js';
import { choosePlan, quantizeFor, type PlanReport, type RequestedPlan } from './planner.js';
import type { IndexRecord, RecordDraft } from '../policy/index.js';
import { z } from 'zod';
import { DRAFT_COLUMNS, parseDraft, parseHit } from './rows.js';
import { ensureFullTextIndex, ftsIndexOptions, lanceFullText } from './fulltext-lance.js';
import { PurgeFence } from './purge-fence.js';
import { searchableText } from './terms.js';
import { writeRecords, type WritePath } from './table-write.js';

/** What {@link IndexStore.scanKeys} answers per record. */
const recordKey = z.object({ uri: z.string(), scope: z.string(), level: z.number(), updated_at: z.number() });
export type RecordKey = z.output<typeof recordKey>;

export interface EmbedderIdentity {
  readonly id: string;
  readonly dimension: number;
}

export interface StoreOptions {
  /** LANCEDB_URI: a local folder or any URI LanceDB accepts. */
  readonly uri: string;
  readonly embedder: EmbedderIdentity;
  /** Drop an existing table first (a full rebuild, e.g. after changing the embedder). */
  readonly reset?: boolean;
  /** Compact and refresh indexes in the background after this many writes (default 50). */
  readonly optimizeEvery?: number;
  /** Bytes the in-memory mirror may use (default 0: searches use LanceDB only). */
  readonly memoryBudgetBytes?: number;
  /** Worker threads that share the mirror's large scans with the calling thread (default 0). */
  readonly searchThreads?: number;
  /**
   * Bytes of LanceDB's index cache and metadata cache (LanceDB's defaults, 6 GiB and 1 GiB, let them
   * grow with every compaction: each one writes new index files, and the old ones stay cached).
   */
  readonly cacheBytes?: { readonly index: number; readonly metadata: number };
  /** Where the mirror reports loading and giving up, and compaction failures (default: the app logger). */
  readonly log?: Logger;
  /**
   * How often (seconds) reads look for commits by other processes, e.g. a `npm run reindex` or
   * another server on shared storage (default 5; 0 = every read).
   */
  readonly readConsistencySeconds?: number;
}

export const TABLE_NAME = 'records';

/** The LanceDB index of each kind the column table names (full text on `text`, scalar on filters). */
const INDEX_CONFIG = {
  fts: ftsIndexOptions,
  bitmap: () => ({ config: lancedb.Index.bitmap() }),
  btree: () => ({ config: lancedb.Index.btree() }),
} as const;
export const REINDEX_COMMAND = 'npm run reindex -- --reset';

/** A vector query's rows and how they were found. */
export interface VectorResult {
  readonly rows: ScoredRow[];
  readonly plan: PlanReport;
}

/** The embedder identity recorded in a table's schema, or null if it carries none. */
function identityOf(schema: Schema): EmbedderIdentity | null {
  const id = schema.metadata.get(META_EMBEDDER_ID);
  const dimension = Number(schema.metadata.get(META_EMBEDDER_DIMENSION));
  return id === undefined || !Number.isInteger(dimension) ? null : { id, dimension };
}

function mismatch(stored: EmbedderIdentity | null, wanted: EmbedderIdentity): AppError {
  const was = stored === null ? 'an unknown embedder' : `${stored.id} (dimension ${stored.dimension})`;
  return new AppError(
    'FAILED_PRECONDITION',
    `the index was built with ${was} but the configured embedder is ${wanted.id} ` +
      `(dimension ${wanted.dimension}); rebuild it with \`${REINDEX_COMMAND}\``,
    { stored, configured: wanted },
  );
}

/** Retry-After of searches refused while the index is missing or being rebuilt. */
export const INDEX_RETRY_S = 5;

/** UNAVAILABLE: the index table was removed under the running server (it is rebuilt). */
export function lostError(uri: string): AppError {
  return new AppError('UNAVAILABLE', `the search index at ${uri} is missing; it is being rebuilt`, {
    retry_after_s: INDEX_RETRY_S,
  });
}

export class IndexStore {
  /** Serialises this process's writes (and the mirror's catch-up), so the mirror sees them in table order. */
  private readonly writeLock = new KeyedMutex();
  private readonly mirror: Mirror;
  private readonly sync: MirrorSync;
  private readonly compactor: Compactor;
  private readonly fence = new PurgeFence();
  /** While a bulk load runs: the ids the table held when it began, and those the load wrote. */
  private bulk: BulkIds | null = null;
  private lostListener: (() => void) | null = null;
  /** Set once a write found the table gone; cleared by {@link recreate}. */
  private isLost = false;
  /** Whether open() created the table (there was none). */
  created = false;
  /** How writes reach the table; `merge` only to measure or test the old path (table-write.ts). */
  writePath: WritePath = 'split';

  private constructor(
    private readonly session: lancedb.Session,
    private readonly db: lancedb.Connection,
    private table: lancedb.Table,
    private readonly schema: Schema,
    readonly embedder: EmbedderIdentity,
    private readonly options: StoreOptions,
  ) {
    this.mirror = new Mirror({
      dimension: embedder.dimension,
      budgetBytes: options.memoryBudgetBytes ?? 0,
      threads: options.searchThreads ?? 0,
      log: options.log ?? logger,
    });
    this.sync = new MirrorSync({
      mirror: this.mirror,
      enabled: (options.memoryBudgetBytes ?? 0) > 0,
      table: () => this.table,
      pinned: async (version) => {
        const pinned = await this.db.openTable(TABLE_NAME);
        await pinned.checkout(version);
        return pinned;
      },
      locked: (fn) => this.writeLock.run('write', fn),
      log: options.log ?? logger,
    });
    this.compactor = new Compactor({
      table: () => this.table,
      ready: () => this.sync.whenLoaded(),
      every: options.optimizeEvery ?? 50,
      log: options.log ?? logger,
    });
  }

  /** Opens (or creates) the records table; refuses a table built with another embedder. */
  static async open(options: StoreOptions): Promise<IndexStore> {
    const caches = options.cacheBytes;
    const session =
      caches === undefined
        ? lancedb.Session.default()
        : new lancedb.Session(BigInt(caches.index), BigInt(caches.metadata));
    const db = await lancedb.connect(options.uri, {
      readConsistencyInterval: options.readConsistencySeconds ?? 5,
      session,
    });
    try {
      const names = await db.tableNames();
      if (names.includes(TABLE_NAME) && options.reset === true) await db.dropTable(TABLE_NAME);
      const exists = names.includes(TABLE_NAME) && options.reset !== true;
      const table = exists ? await db.openTable(TABLE_NAME) : await IndexStore.create(db, options.embedder);
      const schema = await table.schema();
      const stored = identityOf(schema);
      if (stored?.id !== options.embedder.id || stored.dimension !== options.embedder.dimension) {
        table.close();
        throw mismatch(stored, options.embedder);
      }
      // Our own schema object: the table's comes from LanceDB's copy of apache-arrow.
      const ours = recordSchema(stored.id, stored.dimension);
      if (exists) await ensureFullTextIndex(table, stored, options.log ?? logger);
      const store = new IndexStore(session, db, table, ours, stored, options);
      store.created = !exists;
      void store.sync.start();
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** The embedder identity stored with an existing index, or null if there is no index yet. */
  static async storedIdentity(uri: string): Promise<EmbedderIdentity | null> {
    const db = await lancedb.connect(uri);
    try {
      if (!(await db.tableNames()).includes(TABLE_NAME)) return null;
      const table = await db.openTable(TABLE_NAME);
      const identity = identityOf(await table.schema());
      table.close();
      return identity;
    } finally {
      db.close();
    }
  }

  private static async create(db: lancedb.Connection, embedder: EmbedderIdentity): Promise<lancedb.Table> {
    const table = await db.createEmptyTable(TABLE_NAME, recordSchema(embedder.id, embedder.dimension));
    // Indexes build fine on an empty table and are then kept current by optimize().
    for (const column of COLUMN_NAMES) {
      const { index }: Column = COLUMNS[column];
      if (index !== undefined) await table.createIndex(column, INDEX_CONFIG[index]());
    }
    return table;
  }

  /** Whether the table is still there (its folder may have been removed under the running server). */
  async present(): Promise<boolean> {
    return !this.isLost && (await this.listed());
  }

  private async listed(): Promise<boolean> {
    return (await this.db.tableNames()).includes(TABLE_NAME);
  }

  /** True once a write found the table gone, until {@link recreate}. */
  get lost(): boolean {
    return this.isLost;
  }

  /** Called (once per loss) when a write finds the table gone. */
  onLost(listener: () => void): void {
    this.lostListener = listener;
  }

  /** The table's version (it grows with every commit; a re-created table starts again at 1). */
  version(): Promise<number> {
    return this.table.version();
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
      if (await this.listed()) await this.db.dropTable(TABLE_NAME);
      this.table.close();
      this.table = await IndexStore.create(this.db, this.embedder);
      this.isLost = false;
      this.created = true;
      // Still under the lock: no write reaches the old mirror's contents.
      await this.sync.emptied();
    });
  }

  /** Inside the write lock: refuses to write to a table that is gone (and reports the loss once). */
  private async assertPresent(): Promise<void> {
    if (!this.isLost && (await this.listed())) return;
    if (!this.isLost) {
      this.isLost = true;
      (this.options.log ?? logger).error({ uri: this.options.uri }, 'the index table is gone');
      this.lostListener?.();
    }
    throw lostError(this.options.uri);
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
    return Number(this.session.sizeBytes());
  }

  /**
   * Inserts or replaces records by `id`; a batch holding one id twice stores its last record only
   * (LanceDB would insert both). The mirror prepares the records while LanceDB writes them and shows
   * them once LanceDB accepted them: a search never finds a record the table does not hold. After a
   * failed write the mirror re-reads those ids from the table. `readSince` ({@link purgeMark} taken
   * before the records' sources were read) drops records of accounts purged since.
   */
  async upsert(batch: readonly IndexRecord[], readSince?: number): Promise<void> {
    if (batch.length === 0) return;
    await this.writeLock.run('write', async () => {
      const records = this.fence.admit(lastPerId(batch), readSince);
      if (records.length === 0) return;
      await this.assertPresent();
      this.sync.writing(records.map((r) => r.id));
      const written = this.write(records);
      // Handled here so a failure while the mirror prepares is not reported as unhandled.
      void written.catch(() => undefined);
      const staged = await this.mirror.prepare(records);
      try {
        await written;
      } catch (error) {
        this.mirror.discard(staged);
        await this.sync.repair(records.map((r) => r.id));
        throw error;
      }
      this.mirror.commit(staged);
      await this.sync.caughtUp();
    });
    this.wrote();
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
      return this.deleteLocked(eq('account_id', account_id));
    });
    this.wrote();
  }

  /**
   * Runs `load` (which writes through {@link upsert} and {@link deleteWhere}) as a bulk load: the
   * mirror is set aside, so a write is LanceDB's append alone, and searches meanwhile use LanceDB's
   * exact scan (they find every record written). When `load` settles the mirror is rebuilt from the
   * table in the background, as at open ({@link whenLoaded} resolves once it is ready); searches use
   * LanceDB until then.
   */
  async bulkLoad<T>(load: () => Promise<T>): Promise<T> {
    await this.sync.whenLoaded();
    await this.writeLock.run('write', async () => {
      if (this.bulk !== null) throw new Error('a bulk load is already running');
      this.mirror.defer();
      this.bulk = await BulkIds.of(this.table);
    });
    try {
      return await load();
    } finally {
      await this.writeLock.run('write', () => {
        this.bulk = null;
        return Promise.resolve();
      });
      if (this.mirror.state === 'deferred') void this.sync.start();
    }
  }

  /**
   * Writes records to the table (table-write.ts: append the ids it says it lacks, merge the rest).
   * The mirror only hints which ids to merge without asking: a merge is right either way.
   */
  private async write(records: readonly IndexRecord[]): Promise<void> {
    const memory = this.mirror.ready;
    await writeRecords(this.table, records, (r) => this.arrow(r), {
      bulk: this.bulk,
      path: this.writePath,
      likelyHeld: (id) => memory?.has(id) === true,
    });
  }

  /** Deletes every record matching a policy-core expression; the table decides whether any does. */
  async deleteWhere(expr: Expr): Promise<void> {
    if (expr.kind === 'const' && !expr.value) return;
    if (await this.writeLock.run('write', () => this.deleteLocked(expr))) this.wrote();
  }

  /**
   * Under the write lock: deletes in the table, then in the mirror (patched from the table on
   * failure). Whether the table held any matching record.
   */
  private async deleteLocked(expr: Expr): Promise<boolean> {
    await this.assertPresent();
    this.sync.deleting(expr);
    const ids = this.mirror.ready?.matchIds(expr) ?? [];
    const where = compileWhere(expr);
    // LanceDB commits a version even for a delete that matches nothing (every batch's stale-chunk
    // delete): the table, not the mirror, says whether there is anything to delete.
    const held = (await this.table.countRows(where)) > 0;
    if (held) {
      try {
        await this.table.delete(where);
      } catch (error) {
        await this.sync.repair(ids);
        throw error;
      }
    }
    this.mirror.remove(ids);
    if (held) await this.sync.caughtUp();
    return held;
  }

  /** Records matching an expression (exact: from the mirror when ready, else a LanceDB count). */
  async countRows(expr?: Expr): Promise<number> {
    const memory = this.mirror.ready;
    if (memory !== null) return expr === undefined ? memory.size : memory.count(expr);
    return expr === undefined ? this.table.countRows() : this.table.countRows(compileWhere(expr));
  }

  /** Records matching an expression, in no particular order (maintenance and tests). */
  async scan(expr: Expr, limit = 100_000): Promise<RecordDraft[]> {
    const rows: unknown[] = await this.table
      .query()
      .where(compileWhere(expr))
      .select(DRAFT_COLUMNS)
      .limit(limit)
      .toArray();
    return rows.map(parseDraft);
  }

  /**
   * The key fields of the records matching an expression — no text, no vector — for maintenance
   * that compares the index with the filesystem (content/reindex, system/consistency).
   */
  async scanKeys(expr: Expr, limit: number): Promise<RecordKey[]> {
    const rows: unknown[] = await this.table
      .query()
      .where(compileWhere(expr))
      .select(['uri', 'scope', 'level', 'updated_at'])
      .limit(limit)
      .toArray();
    // Arrow rows are proxies: read the four fields by name.
    return rows.map((row) => {
      const { uri, scope, level, updated_at } = row as Record<string, unknown>;
      return recordKey.parse({ uri, scope, level, updated_at });
    });
  }

  /**
   * The k records nearest to `vector` (cosine) among those matching `filter`, exactly, by the plan
   * the planner picks: the in-memory mirror when it is ready, else a prefiltered LanceDB scan.
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
      const { hits, matching, quantized, stages_ms } = memory.search(vector, filter, k, quantizeFor);
      const rows = hits.map(({ row, distance }) => ({ ...row, _distance: distance }));
      return { rows, plan: { name: quantized ? 'memory-int8' : name, matching, stages_ms } };
    }
    const started = performance.now();
    const rows: unknown[] = await this.table
      .query()
      .nearestTo(vector)
      .distanceType('cosine')
      .where(compileWhere(filter))
      .select([...HIT_COLUMNS, '_distance'])
      .limit(k)
      .toArray();
    const parsed = rows.map(parseHit);
    return {
      rows: parsed,
      plan: { name, matching: null, stages_ms: { lancedb: performance.now() - started } },
    };
  }

  /**
   * Best BM25 matches of `query` in `text` among records matching `filter` (statistics over those
   * records): from the mirror's inverted index when it is ready, else LanceDB's full-text index as a
   * candidate finder (fulltext-lance.ts) — the same hits and scores either way.
   */
  async fullTextSearch(query: string, filter: Expr, k: number): Promise<ScoredRow[]> {
    const memory = this.mirror.ready;
    if (memory !== null)
      return memory.fullText(query, filter, k).map(({ row, score }) => ({ ...row, _score: score }));
    return lanceFullText(this.table, query, filter, k);
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
  async fragmentCount(): Promise<number> {
    return (await this.table.stats()).fragmentStats.numFragments;
  }

  /** Counts a write towards the next background compaction. */
  private wrote(): void {
    this.compactor.wrote();
  }

  /** Records as an Arrow table; the `text` column holds the searchable form its FTS index needs. */
  private arrow(records: readonly IndexRecord[]) {
    const searchable = records.map((r) => {
      const text = searchableText(r.text);
      return text === r.text ? r : { ...r, text };
    });
    return toArrowTable(this.schema, searchable, this.embedder.dimension);
  }

  /** Stops the mirror (a load in progress ends at its next batch), waits for compaction, closes the table. */
  async close(): Promise<void> {
    await this.mirror.close();
    await this.sync.whenLoaded();
    await this.settled();
    this.table.close();
    this.db.close();
  }
}

/**
 * The last record of each id, in first-seen order. One indexing batch can build a record twice (a
 * message's own job and the commit that archived it), and a merge-insert inserts every unmatched
 * source row: both copies would be stored.
 */
function lastPerId(records: readonly IndexRecord[]): readonly IndexRecord[] {
  const byId = new Map<string, IndexRecord>();
  for (const record of records) byId.set(record.id, record);
  return byId.size === records.length ? records : [...byId.values()];
}
