/**
 * The transformers.js embedder: a sentence-transformer ONNX model run by `@xenova/transformers`
 * (feature extraction, mean pooling, L2 normalisation), batched.
 *
 * `model` is either a Hugging Face id (fetched once into `cacheDir`, and only when `allowRemote` is
 * set) or a local model folder laid out like a Hub repo: `config.json`, `tokenizer.json`,
 * `tokenizer_config.json` and `onnx/model_quantized.onnx` or `onnx/model.onnx`. transformers.js is
 * imported lazily so the built-in embedder never pays for loading onnxruntime and sharp.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { AppError } from '../errors.js';
import type { Embedder } from './embedder.js';
import { l2NormalizeInPlace } from './vector.js';

export const DEFAULT_TRANSFORMERS_MODEL = 'Xenova/all-MiniLM-L6-v2';
const BATCH_SIZE = 32;
const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/;

export interface TransformersOptions {
  /** Hugging Face id or local model folder. */
  model: string;
  /** Where transformers.js caches downloaded Hub models. */
  cacheDir: string;
  /** May a Hub model be downloaded? When false only an already cached copy is used. */
  allowRemote: boolean;
}

/** Where the model comes from, decided without touching the network. */
export type ModelSource =
  | { kind: 'local'; root: string; name: string; quantized: boolean; path: string }
  | { kind: 'hub'; id: string };

/** An existing folder is a local model; something path-like that does not exist is an error. */
export function resolveModelSource(model: string): ModelSource {
  if (existsSync(model) && statSync(model).isDirectory()) {
    const path = resolve(model);
    const quantized = existsSync(join(path, 'onnx', 'model_quantized.onnx'));
    return { kind: 'local', root: dirname(path), name: basename(path), quantized, path };
  }
  if (isAbsolute(model) || model.startsWith('.') || model.startsWith('~') || !HUB_ID.test(model)) {
    throw new AppError('FAILED_PRECONDITION', `model folder not found: ${model}`, { model });
  }
  return { kind: 'hub', id: model };
}

type Extractor = (texts: string[], options: { pooling: 'mean'; normalize: boolean }) => Promise<unknown>;
interface PooledOutput {
  dims: number[];
  data: ArrayLike<number>;
}

/** Checks the pipeline's tensor structurally: it may come from another realm, so no instanceof. */
function asPooled(value: unknown, rows: number): PooledOutput {
  const out = value as Partial<PooledOutput> | null;
  const dims = out?.dims;
  const data = out?.data;
  const ok =
    Array.isArray(dims) &&
    dims.length === 2 &&
    dims[0] === rows &&
    typeof dims[1] === 'number' &&
    dims[1] > 0 &&
    ArrayBuffer.isView(data) &&
    (data as unknown as ArrayLike<number>).length === rows * dims[1];
  if (!ok) throw new AppError('INTERNAL', 'the embedding model returned an unexpected tensor shape');
  return { dims, data };
}

// transformers.js keeps its settings in one global `env`; loads are serialised so two loads with
// different settings cannot interleave. Inference does not read `env`, so it needs no lock.
let loadChain: Promise<unknown> = Promise.resolve();

async function loadExtractor(source: ModelSource, options: TransformersOptions): Promise<Extractor> {
  const { env, pipeline } = await import('@xenova/transformers');
  env.cacheDir = options.cacheDir;
  if (source.kind === 'local') {
    // Never reach for the network or the cache for a folder the user pointed at.
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.useFSCache = false;
    env.localModelPath = source.root;
    const pipe = await pipeline('feature-extraction', source.name, { quantized: source.quantized });
    return pipe;
  }
  env.useFSCache = true;
  // With local lookups off, a Hub id is never confused with a folder under `localModelPath`; the
  // cache is consulted first either way. Without remote access, `local_files_only` needs local
  // lookups on, so they point at the cache too: the cache is all there is.
  env.allowLocalModels = !options.allowRemote;
  env.allowRemoteModels = options.allowRemote;
  env.localModelPath = options.cacheDir;
  const pipe = await pipeline('feature-extraction', source.id, {
    quantized: true,
    cache_dir: options.cacheDir,
    local_files_only: !options.allowRemote,
  });
  return pipe;
}

function serialisedLoad(source: ModelSource, options: TransformersOptions): Promise<Extractor> {
  const next = loadChain.then(() => loadExtractor(source, options));
  loadChain = next.catch(() => undefined);
  return next;
}

async function embedBatch(extract: Extractor, texts: string[]): Promise<Float32Array[]> {
  const out = asPooled(await extract(texts, { pooling: 'mean', normalize: true }), texts.length);
  const dim = out.dims[1] ?? 0;
  const vectors: Float32Array[] = [];
  for (let row = 0; row < texts.length; row++) {
    // Copy into a Float32Array of our realm; renormalise so float error or an all-zero row
    // (a text of padding only) can never yield NaN or a non-unit vector.
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) v[i] = out.data[row * dim + i] ?? 0;
    if (!l2NormalizeInPlace(v)) v[0] = 1;
    vectors.push(v);
  }
  return vectors;
}

/**
 * Loads the model and probes it once to learn the dimension. Throws if the model cannot be loaded
 * (missing folder, not cached and `allowRemote` false, no network, broken files).
 */
export async function createTransformersEmbedder(options: TransformersOptions): Promise<Embedder> {
  const source = resolveModelSource(options.model);
  const extract = await serialisedLoad(source, options);
  const embed = async (texts: readonly string[]): Promise<Float32Array[]> => {
    const vectors: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += BATCH_SIZE) {
      vectors.push(...(await embedBatch(extract, texts.slice(i, i + BATCH_SIZE))));
    }
    return vectors;
  };
  const [probe] = await embed(['dimension probe']);
  const dimension = probe?.length ?? 0;
  const id = `transformers:${source.kind === 'local' ? source.path : source.id}`;
  return { id, dimension, embed };
}
