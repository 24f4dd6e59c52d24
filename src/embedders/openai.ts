/**
 * The OpenAI-compatible embedder (`EMBEDDER=openai`, SPEC 15): `POST {EMBEDDING_BASE_URL}/embeddings`
 * with `{model, input}` in batches, a bounded number of requests at once, retries with backoff (see
 * models/openai-http.ts), vectors L2-normalised. The dimension is `EMBEDDING_DIMENSION` when set
 * (then sent as `dimensions`, which OpenAI's v3 models honour) or learnt from one probe at start; a
 * server that later answers another length is an error naming the settings, never a silently mixed
 * index. Its id `openai:{model}` is what the index records.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { postJson, type ModelEndpoint } from '../models/openai-http.js';
import type { Embedder } from './embedder.js';
import { l2NormalizeInPlace } from './vector.js';

export const OPENAI_PREFIX = 'openai:';
/** Texts per request: OpenAI accepts 2,048; smaller batches keep one slow request cheap to retry. */
export const OPENAI_BATCH = 64;
/** Requests in flight at once per embedder. */
export const OPENAI_CONCURRENCY = 4;

export interface OpenAiEmbedderOptions {
  readonly baseUrl: string;
  readonly apiKey?: string | undefined;
  readonly model: string;
  /** EMBEDDING_DIMENSION; unset → learnt from a probe. */
  readonly dimension?: number | undefined;
  /** Test hooks: retry timing. */
  readonly endpoint?: Partial<Pick<ModelEndpoint, 'attempts' | 'backoffMs' | 'timeoutMs'>>;
}

const answerSchema = z.object({
  data: z.array(z.object({ embedding: z.array(z.number()), index: z.number().int().optional() })),
});

function badAnswer(url: string, why: string): AppError {
  return new AppError(
    'UNAVAILABLE',
    `the embedding server ${url} answered ${why}; check EMBEDDING_BASE_URL`,
    {
      setting: 'EMBEDDING_BASE_URL',
    },
  );
}

/** The vectors of one answer in input order (servers may reorder `data`; `index` says where). */
function vectorsOf(value: unknown, count: number, url: string): Float32Array[] {
  const parsed = answerSchema.safeParse(value);
  if (!parsed.success) throw badAnswer(url, 'without data[].embedding');
  const { data } = parsed.data;
  if (data.length !== count) throw badAnswer(url, `${data.length} vectors for ${count} texts`);
  const out = new Array<Float32Array>(count);
  data.forEach((item, position) => {
    const at = item.index ?? position;
    if (at < 0 || at >= count || out[at] !== undefined) throw badAnswer(url, 'vectors with invalid indexes');
    out[at] = Float32Array.from(item.embedding);
  });
  return out;
}

function dimensionChanged(model: string, expected: number, got: number): AppError {
  return new AppError(
    'FAILED_PRECONDITION',
    `the embedding model ${model} answered vectors of ${got} dimensions where ${expected} were expected; ` +
      'check EMBEDDING_MODEL and EMBEDDING_DIMENSION (a different model needs `npm run reindex -- --reset`)',
    { setting: 'EMBEDDING_DIMENSION', expected, got },
  );
}

/**
 * Creates the embedder; probes the server once (which also checks that it is reachable).
 * @example await createOpenAiEmbedder({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'nomic-embed-text' })
 */
export async function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Promise<Embedder> {
  const endpoint: ModelEndpoint = {
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    setting: 'EMBEDDING_BASE_URL',
    ...options.endpoint,
  };
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const extra = options.dimension === undefined ? {} : { dimensions: options.dimension };
  const limit = pLimit(OPENAI_CONCURRENCY);
  let dimension = options.dimension ?? 0;

  const embedBatch = async (texts: readonly string[]): Promise<Float32Array[]> => {
    // Servers refuse empty strings; a space embeds to "nothing in particular" as intended.
    const input = texts.map((t) => (t.trim() === '' ? ' ' : t));
    const vectors = vectorsOf(
      await postJson(endpoint, 'embeddings', { model: options.model, input, ...extra }),
      texts.length,
      url,
    );
    for (const v of vectors) {
      if (dimension !== 0 && v.length !== dimension)
        throw dimensionChanged(options.model, dimension, v.length);
      l2NormalizeInPlace(v);
    }
    return vectors;
  };

  const probe = await embedBatch(['dimension probe']);
  dimension = probe[0]?.length ?? 0;
  if (dimension === 0) throw badAnswer(url, 'an empty vector');

  return {
    id: `${OPENAI_PREFIX}${options.model}`,
    dimension,
    async embed(texts: readonly string[]): Promise<Float32Array[]> {
      const batches: (readonly string[])[] = [];
      for (let i = 0; i < texts.length; i += OPENAI_BATCH) batches.push(texts.slice(i, i + OPENAI_BATCH));
      const results = await Promise.all(batches.map((batch) => limit(() => embedBatch(batch))));
      return results.flat();
    },
  };
}
