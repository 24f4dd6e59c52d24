/**
 * The term dictionary and postings of the in-memory full-text index. A term is a small integer; its
 * postings are one region of an {@link IntPool} holding entries of three ints — slot, the slot's
 * generation when the entry was written (another one now means a tombstone) and the term frequency —
 * that doubles in place of a copy when full. Per-term counts live in typed arrays.
 */
import { eachInSlices, forEachInSlices, type SliceOptions } from '../../time-slices.js';
import { IdTable, type KeyOwner } from './ids.js';
import { grow, IntPool } from './pool.js';
import { GROWN_ARRAY_BYTES, ownBytes, ownCopy } from './shared.js';

/** Ints a step of {@link Postings.reserveAll}'s pool growth copies (4 MiB). */
const COPY_INTS = 1 << 20;

/** Ints per postings entry: slot, generation, term frequency. */
export const ENTRY = 3;

export class Postings implements KeyOwner {
  private readonly ids = new IdTable(this);
  private readonly termOf: Array<string | undefined> = [];
  private readonly freeIds: number[] = [];
  /** Per term: live documents holding it, its region's start, capacity and entries (live and dead). */
  live: Int32Array = new Int32Array(1024);
  start: Int32Array = new Int32Array(1024);
  private cap: Int32Array = new Int32Array(1024);
  length: Int32Array = new Int32Array(1024);
  /**
   * Per term: texts analysed but not added yet that hold it ({@link hold}). A term is forgotten only
   * when neither a live document nor such a text holds it: a write's analysis, made before its
   * records become visible, may wait through other writes' removals and settles.
   */
  private held: Int32Array = new Int32Array(1024);
  pool = new IntPool();
  /** Entries held (live and dead), for the memory estimate. */
  entries = 0;
  /** Terms whose last live document went, forgotten at the next {@link settle}. */
  private readonly dead: number[] = [];
  /** Heap bytes of the terms' strings. */
  private termBytes = 0;
  /** Bumped by every write to the pool's data: a growth copied in slices is void if it moved. */
  private changes = 0;

  /** Heap bytes held: the pool and per-term arrays by their lengths, the dictionary by its entries. */
  get bytes(): number {
    return (
      this.pool.data.byteLength +
      5 * this.live.byteLength +
      (this.termOf.length + this.freeIds.length + this.dead.length) * GROWN_ARRAY_BYTES +
      this.ids.bytes +
      this.termBytes
    );
  }

  keyIs(id: number, term: string): boolean {
    return this.termOf[id] === term;
  }

  /** A term's id, or -1 if no document holds it (nor is about to). */
  find(term: string): number {
    return this.ids.get(term) ?? -1;
  }

  /** A term's id, created (with no postings yet) when new. */
  idOf(term: string): number {
    const known = this.ids.get(term);
    if (known !== undefined) return known;
    const id = this.freeIds.pop() ?? this.termOf.length;
    if (id >= this.live.length) {
      const size = this.live.length * 2;
      this.live = grow(this.live, size);
      this.start = grow(this.start, size);
      this.cap = grow(this.cap, size);
      this.length = grow(this.length, size);
      this.held = grow(this.held, size);
    }
    // Its own copy: a word of 13 or more characters is a slice of the whole lower-cased text it was
    // cut from (tokens.ts), which it would keep alive (11 KB a record for a 10 KB text).
    const kept = ownCopy(term);
    this.termOf[id] = kept;
    this.ids.set(kept, id);
    this.termBytes += ownBytes(kept);
    return id;
  }

  /** Number of term ids ever handed out (the bound of per-term scratch arrays). */
  get idLimit(): number {
    return this.termOf.length;
  }

  /** Appends an entry to a term's postings. */
  append(term: number, slot: number, gen: number, tf: number): void {
    const used = this.length[term] as number;
    if (used === this.cap[term]) this.relocate(term, Math.max(1, used * 2));
    const at = (this.start[term] as number) + used * ENTRY;
    const data = this.pool.data;
    data[at] = slot;
    data[at + 1] = gen;
    data[at + 2] = tf;
    this.changes += 1;
    this.length[term] = used + 1;
    this.live[term] = (this.live[term] as number) + 1;
    this.entries += 1;
  }

  /**
   * Makes room for `extra[term]` more entries in each of `terms`' postings, in time slices, before
   * a commit places its records: each term relocated once (to the power of two appends would have
   * doubled to), one a step, after the pool has grown to fit them all, copied in slices. Without it
   * a word that thousands of new records share doubled, with every other such word and the pool
   * itself, in one placing step (issue 23 item 5: ~14 words and an 8 MB pool by one record of a
   * 9.5 MiB file, the longest step of its commit).
   */
  async reserveAll(terms: readonly number[], extra: Int32Array, slices: SliceOptions): Promise<void> {
    let ints = 0;
    for (const term of terms) {
      const capacity = this.roomFor(term, extra[term] as number);
      if (capacity > (this.cap[term] as number)) ints += capacity * ENTRY;
    }
    await this.growPool(ints, slices);
    await eachInSlices(
      terms,
      (term) => {
        // A term forgotten meanwhile (its id free or handed out again) is left to its appends.
        if (this.termOf[term] === undefined) return;
        const capacity = this.roomFor(term, extra[term] as number);
        if (capacity > (this.cap[term] as number)) this.relocate(term, capacity, false);
      },
      slices,
    );
  }

  /** The capacity a term's postings double to for `extra` more entries. */
  private roomFor(term: number, extra: number): number {
    const need = (this.length[term] as number) + extra;
    let capacity = Math.max(1, this.cap[term] as number);
    while (capacity < need) capacity *= 2;
    return capacity;
  }

  /**
   * Grows the pool's data so that `ints` more fit, copying it in slices of {@link COPY_INTS}; the
   * bigger copy replaces it only if nothing wrote to the pool in between (else appends grow it as
   * before).
   */
  private async growPool(ints: number, slices: SliceOptions): Promise<void> {
    const pool = this.pool;
    const old = pool.data;
    const top = pool.top;
    if (top + ints <= old.length) return;
    const changes = this.changes;
    let bigger = old;
    // The allocation is a step of its own (it may set off a garbage collection), then one per chunk.
    await forEachInSlices(
      1 + Math.ceil(top / COPY_INTS),
      (step) => {
        if (step === 0) bigger = new Int32Array(Math.max(top + ints, old.length * 2));
        const from = (step - 1) * COPY_INTS;
        if (step > 0) bigger.set(old.subarray(from, Math.min(top, from + COPY_INTS)), from);
      },
      slices,
    );
    if (this.pool === pool && pool.data === old && pool.top === top && this.changes === changes)
      pool.data = bigger;
  }

  /**
   * One live document less holds the term: past half tombstones its postings are swept; at zero the
   * term is forgotten by the next {@link settle} (not at once: a write in progress may still hold its
   * id, e.g. a record replaced by one with the same words).
   */
  release(term: number, gens: Int32Array): void {
    const live = (this.live[term] as number) - 1;
    this.live[term] = live;
    if (live === 0) this.dead.push(term);
    else if ((this.length[term] as number) - live > live) this.sweep(term, gens);
  }

  /** An analysed text holds the term until {@link unhold}: it is not forgotten meanwhile. */
  hold(term: number): void {
    this.held[term] = (this.held[term] as number) + 1;
  }

  /** The text holds the term no more: forgotten at the next {@link settle} if nothing else holds it. */
  unhold(term: number): void {
    const held = (this.held[term] as number) - 1;
    this.held[term] = held;
    if (held === 0 && this.live[term] === 0) this.dead.push(term);
  }

  /** Forgets the terms no live document holds any more (their ids may be handed out again). */
  settle(): void {
    for (const term of this.dead) this.forget(term);
    this.dead.length = 0;
    // Deletes leave garbage no append may ever relocate past: give it back now.
    if (this.pool.wasteful) this.compact();
  }

  private forget(term: number): void {
    const name = this.termOf[term];
    if (this.live[term] !== 0 || this.held[term] !== 0 || name === undefined) return;
    this.entries -= this.length[term] as number;
    this.pool.release((this.cap[term] as number) * ENTRY);
    this.cap[term] = 0;
    this.length[term] = 0;
    this.ids.delete(name);
    this.termOf[term] = undefined;
    this.termBytes -= ownBytes(name);
    this.freeIds.push(term);
  }

  /** Drops a term's tombstones (entries whose generation is no longer their slot's). */
  private sweep(term: number, gens: Int32Array): void {
    const data = this.pool.data;
    const from = this.start[term] as number;
    const end = from + (this.length[term] as number) * ENTRY;
    let kept = from;
    for (let at = from; at < end; at += ENTRY) {
      if (data[at + 1] !== gens[data[at] as number]) continue;
      data[kept] = data[at] as number;
      data[kept + 1] = data[at + 1] as number;
      data[kept + 2] = data[at + 2] as number;
      kept += ENTRY;
    }
    this.changes += 1;
    const left = (kept - from) / ENTRY;
    this.entries -= (this.length[term] as number) - left;
    this.length[term] = left;
  }

  /** Moves a term's postings to a region of `capacity` entries (compacting the pool first when due and `compact`). */
  private relocate(term: number, capacity: number, compact = true): void {
    if (compact && this.pool.wasteful) this.compact();
    this.changes += 1;
    const start = this.pool.reserve(capacity * ENTRY);
    const from = this.start[term] as number;
    const data = this.pool.data;
    data.copyWithin(start, from, from + (this.length[term] as number) * ENTRY);
    this.pool.release((this.cap[term] as number) * ENTRY);
    this.start[term] = start;
    this.cap[term] = capacity;
  }

  /** Copies every term's postings into a fresh pool, leaving the garbage behind. */
  private compact(): void {
    const old = this.pool;
    const fresh = new IntPool(2 * (old.top - old.garbage));
    for (let term = 0; term < this.termOf.length; term++) {
      const used = this.length[term] as number;
      if (this.cap[term] === 0) continue;
      const start = fresh.reserve(Math.max(used, 1) * ENTRY);
      const from = this.start[term] as number;
      fresh.data.set(old.data.subarray(from, from + used * ENTRY), start);
      this.start[term] = start;
      this.cap[term] = Math.max(used, 1);
    }
    this.pool = fresh;
  }
}
