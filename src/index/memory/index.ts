/**
 * The in-memory index: a copy of the records table's filter fields, hit fields and unit vectors,
 * grouped by namespace, that answers filtered nearest-neighbour queries exactly. A query visits only
 * the groups its filter can match (decided by partial evaluation of the very filter LanceDB would
 * get), scores their vectors with the SIMD kernel and keeps the best k — the same answer as an exact
 * LanceDB search, without reading the rows of other namespaces. LanceDB stays the store of record;
 * the store keeps this copy in step with every write.
 */
import { decide, evaluate, uriCandidates, type Expr } from '../../policy/index.js';
import { ArenaFullError, VectorArena } from './arena.js';
import { FullTextIndex, type Analyzed } from './fulltext.js';
import { grow } from './pool.js';
import {
  newBucket,
  newGroup,
  newPart,
  PlaceCache,
  placeOf,
  type Bucket,
  type Group,
  type Part,
  type Place,
} from './groups.js';
import { SlotSorter } from './sort.js';
import { MAP_ENTRY_BYTES, RowStore, type MemoryRow } from './rows.js';
import { UriLists } from './uris.js';

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
 * Bytes of a full-text entry: 3 ints in the postings, 2 in the record's term list, in pools that
 * grow by doubling and keep relocated regions until compacted, plus the words' dictionary. The
 * full-text index does not report its own bytes; 53 were measured per entry (bytes.test.ts).
 */
const POSTING_BYTES = 60;
/** Full-text bytes per slot: generation, length, term-list start and count, presence, score. */
const TEXT_SLOT_BYTES = 25;
/** What a JS array holds per element (a pointer). */
const POINTER_BYTES = 8;
/** Heap bytes of a bucket, group or part (object, its known fields, its map entry). */
const NODE_BYTES = 400;

export class MemoryIndex {
  private readonly accounts = new Map<string, Map<string, Bucket>>();
  private readonly byId = new Map<string, number>();
  /** The slots of each URI (chunks, levels), O(1) to change whatever a file holds. */
  private readonly byUri = new UriLists();
  private rows: Array<MemoryRow | undefined> = [];
  private partOf: Array<Part | undefined> = [];
  private bucketOf: Array<Bucket | undefined> = [];
  private groupOf: Array<Group | undefined> = [];
  private posOf: Int32Array = new Int32Array(1024);
  private readonly kept = new RowStore();
  /** Buckets, groups and parts in existence, and the bytes of the parts' slot lists. */
  private nodes = 0;
  private partBytes = 0;
  private readonly text = new FullTextIndex();
  /** Bumped by every change of what a filter can match. */
  private version = 0;
  /**
   * The filter whose matching slots `collected` holds, while nothing changed since: both paths of a
   * hybrid search ask for the same filter (the same frozen expression), the second one reuses them.
   * Only {@link gather} writes `collected`; a scan may sort it in place, which keeps the same slots.
   */
  private last: { readonly filter: Expr; readonly version: number; readonly count: number } | null = null;
  private collected: Int32Array = new Int32Array(1024);
  private readonly sorter = new SlotSorter();

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
    return this.byId.size;
  }

  /**
   * Bytes the index holds: the linear memory (vectors, int8 copies, scratch) and, counted from
   * their lengths, the typed arrays, per-slot arrays, rows, strings and maps outside it; the
   * full-text index's from its entry and slot counts.
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
    const slots = this.arena.capacity;
    return (
      this.arena.heldBytes -
      this.arena.bytes +
      this.posOf.byteLength +
      this.collected.byteLength +
      this.sorter.bytes +
      this.byUri.bytes +
      (this.rows.length + this.partOf.length + this.bucketOf.length + this.groupOf.length) * POINTER_BYTES +
      this.byId.size * MAP_ENTRY_BYTES +
      this.kept.bytes +
      this.nodes * NODE_BYTES +
      this.partBytes +
      this.text.size * POSTING_BYTES +
      slots * TEXT_SLOT_BYTES
    );
  }

  has(id: string): boolean {
    return this.byId.has(id);
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
    const copies = rows.map((row) => this.kept.copy(row, batch));
    const text = this.text.analyze(texts);
    let cost = (text.terms.length / 2) * POSTING_BYTES;
    for (const row of copies) cost += this.kept.cost(row) + MAP_ENTRY_BYTES + 8 * POINTER_BYTES;
    if (this.bytes + cost > this.budgetBytes) {
      this.forget(text);
      throw new ArenaFullError(this.budgetBytes);
    }
    const slots = new Int32Array(rows.length);
    let done = 0;
    try {
      for (; done < rows.length; done++) {
        const slot = this.arena.alloc((copies[done] as MemoryRow).account_id);
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
        const row = rows[i] as MemoryRow;
        const slot = slots[i] as number;
        const old = this.byId.get(row.id);
        this.link(slot, row, places[i] as Place);
        // Added before the old text goes, so words both share are never forgotten in between.
        this.text.add(slot, text, i);
        if (old !== undefined) this.unlink(old);
      }
    }
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

  /** Puts a slot holding a record's vector into its part, group and lookups. */
  private link(slot: number, row: MemoryRow, place: Place): void {
    this.version += 1;
    let buckets = this.accounts.get(row.account_id);
    if (buckets === undefined) this.accounts.set(row.account_id, (buckets = new Map<string, Bucket>()));
    let bucket = buckets.get(place.bucketKey);
    if (bucket === undefined)
      buckets.set(place.bucketKey, (bucket = this.node(newBucket(row, place.groupRoot))));
    let group = bucket.groups.get(place.groupKey);
    if (group === undefined)
      bucket.groups.set(place.groupKey, (group = this.node(newGroup(row, place.groupRoot))));
    let part = group.parts.get(place.partKey);
    if (part === undefined) {
      group.parts.set(place.partKey, (part = this.node(newPart(group, row, place.partRoot))));
      this.partBytes += part.slots.byteLength;
    }
    if (part.count === part.slots.length) {
      this.partBytes -= part.slots.byteLength;
      part.slots = grow(part.slots, part.count * 2);
      this.partBytes += part.slots.byteLength;
    }
    if (slot >= this.posOf.length) this.posOf = grow(this.posOf, Math.max(slot + 1, this.posOf.length * 2));
    part.slots[part.count] = slot;
    this.posOf[slot] = part.count;
    part.count += 1;
    group.size += 1;
    bucket.size += 1;
    this.rows[slot] = row;
    this.partOf[slot] = part;
    this.bucketOf[slot] = bucket;
    this.groupOf[slot] = group;
    this.byId.set(row.id, slot);
    this.byUri.add(row.uri, slot);
    this.kept.hold(row);
  }

  /** Counts a new bucket, group or part in. */
  private node<T>(node: T): T {
    this.nodes += 1;
    return node;
  }

  /** Removes a record by id (nothing if absent). */
  remove(id: string): void {
    const slot = this.byId.get(id);
    if (slot === undefined) return;
    this.byId.delete(id);
    this.unlink(slot);
    this.text.settle();
  }

  /** Takes a slot out of its part, group, URI lookup and the full-text index, and frees it. */
  private unlink(slot: number): void {
    this.version += 1;
    const part = this.partOf[slot] as Part;
    const group = this.groupOf[slot] as Group;
    const bucket = this.bucketOf[slot] as Bucket;
    const row = this.rows[slot] as MemoryRow;
    // Swap-remove: the part's last slot takes the removed one's position.
    const pos = this.posOf[slot] as number;
    const last = part.slots[part.count - 1] as number;
    part.slots[pos] = last;
    this.posOf[last] = pos;
    part.count -= 1;
    group.size -= 1;
    bucket.size -= 1;
    const place = placeOf(row);
    if (part.count === 0) {
      group.parts.delete(place.partKey);
      this.partBytes -= part.slots.byteLength;
      this.nodes -= 1;
    }
    if (group.size === 0) {
      bucket.groups.delete(place.groupKey);
      this.nodes -= 1;
    }
    if (bucket.size === 0) {
      const buckets = this.accounts.get(row.account_id);
      buckets?.delete(place.bucketKey);
      this.nodes -= 1;
      if (buckets?.size === 0) this.accounts.delete(row.account_id);
    }
    this.byUri.remove(row.uri, slot);
    this.kept.release(row);
    this.rows[slot] = undefined;
    this.partOf[slot] = undefined;
    this.bucketOf[slot] = undefined;
    this.groupOf[slot] = undefined;
    this.text.remove(slot);
    this.arena.free(slot);
  }

  /** Ids of the records matching a filter. */
  matchIds(filter: Expr): string[] {
    const n = this.collect(filter);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((this.rows[this.collected[i] as number] as MemoryRow).id);
    return ids;
  }

  /** Number of records matching a filter. */
  count(filter: Expr): number {
    return this.collect(filter);
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
    const n = this.collect(filter);
    const filtered = performance.now();
    const quantized = quantize(n);
    // Slots in allocation order are in address order within each account's pool: sorted, a large
    // scan streams through memory instead of hopping between the parts of a group (3× slower at 1M).
    if (n >= SORT_FROM) this.sorter.sort(this.collected, n);
    const best = n > 0 && k > 0 ? this.arena.nearest(this.collected, n, vector, k, quantized) : [];
    const hits = best.map(({ index, score }) => ({
      row: this.rows[this.collected[index] as number] as MemoryRow,
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
    const n = this.collect(filter);
    const id = (slot: number): string => (this.rows[slot] as MemoryRow).id;
    const tie = (a: number, b: number): number => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
    return this.text
      .search(query, k, this.collected, n, 'auto', tie)
      .map(({ slot, score }) => ({ row: this.rows[slot] as MemoryRow, score }));
  }

  /** Collects the slots matching `filter` into `this.collected`; returns how many. */
  private collect(filter: Expr): number {
    const last = this.last;
    if (last !== null && last.filter === filter && last.version === this.version) return last.count;
    const n = this.gather(filter);
    this.last = { filter, version: this.version, count: n };
    return n;
  }

  /** Finds the slots matching `filter` (into `this.collected`); returns how many. */
  private gather(filter: Expr): number {
    let n = 0;
    const add = (slot: number): void => {
      if (n === this.collected.length) this.collected = grow(this.collected, n * 2);
      this.collected[n++] = slot;
    };
    const addPart = (part: Part): void => {
      if (n + part.count > this.collected.length)
        this.collected = grow(this.collected, Math.max(n + part.count, this.collected.length * 2));
      this.collected.set(part.slots.subarray(0, part.count), n);
      n += part.count;
    };
    const uris = uriCandidates(filter);
    if (uris !== null) {
      // Only records with these URIs can match: look them up instead of visiting groups.
      for (const uri of new Set(uris))
        this.byUri.forEach(uri, (slot) => {
          if (evaluate(filter, this.rows[slot] as MemoryRow)) add(slot);
        });
      return n;
    }
    for (const [account_id, buckets] of this.accounts) {
      if (decide(filter, { account_id }) === false) continue;
      for (const bucket of buckets.values()) {
        // A bucket of one group is decided with the group's fields alone (one decision, not two).
        const b = bucket.groups.size > 1 ? decide(filter, bucket.known, bucket.root) : null;
        if (b === false) continue;
        for (const group of bucket.groups.values()) {
          const g = b ?? decide(filter, group.known, group.root);
          if (g === false) continue;
          for (const part of group.parts.values()) {
            const p = g ?? decide(filter, part.known, part.root);
            if (p === false) continue;
            if (p === true) {
              addPart(part);
              continue;
            }
            for (let i = 0; i < part.count; i++) {
              const slot = part.slots[i] as number;
              if (evaluate(filter, this.rows[slot] as MemoryRow)) add(slot);
            }
          }
        }
      }
    }
    return n;
  }
}
