/**
 * The records table in LanceDB (SPEC 9.2) and everything said to LanceDB about it: opening or creating
 * it (with the embedder identity in its schema metadata, scalar and full-text indexes), closing it,
 * writing rows (appended or merged by id, table-write.ts) and deleting them, counting, its version, exact prefiltered vector and
 * full-text queries, and noticing that it was deleted under the running server (its folder removed):
 * a write then reports it lost instead of re-creating it half empty. Filters arrive as policy
 * expressions and are compiled here, by the one compiler.
 */
import * as lancedb from '@lancedb/lancedb';
import type { Schema } from 'apache-arrow';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { logger, type Logger } from '../log.js';
import {
  COLUMN_NAMES,
  COLUMNS,
  compileWhere,
  HIT_COLUMNS,
  type Column,
  type Expr,
  type IndexRecord,
  type RecordDraft,
  type ScoredRow,
} from '../policy/index.js';
import { recordSchema } from './arrow.js';
import { ensureFullTextIndex, ftsIndexOptions, lanceFullText } from './fulltext-lance.js';
import { identityOf, mismatch, type EmbedderIdentity } from './identity.js';
import { DRAFT_COLUMNS, parseDraft, parseHit } from './rows.js';
import {
  recordSink,
  writeRecords,
  type RecordSink,
  type WriteCounts,
  type WriteOptions,
} from './table-write.js';
import { searchableText } from './terms.js';

export const TABLE_NAME = 'records';

/** Retry-After of searches refused while the index is missing or being rebuilt. */
export const INDEX_RETRY_S = 5;

/** UNAVAILABLE: the index table was removed under the running server (it is rebuilt). */
export function lostError(uri: string): AppError {
  return new AppError('UNAVAILABLE', `the search index at ${uri} is missing; it is being rebuilt`, {
    retry_after_s: INDEX_RETRY_S,
  });
}

/** What {@link LanceTable.scanKeys} answers per record. */
const recordKey = z.object({ uri: z.string(), scope: z.string(), level: z.number(), updated_at: z.number() });
export type RecordKey = z.output<typeof recordKey>;

/** The LanceDB index of each kind the column table names (full text on `text`, scalar on filters). */
const INDEX_CONFIG = {
  fts: ftsIndexOptions,
  bitmap: () => ({ config: lancedb.Index.bitmap() }),
  btree: () => ({ config: lancedb.Index.btree() }),
} as const;

export interface TableOptions {
  /** LANCEDB_URI: a local folder or any URI LanceDB accepts. */
  readonly uri: string;
  readonly embedder: EmbedderIdentity;
  /** Drop an existing table first (a full rebuild, e.g. after changing the embedder). */
  readonly reset?: boolean;
  /**
   * Bytes of LanceDB's index cache and metadata cache (LanceDB's defaults, 6 GiB and 1 GiB, let them
   * grow with every compaction: each one writes new index files, and the old ones stay cached).
   */
  readonly cacheBytes?: { readonly index: number; readonly metadata: number };
  /** Where a lost table and full-text index rebuilds are reported (default: the app logger). */
  readonly log?: Logger;
  /**
   * How often (seconds) reads look for commits by other processes, e.g. a `npm run reindex` or
   * another server on shared storage (default 5; 0 = every read).
   */
  readonly readConsistencySeconds?: number;
}

async function createTable(db: lancedb.Connection, embedder: EmbedderIdentity): Promise<lancedb.Table> {
  const table = await db.createEmptyTable(TABLE_NAME, recordSchema(embedder.id, embedder.dimension));
  // Indexes build fine on an empty table and are then kept current by optimize().
  for (const column of COLUMN_NAMES) {
    const { index }: Column = COLUMNS[column];
    if (index !== undefined) await table.createIndex(column, INDEX_CONFIG[index]());
  }
  return table;
}

export class LanceTable {
  private lostListener: (() => void) | null = null;
  /** Set once a write found the table gone; cleared by {@link recreate}. */
  private isLost = false;
  /** Where writes reach {@link table} (lance-ipc.ts; made, and LanceDB's private shape checked, per handle). */
  private sink: RecordSink;

  private constructor(
    private readonly session: lancedb.Session,
    private readonly db: lancedb.Connection,
    private table: lancedb.Table,
    /** Our own schema object: the table's comes from LanceDB's copy of apache-arrow. */
    private readonly schema: Schema,
    readonly embedder: EmbedderIdentity,
    private readonly options: TableOptions,
    /** Whether open() (or {@link recreate}) created the table (there was none). */
    public created: boolean,
  ) {
    this.sink = this.sinkOf(table);
  }

  /** Opens (or creates) the records table; refuses a table built with another embedder. */
  static async open(options: TableOptions): Promise<LanceTable> {
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
      const table = exists ? await db.openTable(TABLE_NAME) : await createTable(db, options.embedder);
      const stored = identityOf(await table.schema());
      if (stored?.id !== options.embedder.id || stored.dimension !== options.embedder.dimension) {
        table.close();
        throw mismatch(stored, options.embedder);
      }
      if (exists) await ensureFullTextIndex(table, stored, options.log ?? logger);
      const schema = recordSchema(stored.id, stored.dimension);
      return new LanceTable(session, db, table, schema, stored, options, !exists);
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

  /** The current LanceDB handle (for the mirror's reads, bulk ids and compaction). */
  get handle(): lancedb.Table {
    return this.table;
  }

  /** A second handle on the table, checked out at `version` (closed by the caller). */
  async pinned(version: number): Promise<lancedb.Table> {
    const pinned = await this.db.openTable(TABLE_NAME);
    await pinned.checkout(version);
    return pinned;
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

  /** Before a write: refuses to write to a table that is gone (and reports the loss once). */
  async assertPresent(): Promise<void> {
    if (!this.isLost && (await this.listed())) return;
    if (!this.isLost) {
      this.isLost = true;
      (this.options.log ?? logger).error({ uri: this.options.uri }, 'the index table is gone');
      this.lostListener?.();
    }
    throw lostError(this.options.uri);
  }

  /** Replaces the table with a new empty one (same embedder); whatever a lost table left is dropped. */
  async recreate(): Promise<void> {
    if (await this.listed()) await this.db.dropTable(TABLE_NAME);
    this.table.close();
    this.table = await createTable(this.db, this.embedder);
    this.sink = this.sinkOf(this.table);
    this.isLost = false;
    this.created = true;
  }

  /** The table's version (it grows with every commit; a re-created table starts again at 1). */
  version(): Promise<number> {
    return this.table.version();
  }

  /**
   * Writes records (one per id) so that the table holds one row per id: the ids it says it lacks
   * appended, the rest merged by id (table-write.ts).
   */
  write(records: readonly IndexRecord[], options: WriteOptions): Promise<WriteCounts> {
    return writeRecords(this.table, records, this.sink, options);
  }

  /** Deletes the rows matching an expression. */
  async delete(expr: Expr): Promise<void> {
    await this.table.delete(compileWhere(expr));
  }

  /** Rows matching an expression (all without one). */
  countRows(expr?: Expr): Promise<number> {
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

  /** The k rows nearest to `vector` (cosine) among those matching `filter`: an exact prefiltered scan. */
  async nearest(vector: Float32Array, filter: Expr, k: number): Promise<ScoredRow[]> {
    const rows: unknown[] = await this.table
      .query()
      .nearestTo(vector)
      .distanceType('cosine')
      .where(compileWhere(filter))
      .select([...HIT_COLUMNS, '_distance'])
      .limit(k)
      .toArray();
    return rows.map(parseHit);
  }

  /** Best BM25 matches of `query` among rows matching `filter` (see fulltext-lance.ts). */
  fullText(query: string, filter: Expr, k: number): Promise<ScoredRow[]> {
    return lanceFullText(this.table, query, filter, k);
  }

  /** Number of data fragments (many small ones mean compaction is due). */
  async fragmentCount(): Promise<number> {
    return (await this.table.stats()).fragmentStats.numFragments;
  }

  /** Bytes held by LanceDB's index and metadata caches. */
  cacheBytes(): number {
    return Number(this.session.sizeBytes());
  }

  close(): void {
    this.table.close();
    this.db.close();
  }

  /** The sink of a handle: records become one IPC file, the `text` column the searchable form its FTS index needs. */
  private sinkOf(table: lancedb.Table): RecordSink {
    const searchable = (r: IndexRecord): IndexRecord => {
      const text = searchableText(r.text);
      return text === r.text ? r : { ...r, text };
    };
    return recordSink(table, this.schema, this.embedder.dimension, searchable);
  }
}
