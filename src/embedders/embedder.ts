/** The one embedder interface the indexing pipeline and search use. */
export interface Embedder {
  /** Stable identity stored with the index, e.g. `builtin:hash-384` or `transformers:Xenova/all-MiniLM-L6-v2`. */
  readonly id: string;
  /** Length of every vector. */
  readonly dimension: number;
  /** Embeds a batch of texts; one unit-length vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}
