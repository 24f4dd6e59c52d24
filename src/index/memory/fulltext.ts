/**
 * The in-memory full-text index: an inverted index of the mirror's records (lower-cased words and
 * numbers of their searchable form, so CJK text is split as in LanceDB's index) ranked by BM25
 * (k1 1.2, b 0.75, statistics over the whole index). The caller restricts a query to the records its
 * filter admits, so a query reads the postings of its own words only.
 * Removed records leave tombstones in the postings, swept when a posting holds more dead than live
 * entries.
 */
import { searchableText } from '../terms.js';

const WORD = /[\p{L}\p{N}_]+/gu;
/** Longer tokens are not indexed (ids, base64 blobs): they would only bloat the postings. */
const MAX_TOKEN_CHARS = 40;
const K1 = 1.2;
const B = 0.75;

/** The distinct lower-cased words of a text with their counts, and its length in words. */
export function tokenize(text: string): { terms: Map<string, number>; length: number } {
  const terms = new Map<string, number>();
  let length = 0;
  for (const match of searchableText(text).toLowerCase().matchAll(WORD)) {
    const term = match[0];
    if (term.length > MAX_TOKEN_CHARS) continue;
    length += 1;
    terms.set(term, (terms.get(term) ?? 0) + 1);
  }
  return { terms, length };
}

/**
 * A term's entries, three small integers each: slot, the slot's generation when the entry was
 * written (a different one now means a tombstone) and the term's frequency. One plain array per
 * term: most terms are rare, and three typed arrays per term cost far more objects and memory.
 */
interface Posting {
  readonly entries: number[];
  /** Live documents holding the term. */
  live: number;
}

export interface TextHit {
  readonly slot: number;
  readonly score: number;
}

export class FullTextIndex {
  private readonly postings = new Map<string, Posting>();
  /** Per slot: its generation (bumped when the slot is emptied), its length, and its terms. */
  private gens = new Int32Array(1024);
  private lengths = new Int32Array(1024);
  /** Per slot: its distinct terms joined by spaces (one string, not an array, per record: fewer objects for the collector). */
  private termsOf: Array<string | undefined> = [];
  private docs = 0;
  private totalLength = 0;
  private entries = 0;
  private scores = new Float64Array(1024);

  /** Entries held in postings (live and dead), for the memory estimate. */
  get size(): number {
    return this.entries;
  }

  /** Indexes the text of `slot` (which must be empty). */
  add(slot: number, text: string): void {
    this.ensure(slot);
    const { terms, length } = tokenize(text);
    const gen = this.gens[slot] as number;
    for (const [term, tf] of terms) {
      let posting = this.postings.get(term);
      if (posting === undefined) this.postings.set(term, (posting = { entries: [], live: 0 }));
      posting.entries.push(slot, gen, tf);
      posting.live += 1;
      this.entries += 1;
    }
    this.lengths[slot] = length;
    this.termsOf[slot] = [...terms.keys()].join(' ');
    this.docs += 1;
    this.totalLength += length;
  }

  /** Forgets the text of `slot`; its postings entries become tombstones. */
  remove(slot: number): void {
    const terms = this.termsOf[slot];
    if (terms === undefined) return;
    this.gens[slot] = ((this.gens[slot] as number) + 1) | 0;
    for (const term of terms.split(' ')) {
      const posting = this.postings.get(term);
      if (posting === undefined) continue;
      posting.live -= 1;
      if (posting.live === 0) {
        this.entries -= posting.entries.length / 3;
        this.postings.delete(term);
      } else if (posting.entries.length / 3 - posting.live > posting.live) this.sweep(posting);
    }
    this.docs -= 1;
    this.totalLength -= this.lengths[slot] as number;
    this.termsOf[slot] = undefined;
  }

  /**
   * The k best BM25 matches of the query's words among the slots `admitted` accepts, best first
   * (equal scores: the lower slot first).
   */
  search(query: string, k: number, admitted: (slot: number) => boolean): TextHit[] {
    const touched: number[] = [];
    const avg = this.docs === 0 ? 1 : this.totalLength / this.docs;
    for (const term of tokenize(query).terms.keys()) {
      const posting = this.postings.get(term);
      if (posting === undefined) continue;
      const idf = Math.log(1 + (this.docs - posting.live + 0.5) / (posting.live + 0.5));
      const entries = posting.entries;
      for (let i = 0; i < entries.length; i += 3) {
        const slot = entries[i] as number;
        if (entries[i + 1] !== this.gens[slot] || !admitted(slot)) continue;
        const tf = entries[i + 2] as number;
        const norm = tf + K1 * (1 - B + (B * (this.lengths[slot] as number)) / avg);
        if (this.scores[slot] === 0) touched.push(slot);
        this.scores[slot] = (this.scores[slot] as number) + (idf * (tf * (K1 + 1))) / norm;
      }
    }
    const hits = touched.map((slot) => ({ slot, score: this.scores[slot] as number }));
    for (const slot of touched) this.scores[slot] = 0;
    hits.sort((a, b) => b.score - a.score || a.slot - b.slot);
    return hits.slice(0, k);
  }

  /** Drops a posting's tombstones. */
  private sweep(posting: Posting): void {
    const entries = posting.entries;
    let kept = 0;
    for (let i = 0; i < entries.length; i += 3) {
      const slot = entries[i] as number;
      if (entries[i + 1] !== this.gens[slot]) continue;
      entries[kept] = slot;
      entries[kept + 1] = entries[i + 1] as number;
      entries[kept + 2] = entries[i + 2] as number;
      kept += 3;
    }
    this.entries -= (entries.length - kept) / 3;
    entries.length = kept;
  }

  private ensure(slot: number): void {
    if (slot < this.gens.length) return;
    const size = Math.max(slot + 1, this.gens.length * 2);
    const gens = new Int32Array(size);
    gens.set(this.gens);
    this.gens = gens;
    const lengths = new Int32Array(size);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const scores = new Float64Array(size);
    scores.set(this.scores);
    this.scores = scores;
  }
}
