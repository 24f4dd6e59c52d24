/**
 * Where each record of the in-memory index sits: its slot in a part of a group of a bucket of its
 * account (see groups.ts), and the lookups by id and by URI. The index's vectors and texts live
 * elsewhere (the arena, the full-text index) under the same slot numbers; this file owns only the
 * tree, the rows and their bookkeeping, and counts the heap bytes they take.
 */
import {
  newBucket,
  newGroup,
  newPart,
  placeOf,
  type Bucket,
  type Group,
  type Part,
  type Place,
} from './groups.js';
import { grow } from './pool.js';
import { MAP_ENTRY_BYTES, RowStore, type MemoryRow } from './rows.js';
import { UriLists } from './uris.js';

/** What a JS array holds per element (a pointer). */
export const POINTER_BYTES = 8;
/** Heap bytes of a bucket, group or part (object, its known fields, its map entry). */
const NODE_BYTES = 400;

export class Placement {
  /** Each account's buckets by key: the tree a filter is decided on. */
  readonly accounts = new Map<string, Map<string, Bucket>>();
  /** The slots of each URI (chunks, levels), O(1) to change whatever a file holds. */
  readonly byUri = new UriLists();
  private readonly byId = new Map<string, number>();
  private rows: Array<MemoryRow | undefined> = [];
  private partOf: Array<Part | undefined> = [];
  private bucketOf: Array<Bucket | undefined> = [];
  private groupOf: Array<Group | undefined> = [];
  private posOf: Int32Array = new Int32Array(1024);
  private readonly kept = new RowStore();
  /** Buckets, groups and parts in existence, and the bytes of the parts' slot lists. */
  private nodes = 0;
  private partBytes = 0;
  private changes = 0;

  /** Bumped by every change of what a filter can match. */
  get version(): number {
    return this.changes;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Heap bytes of the tree, the rows and the lookups, counted from their lengths. */
  get bytes(): number {
    return (
      this.posOf.byteLength +
      this.byUri.bytes +
      (this.rows.length + this.partOf.length + this.bucketOf.length + this.groupOf.length) * POINTER_BYTES +
      this.byId.size * MAP_ENTRY_BYTES +
      this.kept.bytes +
      this.nodes * NODE_BYTES +
      this.partBytes
    );
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  slotOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  /** The row in `slot` (which must hold one). */
  row(slot: number): MemoryRow {
    return this.rows[slot] as MemoryRow;
  }

  /**
   * The row as the index keeps it (values shared with the rows already kept); see
   * {@link RowStore.copy}.
   */
  copy(row: MemoryRow, batch: Map<string, string>): MemoryRow {
    return this.kept.copy(row, batch);
  }

  /** Bytes keeping a copied row will take (the row, its id entry and its per-slot entries). */
  cost(row: MemoryRow): number {
    return this.kept.cost(row) + MAP_ENTRY_BYTES + 8 * POINTER_BYTES;
  }

  /** Puts a slot holding a record's vector into its part, group and lookups (its id now names it). */
  link(slot: number, row: MemoryRow, place: Place): void {
    this.changes += 1;
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

  /** Forgets a record's id; its slot, returned, stays placed until {@link unlink}. */
  forget(id: string): number | undefined {
    const slot = this.byId.get(id);
    if (slot !== undefined) this.byId.delete(id);
    return slot;
  }

  /** Takes a slot out of its part, group and URI lookup (the id lookup is left to the caller). */
  unlink(slot: number): void {
    this.changes += 1;
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
  }

  /** Counts a new bucket, group or part in. */
  private node<T>(node: T): T {
    this.nodes += 1;
    return node;
  }
}
