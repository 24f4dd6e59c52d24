/**
 * Opens the index with its embedder (SPEC 9: the index's own, unless reset). Shared by the server's
 * composition root and the offline scripts (reindex).
 */
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Embedder } from '../embedders/embedder.js';
import { assertCompatible, createEmbedder } from '../embedders/select.js';
import { clearResetPending, resetPending } from '../indexing/marker.js';
import { IndexStore } from '../index/store.js';
import type { Logger } from '../log.js';

/** Where transformers.js caches downloaded models. */
export const MODEL_CACHE_DIR = join('data', 'models');

export interface OpenIndexOptions {
  /** Start from an empty table (a rebuild with another embedder); also done while a reset is pending. */
  readonly reset?: boolean;
  /** Use this embedder instead of the configured one (tests). */
  readonly embedder?: Embedder;
}

/** Chooses the embedder (SPEC 9: the index's own, unless reset) and opens the index with it. */
export async function openIndex(
  config: Config,
  log: Logger,
  options: OpenIndexOptions = {},
): Promise<{ embedder: Embedder; store: IndexStore }> {
  // A reset killed before its new table existed is finished first (src/indexing/marker.ts).
  const reset = options.reset === true || (await resetPending(config.dataDir));
  const indexed = reset ? null : await IndexStore.storedIdentity(config.lancedbUri);
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
  const store = await IndexStore.open({
    uri: config.lancedbUri,
    embedder,
    reset,
    memoryBudgetBytes: config.searchMemoryBytes,
    searchThreads: config.searchThreads,
    cacheBytes: { index: config.lancedbIndexCacheBytes, metadata: config.lancedbMetadataCacheBytes },
    log,
  });
  await clearResetPending(config.dataDir);
  return { embedder, store };
}
