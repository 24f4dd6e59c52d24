/**
 * An embedder that records every text it embeds, with the name of the pipeline that asked: which
 * jobs a pipeline applied, and in which order (jobs whose files hold a unique token each).
 */
import type { Embedder } from '../../src/embedders/embedder.js';
import { HashEmbedder } from './test-embedder.js';

export interface Embedded {
  readonly by: string;
  readonly text: string;
}

export class RecordingEmbedder implements Embedder {
  private readonly inner = new HashEmbedder();
  readonly id = this.inner.id;
  readonly dimension = this.inner.dimension;

  /** `log` may be shared by several embedders (several pipelines on one journal). */
  constructor(
    readonly by: string,
    readonly log: Embedded[] = [],
  ) {}

  embed(texts: readonly string[]): Promise<Float32Array[]> {
    for (const text of texts) this.log.push({ by: this.by, text });
    return this.inner.embed(texts);
  }
}
