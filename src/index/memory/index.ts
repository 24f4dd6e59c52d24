/**
 * The in-memory index: a copy of the records table's filter fields, hit fields and unit vectors
 * (int8 copies in memory, float32 in a file: arena.ts),
 * grouped by namespace, that answers filtered nearest-neighbour queries exactly. A query visits only
 * the groups its filter can match (decided by partial evaluation of the very filter LanceDB would
 * get), scores their vectors with the SIMD kernel and keeps the best k — the same answer as an exact
 * LanceDB search, without reading the rows of other namespaces. LanceDB stays the store of record;
 * the store keeps this copy in step with every write. Where records sit is `placement.ts`, which
 * slots a filter matches `matching.ts`; this file keeps vectors, texts and placement in step.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { itemAt } from '../../errors.js';
import type { Expr } from '../../policy/index.js';
import { ArenaFullError, VectorArena, type ArenaOptions } from './arena.js';
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
  readonly stages_ms: { readonly filter: number; readonly score: number };
}

/** Records made ready by {@link MemoryIndex.prepare}, not yet visible. */
export interface Prepared {
  /** The records' ids (their rows are stored in `slots` already, not linked). */
  readonly ids: readonly string[];
  readonly slots: Int32Array;
  readonly places: readonly Place[];
  readonly text: Analyzed;
}

/**
 * What a new full-text entry may add, for the budget check before a write: 3 ints in the postings
 * and 2 in the record's term list, in pools that grow by doubling, plus a share of a new word. What
 * the full-text index holds is counted from its own arrays ({@link FullTextIndex.bytes}).
 */
const POSTING_BYTES = 60;

/** The JS structures of an index (a snapshot writes them: snapshot.ts). */
export interface IndexParts {
  readonly placement: Placement;
  readonly matcher: SlotMatcher;
  readonly text: FullTextIndex;
}

export class MemoryIndex {
  private readonly placement: Placement;
  private readonly matcher: SlotMatcher;
  private readonly text: FullTextIndex;
  /** The commits in slices, one after another (see {@link commitInSlices}). */
  private commits: Promise<void> = Promise.resolve();

  private constructor(
    private readonly arena: VectorArena,
    private readonly budgetBytes: number,
    parts?: IndexParts,
  ) {
    this.placement = parts?.placement ?? new Placement();
    this.matcher = parts?.matcher ?? new SlotMatcher(this.placement);
    this.text = parts?.text ?? new FullTextIndex();
    arena.outside = () => this.outsideBytes;
  }

  /** An index made of restored parts (snapshot.ts); `arena` is its restored arena. */
  static assemble(arena: VectorArena, budgetBytes: number, parts: IndexParts): MemoryIndex {
    return new MemoryIndex(arena, budgetBytes, parts);
  }

  /** What a snapshot writes: the JS structures, the arena (state, linear memory, vector file) and the budget. */
  snapshotParts(): { parts: IndexParts; arena: VectorArena; dimension: number } {
    const { placement, matcher, text, arena } = this;
    return { parts: { placement, matcher, text }, arena, dimension: arena.dimension };
  }

  /**
   * An empty index; `threads` worker threads share its large scans, its float32 vectors go to a
   * file in `vectorDir` (see {@link VectorArena.create}).
   */
  static async create(
    dimension: number,
    budgetBytes: number,
    options: ArenaOptions = {},
  ): Promise<MemoryIndex> {
    return new MemoryIndex(await VectorArena.create(dimension, budgetBytes, options), budgetBytes);
  }

  /** Stops the index's scan threads and closes its vector file. */
  close(): Promise<void> {
    return this.arena.close();
  }

  get size(): number {
    return this.placement.size;
  }

  /**
   * Bytes the index holds: the linear memory (int8 copies, scratch) and, counted from their
   * lengths, the typed arrays, per-slot arrays, rows, strings and maps outside it (the full-text
   * index's included). Not the float32 vectors: they are in the vector file ({@link fileBytes}).
   */
  get bytes(): number {
    return this.arena.bytes + this.outsideBytes;
  }

  /** Bytes of the linear memory (int8 copies, scratch): outside the JS heap. */
  get linearBytes(): number {
    return this.arena.bytes;
  }

  /** Bytes of the vector file (float32 vectors): disk and page cache, not this process's memory. */
  get fileBytes(): number {
    return this.arena.fileBytes;
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
   * The work of inserting records, done before they become visible: their rows and vectors stored in
   * fresh slots (normalised, int8 copies), their texts cut into terms, their places in the grouping
   * found.
   * Nothing a search reads changes until {@link commit}; {@link discard} undoes it. Throws
   * ArenaFullError past the budget (nothing then stays reserved).
   */
  prepare(rows: readonly MemoryRow[], vectors: readonly Float32Array[], texts: readonly string[]): Prepared {
    const text = this.text.analyze(texts);
    let cost = (text.terms.length / 2) * POSTING_BYTES;
    for (const row of rows) cost += this.placement.cost(row);
    if (this.bytes + cost > this.budgetBytes) {
      this.forget(text);
      throw new ArenaFullError(this.budgetBytes);
    }
    const slots = new Int32Array(rows.length);
    const placeCache = new PlaceCache();
    const places: Place[] = [];
    let done = 0;
    try {
      let account = '';
      let group = '';
      for (; done < rows.length; done++) {
        const row = itemAt(rows, done);
        const place = placeCache.of(row);
        // Vectors are pooled by group (account, scope, owners, root) within their account
        // (blocks.ts): a USER's scan reads its groups' rows as streams, where pooled by account
        // they were scattered among every other user's (32% of them adjacent at 1M).
        if (
          done === 0 ||
          place !== places[done - 1] ||
          row.account_id !== itemAt(rows, done - 1).account_id
        ) {
          account = this.placement.known(row.account_id);
          group = `${account}\u0000${place.groupKey}`;
        }
        places.push(place);
        const slot = this.arena.alloc(account, group);
        slots[done] = slot;
        this.arena.set(slot, vectors[done] as Float32Array);
        this.placement.put(slot, row);
      }
      this.arena.flush();
    } catch (error) {
      for (let i = 0; i < done; i++) this.release(slots[i] as number);
      this.forget(text);
      throw error;
    }
    return { ids: rows.map((row) => row.id), slots, places, text };
  }

  /**
   * Rebuilds the placement tree's nodes in the order a filter walks them ({@link Placement.compact}),
   * a few thousand per turn: for an index just filled record by record, before it answers. Runs in
   * order with {@link commitInSlices}.
   */
  compactTree(): Promise<void> {
    const run = this.commits.then(() => this.placement.compact(nextTurn));
    this.commits = run.catch(() => undefined);
    return run;
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
    for (const { ids, slots, places, text } of batches) {
      for (let i = 0; i < ids.length; i++) {
        const id = itemAt(ids, i);
        const slot = slots[i] as number;
        const old = this.placement.link(slot, id, itemAt(places, i));
        // Added before the old text goes, so words both share are never forgotten in between.
        this.text.add(slot, text, i);
        if (old !== undefined) this.unlinkReplaced(old);
      }
    }
    this.text.settle();
  }

  /**
   * {@link commit} without one long block of the event loop, and as atomic for searches: the records
   * are placed and indexed hidden, in time slices; then one step (a flag) shows them and hides the
   * records they replace, which are taken out in time slices after. A search between two slices
   * sees all of the old records or all of the new. A later change of one of the ids (a removal, a
   * {@link commit}) wins, before the switch or after. Commits in slices run one after another, in
   * the order they are called (one waiting for another counts from its start: a change made while it
   * waits is earlier). 12.5k chunks of one file took one block of 270–540 ms to commit at once (load
   * ~10 on 2 cores).
   *
   * The ids `removed` go in the same switch (a page of changes that removes some records and writes
   * others: distributed mode's cache); removed first, so an id also written by `batches` is replaced.
   * A change of a removed id made while the commit runs is not ordered after the removal: the caller
   * makes none (the cache's changes come one page after another).
   */
  commitInSlices(
    batches: readonly Prepared[],
    slices: SliceOptions = {},
    removed: readonly string[] = [],
  ): Promise<void> {
    const run = this.commits.then(() => this.sliced(batches, slices, removed));
    this.commits = run.catch(() => undefined);
    return run;
  }

  private async sliced(
    batches: readonly Prepared[],
    slices: SliceOptions,
    removed: readonly string[],
  ): Promise<void> {
    const records: Array<readonly [Prepared, number]> = [];
    for (const batch of batches) for (let i = 0; i < batch.ids.length; i++) records.push([batch, i]);
    const replaced: number[] = [];
    const gone = removed.length;
    this.placement.begin();
    try {
      // Room made first, in slices: no placing step relocates many words' postings at once.
      await this.text.reserveFor(
        batches.map((b) => b.text),
        slices,
      );
      await forEachInSlices(
        gone + records.length,
        (r) => {
          if (r < gone) {
            const slot = this.placement.retire(itemAt(removed, r));
            if (slot !== undefined) replaced.push(slot);
            return;
          }
          const [{ ids, slots, places, text }, i] = itemAt(records, r - gone);
          const slot = slots[i] as number;
          const old = this.placement.linkHidden(slot, itemAt(ids, i), itemAt(places, i));
          this.text.add(slot, text, i);
          if (old !== undefined) replaced.push(old);
        },
        slices,
      );
      this.placement.show();
      await forEachInSlices(
        records.length + replaced.length,
        (r) => {
          if (r >= records.length) return this.unlink(itemAt(replaced, r - records.length));
          const [{ slots }, i] = itemAt(records, r);
          const slot = slots[i] as number;
          if (!this.placement.settle(slot)) this.unlink(slot);
        },
        slices,
      );
    } finally {
      this.placement.end();
    }
    this.text.settle();
  }

  /** Gives back what {@link prepare} reserved, for records that will not be committed. */
  discard(...batches: readonly Prepared[]): void {
    for (const { slots, text } of batches) {
      for (const slot of slots) this.release(slot);
      this.text.discard(text);
    }
    this.text.settle();
  }

  /** Removes a record by id (nothing if absent). */
  remove(id: string): void {
    const slot = this.placement.forget(id);
    if (slot === undefined) return;
    this.unlinkReplaced(slot);
    this.text.settle();
  }

  /** Frees a slot {@link prepare} filled and no commit linked. */
  private release(slot: number): void {
    this.placement.clear(slot);
    this.arena.free(slot);
  }

  /** Unlinks a slot a change took its id from, unless a commit in slices under way will. */
  private unlinkReplaced(slot: number): void {
    if (!this.placement.supersede(slot)) this.unlink(slot);
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
    for (let i = 0; i < n; i++) ids.push(this.placement.id(slots[i] as number));
    return ids;
  }

  /** Number of records matching a filter. */
  count(filter: Expr): number {
    return this.matcher.collect(filter);
  }

  /**
   * The k records nearest to `vector` (cosine) among those matching `filter`, exactly: the int8
   * copies scanned, the candidates their error bounds leave scored in float32 (arena.ts). Throws
   * VectorFileError when the vector file fails (the index can no longer answer).
   */
  search(vector: Float32Array, filter: Expr, k: number): MemorySearchResult {
    const started = performance.now();
    const n = this.matcher.collect(filter);
    const filtered = performance.now();
    // Not sorted into address order: the matcher gathers group by group, and each group's rows lie
    // together in its own blocks (blocks.ts), so the scan streams anyway. Sorting 222k slots took
    // 2–3 ms of a 15 ms ROOT scan at 1M (BENCHMARKS, stop 38).
    const slots = this.matcher.slots;
    const best = n > 0 && k > 0 ? this.arena.nearest(slots, n, vector, k) : [];
    const hits = best.map(({ index, score }) => ({
      row: this.placement.row(slots[index] as number),
      distance: 1 - score,
    }));
    const stages_ms = { filter: filtered - started, score: performance.now() - filtered };
    return { hits, matching: n, stages_ms };
  }

  /**
   * The k best BM25 matches of the query's words among the records matching `filter` (statistics
   * over those records; equal scores: the lower id first, as on the LanceDB path).
   */
  fullText(query: string, filter: Expr, k: number): Array<{ row: MemoryRow; score: number }> {
    const n = this.matcher.collect(filter);
    const tie = (a: number, b: number): number => this.placement.compareIds(a, b);
    return this.text
      .search(query, k, this.matcher.slots, n, 'auto', tie)
      .map(({ slot, score }) => ({ row: this.placement.row(slot), score }));
  }
}
