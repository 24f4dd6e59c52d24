/**
 * The in-memory full-text index: an inverted index of the mirror's records (words as cut by
 * {@link words}) ranked by BM25 with statistics over the records a query admits (memory/bm25.ts: the
 * same scores as the LanceDB path, and none moved by records the caller cannot read), plus a forward
 * index — each record's distinct terms with their counts — so a query restricted to the records its
 * filter admits can be answered from whichever side is smaller: the postings of the query's words, or
 * the term lists of the admitted records (a user's twelve thousand records against the hundred
 * thousand entries a common word has at a million records). Both find the admitted records holding a
 * query word with their counts, scored alike (text-matches.ts): the same scores, bit for bit.
 * Texts are analysed (cut into term ids) apart from being added, so a write can do that work before
 * its records become visible. Removed records leave tombstones in the postings, swept when a term
 * holds more dead than live entries.
 */
import { eachInSlices, type SliceOptions } from '../../time-slices.js';
import { grow, IntPool } from './pool.js';
import { ENTRY, Postings } from './postings.js';
import { TextMatches } from './text-matches.js';
import { TopHits, type TextHit } from './top.js';
import { queryTerms, words } from './tokens.js';

export { tokenize } from './tokens.js';
export type { TextHit } from './top.js';

/** Texts cut into term ids: record i's (term, count) pairs are `terms[2·offsets[i] .. 2·offsets[i+1])`. */
export interface Analyzed {
  readonly terms: Int32Array;
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;
}

/**
 * What reading one admitted record's term list costs, in postings entries: its lookups land anywhere
 * in memory, while postings are read in order (measured at a million records: ~30×).
 */
const RECORD_COST = 32;

/** A query's terms (ids) and the admitted slots. */
interface TextQuery {
  readonly terms: readonly number[];
  readonly slots: Int32Array;
  readonly n: number;
}

/** How a query reads the index: `auto` picks the side with fewer entries to read. */
export type TextPlan = 'auto' | 'postings' | 'forward';

export class FullTextIndex {
  private readonly postings = new Postings();
  /** Per slot: its generation (bumped when the slot is emptied), its length in words, whether it holds a record. */
  private gens: Int32Array = new Int32Array(1024);
  private lengths: Int32Array = new Int32Array(1024);
  private present = new Uint8Array(1024);
  /** Per slot: where its (term, count) pairs start in `forward` and how many there are. */
  private forwardStart: Int32Array = new Int32Array(1024);
  private forwardCount: Int32Array = new Int32Array(1024);
  private forward = new IntPool();
  /** Per slot, during a postings walk: its position in the matches plus one (0: not matched yet). */
  private matchOf: Int32Array = new Int32Array(1024);
  /** The current query's matches (scratch kept between queries). */
  private readonly found = new TextMatches();
  /** The slots a query admits, one bit each (cleared after every query). */
  private admitted: Uint32Array = new Uint32Array(32);
  /** Per term id, while analysing one text: its count so far. */
  private counts: Int32Array = new Int32Array(1024);

  /** Entries held in postings (live and dead). */
  get size(): number {
    return this.postings.entries;
  }

  /** Heap bytes held, from the lengths of its arrays and pools and its dictionary's entries. */
  get bytes(): number {
    const perSlot = this.gens.byteLength * 5 + this.present.byteLength;
    const scratch =
      this.found.slots.byteLength +
      this.found.tfs.byteLength +
      this.matchOf.byteLength +
      this.admitted.byteLength;
    return this.postings.bytes + this.forward.data.byteLength + perSlot + scratch + this.counts.byteLength;
  }

  /**
   * Cuts texts into term ids (new terms get ids without postings). The analysis holds its terms (none
   * is forgotten, its id handed to another word) until {@link add} adds its texts or {@link discard}.
   */
  analyze(texts: readonly string[]): Analyzed {
    const offsets = new Int32Array(texts.length + 1);
    const lengths = new Int32Array(texts.length);
    let terms: Int32Array = new Int32Array(texts.length * 16);
    let pairs = 0;
    texts.forEach((text, i) => {
      const all = words(text);
      lengths[i] = all.length;
      const first = pairs;
      for (const word of all) {
        const id = this.postings.idOf(word);
        if (id >= this.counts.length)
          this.counts = grow(this.counts, Math.max(id + 1, this.counts.length * 2));
        if (this.counts[id] === 0) {
          if (2 * pairs + 2 > terms.length) terms = grow(terms, terms.length * 2 + 2);
          this.postings.hold(id);
          terms[2 * pairs] = id;
          pairs += 1;
        }
        this.counts[id] = (this.counts[id] as number) + 1;
      }
      for (let p = first; p < pairs; p++) {
        const id = terms[2 * p] as number;
        terms[2 * p + 1] = this.counts[id] as number;
        this.counts[id] = 0;
      }
      offsets[i + 1] = pairs;
    });
    return { terms, offsets, lengths };
  }

  /**
   * Room for adding every text of `analyses`, made in time slices before a commit places them
   * (see {@link Postings.reserveAll}), and in the term lists, grown at most once now.
   */
  async reserveFor(analyses: readonly Analyzed[], slices: SliceOptions): Promise<void> {
    const extra = new Int32Array(this.postings.idLimit);
    const terms: number[] = [];
    let forward = 0;
    const count = ({ terms: pairs, offsets }: Analyzed): void => {
      const n = offsets[offsets.length - 1] as number;
      forward += 2 * n;
      for (let p = 0; p < n; p++) {
        const term = pairs[2 * p] as number;
        if (extra[term] === 0) terms.push(term);
        extra[term] = (extra[term] as number) + 1;
      }
    };
    // One step per analysis, then the term lists' compaction and growth, each a step of its own.
    const steps: Array<() => void> = analyses.map((analyzed) => () => count(analyzed));
    steps.push(
      () => this.forward.wasteful && this.compactForward(),
      () => this.forward.ensure(forward),
    );
    await eachInSlices(steps, (step) => step(), slices);
    await this.postings.reserveAll(terms, extra, slices);
  }

  /** Indexes text `i` of an analysis in `slot` (which must be empty); the analysis holds its terms no more. */
  add(slot: number, analyzed: Analyzed, i: number): void {
    this.ensure(slot);
    const from = analyzed.offsets[i] as number;
    const count = (analyzed.offsets[i + 1] as number) - from;
    const gen = this.gens[slot] as number;
    for (let p = from; p < from + count; p++) {
      const term = analyzed.terms[2 * p] as number;
      this.postings.append(term, slot, gen, analyzed.terms[2 * p + 1] as number);
      this.postings.unhold(term);
    }
    if (this.forward.wasteful) this.compactForward();
    const start = this.forward.reserve(2 * count);
    this.forward.data.set(analyzed.terms.subarray(2 * from, 2 * (from + count)), start);
    this.forwardStart[slot] = start;
    this.forwardCount[slot] = count;
    const length = analyzed.lengths[i] as number;
    this.lengths[slot] = length;
    this.present[slot] = 1;
  }

  /** Forgets the text of `slot`; its postings entries become tombstones. Call {@link settle} after. */
  remove(slot: number): void {
    if (slot >= this.present.length || this.present[slot] === 0) return;
    this.gens[slot] = ((this.gens[slot] as number) + 1) | 0;
    const start = this.forwardStart[slot] as number;
    const count = this.forwardCount[slot] as number;
    for (let p = 0; p < count; p++)
      this.postings.release(this.forward.data[start + 2 * p] as number, this.gens);
    this.forward.release(2 * count);
    this.forwardCount[slot] = 0;
    this.present[slot] = 0;
  }

  /** Forgets terms no record holds any more (after removes, and after adds that replaced records). */
  settle(): void {
    this.postings.settle();
    if (this.forward.wasteful) this.compactForward();
  }

  /**
   * Lets go of the terms of an analysis whose records were never added (a failed write): those no
   * record holds are forgotten at the next {@link settle} (call it once, after every analysis of
   * the write is discarded).
   */
  discard(analyzed: Analyzed): void {
    const pairs = analyzed.offsets[analyzed.offsets.length - 1] as number;
    for (let p = 0; p < pairs; p++) this.postings.unhold(analyzed.terms[2 * p] as number);
  }

  /**
   * The k best BM25 matches of the query's words among `slots[0..n)`, best first (equal scores: the
   * slot `tie` puts first, else the lower). `plan` forces a side (tests compare them); `auto` reads
   * the smaller one.
   */
  search(
    query: string,
    k: number,
    slots: Int32Array,
    n: number,
    plan: TextPlan = 'auto',
    tie?: (a: number, b: number) => number,
  ): TextHit[] {
    const terms: number[] = [];
    let postingsCost = 0;
    for (const word of queryTerms(query)) {
      const term = this.postings.find(word);
      if (term < 0 || this.postings.live[term] === 0) continue;
      terms.push(term);
      postingsCost += this.postings.length[term] as number;
    }
    if (terms.length === 0 || n === 0 || k <= 0) return [];
    const forward = plan === 'forward' || (plan === 'auto' && n * RECORD_COST < postingsCost);
    const run: TextQuery = { terms, slots, n };
    const matches = forward ? this.matchForward(run) : this.matchPostings(run);
    return matches.score(this.lengths, n, new TopHits(k, tie));
  }

  /** Reads every admitted record's own term list. */
  private matchForward({ terms, slots, n }: TextQuery): TextMatches {
    const q = terms.length;
    const found = this.found.reset(q);
    const tfs = new Int32Array(q);
    const data = this.forward.data;
    for (let i = 0; i < n; i++) {
      const slot = slots[i] as number;
      const start = this.forwardStart[slot] as number;
      const end = start + 2 * (this.forwardCount[slot] as number);
      let hit = false;
      for (let at = start; at < end; at += 2) {
        const term = data[at] as number;
        for (let j = 0; j < q; j++) {
          if (terms[j] !== term) continue;
          tfs[j] = data[at + 1] as number;
          hit = true;
        }
      }
      if (!hit) continue;
      const m = found.add(slot, this.lengths[slot] as number);
      for (let j = 0; j < q; j++) {
        found.tfs[m * q + j] = tfs[j] as number;
        if (tfs[j] !== 0) found.df[j] = (found.df[j] as number) + 1;
        tfs[j] = 0;
      }
    }
    return found;
  }

  /** Walks the postings of the query's words, keeping the admitted records' entries. */
  private matchPostings({ terms, slots, n }: TextQuery): TextMatches {
    // One bit per slot: 128 KB at a million records stays in cache, unlike an int per slot.
    for (let i = 0; i < n; i++) {
      const slot = slots[i] as number;
      if (slot >> 5 >= this.admitted.length) this.admitted = growBits(this.admitted, (slot >> 5) + 1);
      this.admitted[slot >> 5] = (this.admitted[slot >> 5] as number) | (1 << (slot & 31));
    }
    const q = terms.length;
    const found = this.found.reset(q);
    const admitted = this.admitted;
    const data = this.postings.pool.data;
    terms.forEach((term, j) => {
      const from = this.postings.start[term] as number;
      const end = from + (this.postings.length[term] as number) * ENTRY;
      for (let at = from; at < end; at += ENTRY) {
        const slot = data[at] as number;
        if (((admitted[slot >> 5] ?? 0) & (1 << (slot & 31))) === 0 || data[at + 1] !== this.gens[slot])
          continue;
        let m = (this.matchOf[slot] as number) - 1;
        if (m < 0) {
          m = found.add(slot, this.lengths[slot] as number);
          this.matchOf[slot] = m + 1;
        }
        found.tfs[m * q + j] = data[at + 2] as number;
        found.df[j] = (found.df[j] as number) + 1;
      }
    });
    for (let i = 0; i < n; i++) admitted[(slots[i] as number) >> 5] = 0;
    for (let i = 0; i < found.count; i++) this.matchOf[found.slots[i] as number] = 0;
    return found;
  }

  /** Copies the live term lists into a fresh pool, leaving removed records' lists behind. */
  private compactForward(): void {
    const old = this.forward;
    const fresh = new IntPool(2 * (old.top - old.garbage));
    for (let slot = 0; slot < this.present.length; slot++) {
      if (this.present[slot] === 0) continue;
      const count = this.forwardCount[slot] as number;
      const start = fresh.reserve(2 * count);
      const from = this.forwardStart[slot] as number;
      fresh.data.set(old.data.subarray(from, from + 2 * count), start);
      this.forwardStart[slot] = start;
    }
    this.forward = fresh;
  }

  private ensure(slot: number): void {
    if (slot < this.gens.length) return;
    const size = Math.max(slot + 1, this.gens.length * 2);
    this.gens = grow(this.gens, size);
    this.lengths = grow(this.lengths, size);
    this.forwardStart = grow(this.forwardStart, size);
    this.forwardCount = grow(this.forwardCount, size);
    const present = new Uint8Array(size);
    present.set(this.present);
    this.present = present;
    this.matchOf = grow(this.matchOf, size);
  }
}

function growBits(bits: Uint32Array, size: number): Uint32Array {
  const bigger = new Uint32Array(Math.max(size, bits.length * 2));
  bigger.set(bits);
  return bigger;
}
