/**
 * Opens the index with its embedder (SPEC 9: the index's own, unless reset). Shared by the server's
 * composition root and the offline scripts (reindex).
 */
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Embedder } from '../embedders/embedder.js';
import { assertCompatible, createEmbedder } from '../embedders/select.js';
import { clearResetPending, resetPending } from '../indexing/marker.js';
import type { EmbedderIdentity } from '../index/identity.js';
import { PgIndexStore } from '../index/pg-store.js';
import type { RecordIndex } from '../index/record-index.js';
import { IndexStore } from '../index/store.js';
import type { Logger } from '../log.js';
import { listenOn } from '../storage/pg/catch-up.js';
import type { Pool } from '../storage/pg/pool.js';
import { poolDatabase } from '../storage/pg/sql.js';

/** Where transformers.js caches downloaded models. */
export const MODEL_CACHE_DIR = join('data', 'models');

export interface OpenIndexOptions {
  /** Start from an empty table (a rebuild with another embedder); also done while a reset is pending. */
  readonly reset?: boolean;
  /** Use this embedder instead of the configured one (tests). */
  readonly embedder?: Embedder;
  /** Distributed mode (SPEC 14): the records are PostgreSQL's, the in-memory index a cache of them. */
  readonly pool?: Pool;
}

/**
 * Chooses the embedder (SPEC 9: the index's own, unless reset) and opens the index with it: on
 * PostgreSQL with a pool ({@link PgIndexStore}), else the local LanceDB table ({@link IndexStore}).
 */
export async function openIndex(
  config: Config,
  log: Logger,
  options: OpenIndexOptions & { readonly pool: Pool },
): Promise<{ embedder: Embedder; store: PgIndexStore }>;
export async function openIndex(
  config: Config,
  log: Logger,
  options?: OpenIndexOptions & { readonly pool?: undefined },
): Promise<{ embedder: Embedder; store: IndexStore }>;
export async function openIndex(
  config: Config,
  log: Logger,
  options?: OpenIndexOptions,
): Promise<{ embedder: Embedder; store: RecordIndex }>;
export async function openIndex(
  config: Config,
  log: Logger,
  options: OpenIndexOptions = {},
): Promise<{ embedder: Embedder; store: RecordIndex }> {
  const pool = options.pool;
  if (pool !== undefined) return openPgIndex(config, log, pool, options);
  // A reset killed before its new table existed is finished first (src/indexing/marker.ts).
  const reset = options.reset === true || (await resetPending(config.dataDir));
  const indexed = reset ? null : await IndexStore.storedIdentity(config.lancedbUri);
  const embedder = await chooseEmbedder(config, log, indexed, options);
  const store = await IndexStore.open({
    uri: config.lancedbUri,
    embedder,
    reset,
    memoryBudgetBytes: config.searchMemoryBytes,
    searchThreads: config.searchThreads,
    vectorDir: vectorDir(config),
    snapshotDir: join(vectorDir(config), 'mirror-snapshot'),
    cacheBytes: { index: config.lancedbIndexCacheBytes, metadata: config.lancedbMetadataCacheBytes },
    log,
  });
  await clearResetPending(config.dataDir);
  return { embedder, store };
}

/** The index on PostgreSQL: its records' embedder recorded there, the cache caught up by LISTEN and polling. */
async function openPgIndex(
  config: Config,
  log: Logger,
  pool: Pool,
  options: OpenIndexOptions,
): Promise<{ embedder: Embedder; store: PgIndexStore }> {
  const db = poolDatabase(pool);
  const reset = options.reset === true;
  const indexed = reset ? null : await PgIndexStore.storedIdentity(db);
  const embedder = await chooseEmbedder(config, log, indexed, options);
  const store = await PgIndexStore.open({
    db,
    embedder,
    reset,
    memoryBudgetBytes: config.searchMemoryBytes,
    searchThreads: config.searchThreads,
    vectorDir: vectorDir(config),
    subscribe: listenOn(pool, { log }),
    log,
  });
  return { embedder, store };
}

/**
 * Where the in-memory index keeps its float32 vectors: a file under DATA_DIR, unlinked as soon as
 * it is open (it goes with the process; memory/vector-file.ts).
 */
function vectorDir(config: Config): string {
  return join(config.dataDir, 'cache');
}

/** The configured embedder, or the index's own (EMBEDDER=auto); refused if it is not the index's. */
async function chooseEmbedder(
  config: Config,
  log: Logger,
  indexed: EmbedderIdentity | null,
  options: OpenIndexOptions,
): Promise<Embedder> {
  const embedder =
    options.embedder ??
    (await createEmbedder({
      embedder: config.embedder,
      ...(config.embeddingModel === undefined ? {} : { model: config.embeddingModel }),
      cacheDir: MODEL_CACHE_DIR,
      openai: {
        baseUrl: config.embeddingBaseUrl,
        apiKey: config.embeddingApiKey,
        dimension: config.embeddingDimension,
      },
      indexed,
      log,
    }));
  assertCompatible(embedder, indexed);
  return embedder;
}
