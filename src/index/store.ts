/**
 * The LanceDB index store: one `records` table (SPEC 9.2) opened once, with the embedder identity in
 * its schema metadata, scalar and full-text indexes, merge-on-id upserts, deletes built from policy
 * expressions, query primitives for search (always prefiltered) and periodic compaction.
 */
import * as lancedb from '@lancedb/lancedb';
import type { Schema } from 'apache-arrow';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { compileWhere, type Expr } from '../policy/index.js';
import { META_EMBEDDER_DIMENSION, META_EMBEDDER_ID, recordSchema, toArrowTable } from './arrow.js';
import type { IndexRecord } from './records.js';

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
  /** Compact and refresh indexes after this many writes (default 50). */
  readonly optimizeEvery?: number;
  /**
   * How often (seconds) reads look for commits by other processes, e.g. a `npm run reindex` or
   * another server on shared storage (default 5; 0 = every read).
   */
  readonly readConsistencySeconds?: number;
}

export const TABLE_NAME = 'records';
export const REINDEX_COMMAND = 'npm run reindex -- --reset';

/** Scalar indexes on the filter columns: bitmaps for low-cardinality ones, btrees for the rest. */
const SCALAR_INDEXES: ReadonlyArray<readonly [string, 'bitmap' | 'btree']> = [
  ['account_id', 'bitmap'],
  ['scope', 'bitmap'],
  ['context_type', 'bitmap'],
  ['owner_user_id', 'btree'],
  ['owner_agent_id', 'btree'],
  ['uri', 'btree'],
  ['id', 'btree'],
];

const rowSchema = z.object({
  id: z.string(),
  account_id: z.string(),
  uri: z.string(),
  scope: z.string(),
  owner_user_id: z.string().nullable(),
  owner_agent_id: z.string().nullable(),
  context_type: z.string(),
  level: z.number(),
  chunk_index: z.number(),
  text: z.string(),
  abstract: z.string(),
  session_id: z.string().nullable(),
  message_id: z.string().nullable(),
  role: z.string().nullable(),
  role_id: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  _distance: z.number().optional(),
  _score: z.number().optional(),
});

/** A search result row: every record field but the vector, plus `_distance` or `_score`. */
export type SearchRow = z.infer<typeof rowSchema>;

const RECORD_COLUMNS = Object.keys(rowSchema.shape).filter((k) => !k.startsWith('_'));

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

export class IndexStore {
  private writes = 0;

  private constructor(
    private readonly db: lancedb.Connection,
    private readonly table: lancedb.Table,
    private readonly schema: Schema,
    readonly embedder: EmbedderIdentity,
    private readonly optimizeEvery: number,
  ) {}

  /** Opens (or creates) the records table; refuses a table built with another embedder. */
  static async open(options: StoreOptions): Promise<IndexStore> {
    const db = await lancedb.connect(options.uri, {
      readConsistencyInterval: options.readConsistencySeconds ?? 5,
    });
    try {
      const names = await db.tableNames();
      if (names.includes(TABLE_NAME) && options.reset === true) await db.dropTable(TABLE_NAME);
      const table =
        names.includes(TABLE_NAME) && options.reset !== true
          ? await db.openTable(TABLE_NAME)
          : await IndexStore.create(db, options.embedder);
      const schema = await table.schema();
      const stored = identityOf(schema);
      if (stored?.id !== options.embedder.id || stored.dimension !== options.embedder.dimension) {
        table.close();
        throw mismatch(stored, options.embedder);
      }
      // Our own schema object: the table's comes from LanceDB's copy of apache-arrow.
      const ours = recordSchema(stored.id, stored.dimension);
      return new IndexStore(db, table, ours, stored, options.optimizeEvery ?? 50);
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
    await table.createIndex('text', { config: lancedb.Index.fts() });
    for (const [column, kind] of SCALAR_INDEXES) {
      const config = kind === 'bitmap' ? lancedb.Index.bitmap() : lancedb.Index.btree();
      await table.createIndex(column, { config });
    }
    return table;
  }

  /** Inserts or replaces records by `id`. */
  async upsert(records: readonly IndexRecord[]): Promise<void> {
    if (records.length === 0) return;
    const data = toArrowTable(this.schema, records, this.embedder.dimension);
    await this.table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data);
    await this.wrote();
  }

  /** Deletes every record matching a policy-core expression. */
  async deleteWhere(expr: Expr): Promise<void> {
    if (expr.kind === 'const' && !expr.value) return;
    await this.table.delete(compileWhere(expr));
    await this.wrote();
  }

  async countRows(expr?: Expr): Promise<number> {
    return expr === undefined ? this.table.countRows() : this.table.countRows(compileWhere(expr));
  }

  /** Records matching an expression, in no particular order (maintenance and tests). */
  async scan(expr: Expr, limit = 100_000): Promise<SearchRow[]> {
    const rows: unknown[] = await this.table
      .query()
      .where(compileWhere(expr))
      .select(RECORD_COLUMNS)
      .limit(limit)
      .toArray();
    return rows.map((row) => rowSchema.parse(toPlain(row)));
  }

  /** Nearest records by cosine distance among those matching `where` (always a prefilter). */
  async vectorSearch(vector: Float32Array, where: string, k: number): Promise<SearchRow[]> {
    const rows: unknown[] = await this.table
      .query()
      .nearestTo(vector)
      .distanceType('cosine')
      .where(where)
      .select([...RECORD_COLUMNS, '_distance'])
      .limit(k)
      .toArray();
    return rows.map((row) => rowSchema.parse(toPlain(row)));
  }

  /** Best BM25 matches of `query` in `text` among records matching `where` (a prefilter). */
  async fullTextSearch(query: string, where: string, k: number): Promise<SearchRow[]> {
    const rows: unknown[] = await this.table
      .query()
      .fullTextSearch(new lancedb.MatchQuery(query, 'text'))
      .where(where)
      .select([...RECORD_COLUMNS, '_score'])
      .limit(k)
      .toArray();
    return rows.map((row) => rowSchema.parse(toPlain(row)));
  }

  /**
   * Compacts small fragments, folds new rows into the indexes (unindexed rows are still searched,
   * only slower) and prunes versions older than a minute.
   */
  async optimize(): Promise<void> {
    this.writes = 0;
    await this.table.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
  }

  /** Number of data fragments (many small ones mean compaction is due). */
  async fragmentCount(): Promise<number> {
    return (await this.table.stats()).fragmentStats.numFragments;
  }

  private async wrote(): Promise<void> {
    this.writes += 1;
    if (this.writes >= this.optimizeEvery) await this.optimize();
  }

  close(): void {
    this.table.close();
    this.db.close();
  }
}

/** Arrow result rows are proxies; copy their fields into a plain object for parsing. */
function toPlain(row: unknown): unknown {
  if (row === null || typeof row !== 'object') return row;
  const out: Record<string, unknown> = {};
  for (const key of [...RECORD_COLUMNS, '_distance', '_score']) {
    out[key] = (row as Record<string, unknown>)[key];
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}
