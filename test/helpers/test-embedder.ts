/** A tiny deterministic embedder for tests: words hashed into 64 buckets, then normalised. */
import { createHash } from 'node:crypto';
import type { Embedder } from '../../src/embedders/embedder.js';

export class HashEmbedder implements Embedder {
  readonly id: string;
  calls = 0;

  constructor(readonly dimension = 64) {
    this.id = `test:hash-${dimension}`;
  }

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls += 1;
    return Promise.resolve(texts.map((t) => this.vector(t)));
  }

  vector(text: string): Float32Array {
    const v = new Float32Array(this.dimension);
    for (const word of text
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean)) {
      const h = createHash('md5').update(word).digest();
      const i = h.readUInt32LE(0) % this.dimension;
      v[i] = (v[i] ?? 0) + 1;
    }
    const norm = Math.hypot(...v);
    if (norm === 0) v[0] = 1;
    else for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) / norm;
    return v;
  }
}
