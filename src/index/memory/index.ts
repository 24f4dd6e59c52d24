/**
 * The in-memory index: a copy of the records table's filter fields, hit fields and unit vectors,
 * grouped by namespace, that answers filtered nearest-neighbour queries exactly. A query visits only
 * the groups its filter can match (decided by partial evaluation of the very filter LanceDB would
 * get), scores their vectors with the SIMD kernel and keeps the best k — the same answer as an exact
 * LanceDB search, without reading the rows of other namespaces. LanceDB stays the store of record;
 * the store keeps this copy in step with every write. Where records sit is `placement.ts`, which
 * slots a filter matches `matching.ts`; this file keeps vectors, texts and placement in step.
 */
import { itemAt } from '../../errors.js';
import type { Expr } from '../../policy/index.js';
import { ArenaFullError, VectorArena } from './arena.js';
import { FullTextIndex, type Analyzed } from './fulltext.js';
import { PlaceCache, type Place } from './groups.js';
import { SlotMatcher } from './matching.js';
import { Placement } from './placement.js';
import type { MemoryRow } from './rows.js';
import { forEachInSlices, type SliceOptions } from '../../time-slices.js';

/** A stored record as the index keeps it: the fields of a hit (its text and vector are kept apart). */
export type { MemoryRow } from './rows.js';

export interface MemoryHit {
  readonly row: MemoryRow;
  /** Cosine distance, as LanceDB reports it. */
  readonly distance: number;
}

export interface MemorySearchResult {
  readonly hits: MemoryHit[];
  /** Records the filter matched. */
  readonly matching: number;
  /** Whether the int8 copies were scanned first (exact refinement of the candidates follows). */
  readonly quantized: boolean;
  readonly stages_ms: { readonly filter: number; readonly score: number };
}

/** Records made ready by {@link MemoryIndex.prepare}, not yet visible. */
export interface Prepared {
  readonly rows: readonly MemoryRow[];
  readonly slots: Int32Array;
  readonly places: readonly Place[];
  readonly text: Analyzed;
}

/** Scans of at least this many records sort their slots first (cheaper than the scattered reads). */
const SORT_FROM = 2048;

/**
 * What a new full-text entry may add, for the budget check before a write: 3 ints in the postings
 * and 2 in the record's term list, in pools that grow by doubling, plus a share of a new word. What
 * the full-text index holds is counted from its own arrays ({@link FullTextIndex.bytes}).
 */
const POSTING_BYTES = 60;

export class MemoryIndex {
  private readonly placement = new Placement();
  private readonly matcher = new SlotMatcher(this.placement);
  private readonly text = new FullTextIndex();
  /**
   * Ids a {@link commitInSlices} in progress is to show, each with its slot. A later change of the
   * id (a commit, a removal, another commit in slices) takes it out: the later change wins.
   */
  private readonly pending = new Map<string, number>();

  private constructor(
    private readonly arena: VectorArena,
    private readonly budgetBytes: number,
  ) {
    arena.outside = () => this.outsideBytes;
  }

  /** An empty index; `threads` worker threads share its large scans (see {@link VectorArena.create}). */
  static async create(
    dimension: number,
    budgetBytes: number,
    options: Parameters<typeof VectorArena.create>[2] = {},
  ): Promise<MemoryIndex> {
    return new MemoryIndex(await VectorArena.create(dimension, budgetBytes, options), budgetBytes);
  }

  /** Stops the index's scan threads. */
  close(): Promise<void> {
    return this.arena.close();
  }

  get size(): number {
    return this.placement.size;
  }

  /**
   * Bytes the index holds: the linear memory (vectors, int8 copies, scratch) and, counted from
   * their lengths, the typed arrays, per-slot arrays, rows, strings and maps outside it (the
   * full-text index's included).
   */
  get bytes(): number {
    return this.arena.bytes + this.outsideBytes;
  }

  /** Bytes of the linear memory (vectors, int8 copies, scratch): outside the JS heap. */
  get linearBytes(): number {
    return this.arena.bytes;
  }

  /** What {@link bytes} counts outside the linear memory. */
  private get outsideBytes(): number {
    return (
      this.arena.heldBytes - this.arena.bytes + this.matcher.bytes + this.placement.bytes + this.text.bytes
    );
  }

  has(id: string): boolean {
    return this.placement.has(id);
  }

  /** Inserts or replaces a record (by id) with its vector and text. Throws ArenaFullError past the budget. */
  put(row: MemoryRow, vector: Float32Array, text: string): void {
    this.commit(this.prepare([row], [vector], [text]));
  }

  /**
   * The work of inserting records, done before they become visible: their vectors stored in fresh
   * slots (normalised, int8 copies), their texts cut into terms, their places in the grouping found.
   * Nothing a search reads changes until {@link commit}; {@link discard} undoes it. Throws
   * ArenaFullError past the budget (nothing then stays reserved).
   */
  prepare(rows: readonly MemoryRow[], vectors: readonly Float32Array[], texts: readonly string[]): Prepared {
    const batch = new Map<string, string>();
    const copies = rows.map((row) => this.placement.copy(row, batch));
    const text = this.text.analyze(texts);
    let cost = (text.terms.length / 2) * POSTING_BYTES;
    for (const row of copies) cost += this.placement.cost(row);
    if (this.bytes + cost > this.budgetBytes) {
      this.forget(text);
      throw new ArenaFullError(this.budgetBytes);
    }
    const slots = new Int32Array(rows.length);
    let done = 0;
    try {
      for (; done < rows.length; done++) {
        const slot = this.arena.alloc(itemAt(copies, done).account_id);
        slots[done] = slot;
        this.arena.set(slot, vectors[done] as Float32Array);
      }
    } catch (error) {
      for (let i = 0; i < done; i++) this.arena.free(slots[i] as number);
      this.forget(text);
      throw error;
    }
    const places = new PlaceCache();
    return { rows: copies, slots, places: copies.map((row) => places.of(row)), text };
  }

  /** Forgets the new terms of an analysis that will not be added. */
  private forget(text: Analyzed): void {
    this.text.discard(text);
    this.text.settle();
  }

  /**
   * Makes prepared records visible, replacing the records of the same ids. Batches prepared together
   * are committed together: a word a replaced record of one leaves behind may be held by a record of
   * another, so words are forgotten only after all of them.
   */
  commit(...batches: readonly Prepared[]): void {
    for (const { rows, slots, places, text } of batches) {
      for (let i = 0; i < rows.length; i++) {
        const row = itemAt(rows, i);
        const slot = slots[i] as number;
        if (this.pending.size > 0) this.pending.delete(row.id);
        const old = this.placement.slotOf(row.id);
        this.placement.link(slot, row, itemAt(places, i));
        // Added before the old text goes, so words both share are never forgotten in between.
        this.text.add(slot, text, i);
        if (old !== undefined) this.unlink(old);
      }
    }
    this.text.settle();
  }

  /**
   * {@link commit} without one long block of the event loop, and as atomic for searches: the records
   * are placed and indexed hidden, in time slices; then one synchronous step (a map update per
   * record) shows them and hides the records they replace, which are taken out in time slices after.
   * A search between two slices sees all of the old records or all of the new. 12.5k chunks of one
   * file took one block of 270–540 ms to commit at once (load ~10 on 2 cores).
   */
  async commitInSlices(batches: readonly Prepared[], slices: SliceOptions = {}): Promise<void> {
    const rows: MemoryRow[] = [];
    const slots: number[] = [];
    const texts: Array<readonly [Analyzed, number]> = [];
    const places: Place[] = [];
    for (const batch of batches)
      for (let i = 0; i < batch.rows.length; i++) {
        const row = itemAt(batch.rows, i);
        const slot = batch.slots[i] as number;
        this.pending.set(row.id, slot);
        rows.push(row);
        slots.push(slot);
        texts.push([batch.text, i]);
        places.push(itemAt(batch.places, i));
      }
    await forEachInSlices(
      rows.length,
      (i) => {
        const slot = itemAt(slots, i);
        this.placement.link(slot, itemAt(rows, i), itemAt(places, i), true);
        const [text, at] = itemAt(texts, i);
        this.text.add(slot, text, at);
      },
      slices,
    );
    const retired: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = itemAt(rows, i);
      const slot = itemAt(slots, i);
      if (this.pending.get(row.id) !== slot) {
        // Changed meanwhile by a later write: this record is never shown.
        retired.push(slot);
        continue;
      }
      this.pending.delete(row.id);
      const old = this.placement.reveal(slot, row);
      if (old !== undefined) retired.push(old);
    }
    await forEachInSlices(retired.length, (i) => this.unlink(itemAt(retired, i)), slices);
    this.text.settle();
  }

  /** Gives back what {@link prepare} reserved, for records that will not be committed. */
  discard(...batches: readonly Prepared[]): void {
    for (const { slots, text } of batches) {
      for (const slot of slots) this.arena.free(slot);
      this.text.discard(text);
    }
    this.text.settle();
  }

  /** Removes a record by id (nothing if absent). */
  remove(id: string): void {
    if (this.pending.size > 0) this.pending.delete(id);
    const slot = this.placement.forget(id);
    if (slot === undefined) return;
    this.unlink(slot);
    this.text.settle();
  }

  /** Takes a slot out of its place and the full-text index, and frees it. */
  private unlink(slot: number): void {
    this.placement.unlink(slot);
    this.text.remove(slot);
    this.arena.free(slot);
  }

  /** Ids of the records matching a filter. */
  matchIds(filter: Expr): string[] {
    const n = this.matcher.collect(filter);
    const slots = this.matcher.slots;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(this.placement.row(slots[i] as number).id);
    return ids;
  }

  /** Number of records matching a filter. */
  count(filter: Expr): number {
    return this.matcher.collect(filter);
  }

  /**
   * The k records nearest to `vector` (cosine) among those matching `filter`, exactly. `quantize`
   * decides from the matching count whether the int8 copies are scanned first (then refined).
   */
  search(
    vector: Float32Array,
    filter: Expr,
    k: number,
    quantize: (matching: number) => boolean,
  ): MemorySearchResult {
    const started = performance.now();
    const n = this.matcher.collect(filter);
    const filtered = performance.now();
    const quantized = quantize(n);
    // Slots in allocation order are in address order within each account's pool: sorted, a large
    // scan streams through memory instead of hopping between the parts of a group (3× slower at 1M).
    if (n >= SORT_FROM) this.matcher.sort(n);
    const slots = this.matcher.slots;
    const best = n > 0 && k > 0 ? this.arena.nearest(slots, n, vector, k, quantized) : [];
    const hits = best.map(({ index, score }) => ({
      row: this.placement.row(slots[index] as number),
      distance: 1 - score,
    }));
    const stages_ms = { filter: filtered - started, score: performance.now() - filtered };
    return { hits, matching: n, quantized, stages_ms };
  }

  /**
   * The k best BM25 matches of the query's words among the records matching `filter` (statistics
   * over those records; equal scores: the lower id first, as on the LanceDB path).
   */
  fullText(query: string, filter: Expr, k: number): Array<{ row: MemoryRow; score: number }> {
    const n = this.matcher.collect(filter);
    const id = (slot: number): string => this.placement.row(slot).id;
    const tie = (a: number, b: number): number => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
    return this.text
      .search(query, k, this.matcher.slots, n, 'auto', tie)
      .map(({ slot, score }) => ({ row: this.placement.row(slot), score }));
  }
}
