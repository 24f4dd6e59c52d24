/**
 * Child-process half of the transformers embedder tests (run through ts-register.mjs, outside jest,
 * with LOG_LEVEL=silent): `embed-with-model <auto|transformers> <model dir> <texts as JSON>` creates
 * the embedder through createEmbedder with the real pipeline, embeds the texts twice and prints
 * `{id, dimension, vectors, again}` as JSON.
 */
import { join } from 'node:path';
import { createEmbedder } from '../../src/embedders/select.js';
import { logger } from '../../src/log.js';

const [kind, model, textsJson] = process.argv.slice(2);
if ((kind !== 'auto' && kind !== 'transformers') || model === undefined || textsJson === undefined) {
  throw new Error('usage: embed-with-model <auto|transformers> <model dir> <texts as JSON>');
}
const texts = JSON.parse(textsJson) as string[];
const cacheDir = join(model, '..', 'cache');
const embedder = await createEmbedder({ embedder: kind, model, cacheDir, indexed: null, log: logger });
const plain = (vs: Float32Array[]): number[][] => vs.map((v) => Array.from(v));
const vectors = plain(await embedder.embed(texts));
const again = plain(await embedder.embed(texts));
process.stdout.write(JSON.stringify({ id: embedder.id, dimension: embedder.dimension, vectors, again }));
