/**
 * Child-process half of the transformers embedder test (run through ts-register.mjs, outside jest):
 * loads the model folder given as argv[2] with the real pipeline, embeds the texts given as a JSON
 * array in argv[3], and prints `{id, dimension, vectors, again}` as JSON (`again` is a second run of
 * the same batch, for the determinism check).
 */
import { join } from 'node:path';
import { createTransformersEmbedder } from '../../src/index/embedders/transformers.js';

const [model, textsJson] = process.argv.slice(2);
if (model === undefined || textsJson === undefined) throw new Error('usage: embed-with-model <dir> <json>');
const texts = JSON.parse(textsJson) as string[];
const embedder = await createTransformersEmbedder({ model, cacheDir: join(model, '..', 'cache'), allowRemote: false });
const vectors = await embedder.embed(texts);
const again = await embedder.embed(texts);
const plain = (vs: Float32Array[]): number[][] => vs.map((v) => Array.from(v));
process.stdout.write(
  JSON.stringify({ id: embedder.id, dimension: embedder.dimension, vectors: plain(vectors), again: plain(again) }),
);
