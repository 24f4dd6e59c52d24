/**
 * Chooses the embedder at start-up (`EMBEDDER`, `EMBEDDING_MODEL`) and guards the index against
 * vectors from a different embedder. The id and dimension stored with the index are the contract:
 * mixing vectors of two embedders in one table would make search silently meaningless.
 */
import { AppError, assertNever, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Embedder } from './embedder.js';
import { BUILTIN_ID, createBuiltinEmbedder } from './builtin.js';
import { createOpenAiEmbedder, OPENAI_PREFIX } from './openai.js';
import { createTransformersEmbedder, DEFAULT_TRANSFORMERS_MODEL } from './transformers.js';

export type EmbedderKind = 'auto' | 'builtin' | 'transformers' | 'openai';

/** What the existing index records about the embedder that built it. */
export interface IndexedEmbedder {
  id: string;
  dimension: number;
}

export interface EmbedderOptions {
  embedder: EmbedderKind;
  /** `EMBEDDING_MODEL`: a Hugging Face id or a local model folder. */
  model?: string;
  /** Where transformers.js caches downloaded models (e.g. `data/models`). */
  cacheDir: string;
  /** The embedder of the existing index, or null/absent for a new index. */
  indexed?: IndexedEmbedder | null;
  /** `EMBEDDER=openai` (or auto with an index built by it): the server, key and dimension. */
  openai?: { baseUrl?: string | undefined; apiKey?: string | undefined; dimension?: number | undefined };
  log: Logger;
}

const TRANSFORMERS_PREFIX = 'transformers:';
const REINDEX = 'npm run reindex';

function reasonOf(error: unknown): string {
  const message = messageOf(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

async function loadTransformers(model: string, cacheDir: string, allowRemote: boolean): Promise<Embedder> {
  try {
    return await createTransformersEmbedder({ model, cacheDir, allowRemote });
  } catch (error) {
    throw new AppError('FAILED_PRECONDITION', `cannot load embedding model ${model}: ${reasonOf(error)}`, {
      model,
    });
  }
}

/** `EMBEDDER=openai`, or auto over an index it built: needs the server's address. */
function loadOpenAi(model: string | undefined, options: EmbedderOptions): Promise<Embedder> {
  const baseUrl = options.openai?.baseUrl;
  if (baseUrl === undefined || model === undefined) {
    throw new AppError(
      'FAILED_PRECONDITION',
      `the OpenAI-compatible embedder needs EMBEDDING_BASE_URL and EMBEDDING_MODEL` +
        (model === undefined ? '' : ` (the index was built with ${model})`),
      { setting: 'EMBEDDING_BASE_URL' },
    );
  }
  return createOpenAiEmbedder({
    baseUrl,
    apiKey: options.openai?.apiKey,
    model,
    dimension: options.openai?.dimension,
  });
}

/** auto with an existing index: reuse exactly what built it, or refuse to start. */
async function embedderOfIndex(indexed: IndexedEmbedder, options: EmbedderOptions): Promise<Embedder> {
  if (indexed.id === BUILTIN_ID) return createBuiltinEmbedder();
  if (indexed.id.startsWith(TRANSFORMERS_PREFIX)) {
    const model = indexed.id.slice(TRANSFORMERS_PREFIX.length);
    // The user chose this model when the index was built, so fetching it again is allowed.
    return loadTransformers(model, options.cacheDir, true);
  }
  if (indexed.id.startsWith(OPENAI_PREFIX))
    return loadOpenAi(indexed.id.slice(OPENAI_PREFIX.length), options);
  throw new AppError(
    'FAILED_PRECONDITION',
    `the index was built with an unknown embedder ${indexed.id}; run \`${REINDEX}\` to rebuild it`,
    { indexed },
  );
}

/**
 * auto for a new index: a semantic model if one loads, else the built-in embedder. Only a model the
 * user named may be downloaded; the default model is used only if it is already in the cache.
 */
async function autoForNewIndex(options: EmbedderOptions): Promise<Embedder> {
  const model = options.model ?? DEFAULT_TRANSFORMERS_MODEL;
  try {
    return await createTransformersEmbedder({
      model,
      cacheDir: options.cacheDir,
      allowRemote: options.model !== undefined,
    });
  } catch (error) {
    options.log.warn(
      { embedder: BUILTIN_ID, model, reason: reasonOf(error) },
      `embedder: using ${BUILTIN_ID} (lexical, not semantic) because model ${model} could not be loaded; ` +
        `for semantic search set EMBEDDER=transformers EMBEDDING_MODEL=${DEFAULT_TRANSFORMERS_MODEL} ` +
        `(downloads once) or EMBEDDING_MODEL=<local model folder>, then run \`${REINDEX}\``,
    );
    return createBuiltinEmbedder();
  }
}

/**
 * Creates the embedder for this process.
 * - `builtin` / `transformers`: exactly that (an explicit model that fails to load is an error).
 * - `auto`: the embedder the existing index was built with; for a new index `transformers` if the
 *   model loads, otherwise `builtin` with one warning saying why and how to switch.
 * Callers then check `assertCompatible(embedder, indexed)` before indexing or searching.
 */
export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  let embedder: Embedder;
  switch (options.embedder) {
    case 'builtin':
      embedder = createBuiltinEmbedder();
      break;
    case 'transformers':
      embedder = await loadTransformers(options.model ?? DEFAULT_TRANSFORMERS_MODEL, options.cacheDir, true);
      break;
    case 'openai':
      embedder = await loadOpenAi(options.model, options);
      break;
    case 'auto':
      embedder = options.indexed
        ? await embedderOfIndex(options.indexed, options)
        : await autoForNewIndex(options);
      break;
    default:
      return assertNever(options.embedder);
  }
  options.log.info({ embedder: embedder.id, dimension: embedder.dimension }, 'embedder ready');
  return embedder;
}

/**
 * Throws FAILED_PRECONDITION when the index was built by a different embedder (id or dimension).
 * A new index (`indexed` null/absent) is compatible with anything.
 */
export function assertCompatible(embedder: Embedder, indexed: IndexedEmbedder | null | undefined): void {
  if (!indexed) return;
  if (indexed.id === embedder.id && indexed.dimension === embedder.dimension) return;
  throw new AppError(
    'FAILED_PRECONDITION',
    `the index was built with embedder ${indexed.id} (${indexed.dimension} dimensions) but the configured ` +
      `embedder is ${embedder.id} (${embedder.dimension} dimensions); run \`${REINDEX}\` to rebuild the ` +
      `index with the configured embedder, or set EMBEDDER=auto to keep the one the index was built with`,
    { indexed, configured: { id: embedder.id, dimension: embedder.dimension } },
  );
}
