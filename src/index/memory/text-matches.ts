/**
 * The matches of one full-text query and their BM25 scores (memory/bm25.ts). However the index found
 * them (fulltext.ts: postings or forward lists), the admitted records holding a query word are kept
 * here with their term counts and scored by the same expression summed over the query's words in the
 * same order: the same scores, bit for bit. The arrays are scratch, reused by the next query.
 */
import { idf, weight } from './bm25.js';
import { grow } from './pool.js';
import type { TextHit, TopHits } from './top.js';

export class TextMatches {
  /** `slots[i]` (i < count) holds term j `tfs[i·q + j]` times (0: not at all). */
  slots: Int32Array = new Int32Array(1024);
  tfs: Int32Array = new Int32Array(1024);
  count = 0;
  /** `df[j]` matched records hold term j. */
  df = new Int32Array(0);
  /** The sum of the matched records' lengths. */
  private total = 0;
  private q = 0;

  /** Empties the matches for a query of `q` terms. */
  reset(q: number): this {
    this.q = q;
    this.count = 0;
    this.total = 0;
    this.df = new Int32Array(q);
    return this;
  }

  /** Appends a matched slot of `length` words (its counts zeroed); returns its position. */
  add(slot: number, length: number): number {
    const { q } = this;
    const m = this.count;
    if (m === this.slots.length) this.slots = grow(this.slots, 2 * m);
    if ((m + 1) * q > this.tfs.length) this.tfs = grow(this.tfs, 2 * (m + 1) * q);
    this.slots[m] = slot;
    this.tfs.fill(0, m * q, (m + 1) * q);
    this.total += length;
    this.count = m + 1;
    return m;
  }

  /**
   * Scores the matches among `n` admitted records into `top` (BM25, summed over the terms in query
   * order; `lengths[slot]` is a record's length in words).
   */
  score(lengths: Int32Array, n: number, top: TopHits): TextHit[] {
    const { slots, tfs, count, q } = this;
    if (count === 0) return [];
    const avg = this.total / count;
    const idfs = Float64Array.from(this.df, (d) => idf(n, d));
    for (let i = 0; i < count; i++) {
      const slot = slots[i] as number;
      let score = 0;
      for (let j = 0; j < q; j++) {
        const tf = tfs[i * q + j] as number;
        if (tf > 0) score += weight(idfs[j] as number, tf, lengths[slot] as number, avg);
      }
      top.offer(slot, score);
    }
    return top.sorted();
  }
}
