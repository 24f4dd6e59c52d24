/**
 * Where each record of the in-memory index sits: its slot in a part of a group of a bucket of its
 * account (see groups.ts), and the lookups by id and by URI. The index's vectors and texts live
 * elsewhere (the arena, the full-text index) under the same slot numbers; this file owns only the
 * tree, the rows and their bookkeeping, and counts the heap bytes they take.
 */
import { itemAt } from '../../errors.js';
import {
  childCount,
  childOf,
  childrenBytes,
  withChild,
  withoutChild,
  type Children,
  type Keyed,
} from './children.js';
import { newBucket, newGroup, newPart, type Bucket, type Group, type Part, type Place } from './groups.js';
import { grow } from './pool.js';
import { RowStore, type MemoryRow } from './rows.js';
import { GROWN_ARRAY_BYTES, MAP_ENTRY_BYTES, SharedStrings } from './shared.js';
import { UriLists } from './uris.js';

/** What a JS array holds per element (a pointer). */
export const POINTER_BYTES = 8;
/** Heap bytes of a bucket, group or part: its object and its `known` object (children counted apart). */
const NODE_BYTES = 144;
/** A part's slots are a plain array up to this many, then an Int32Array (~200 bytes of objects). */
const ARRAY_SLOTS = 16;

/** Heap bytes of a part's slot list. */
function slotsBytes(slots: Part['slots']): number {
  return slots instanceof Int32Array ? 200 + slots.byteLength : 48 + slots.length * POINTER_BYTES;
}

/** A part's slot list with room for `size` slots (its first `count` kept). */
function grownSlots(slots: Part['slots'], count: number, size: number): Part['slots'] {
  if (size > ARRAY_SLOTS) return grow(slots instanceof Int32Array ? slots : Int32Array.from(slots), size);
  const bigger = new Array<number>(size).fill(-1);
  for (let i = 0; i < count; i++) bigger[i] = itemAt(slots, i);
  return bigger;
}

export class Placement {
  /** Each account's buckets: the tree a filter is decided on. */
  readonly accounts = new Map<string, Children<Bucket>>();
  /** The slots of each URI (chunks, levels), O(1) to change whatever a file holds. */
  readonly byUri = new UriLists();
  private readonly byId = new Map<string, number>();
  private rows: Array<MemoryRow | undefined> = [];
  private partOf: Array<Part | undefined> = [];
  private bucketOf: Array<Bucket | undefined> = [];
  private groupOf: Array<Group | undefined> = [];
  private posOf: Int32Array = new Int32Array(1024);
  /**
   * Per slot: 1 while it is placed but no filter may match it — a record of a commit in slices not
   * shown yet, or one it replaced, not taken out yet (see {@link MemoryIndex.commitInSlices}).
   */
  private hidden = new Uint8Array(1024);
  private hiddenCount = 0;
  /** Values rows share, and the tree's keys and roots. */
  private readonly shared = new SharedStrings();
  private readonly kept = new RowStore(this.shared);
  /** Buckets, groups and parts in existence, the bytes of their children and of the parts' slot lists. */
  private nodes = 0;
  private childBytes = 0;
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
      this.hidden.byteLength +
      this.byUri.bytes +
      (this.rows.length + this.partOf.length + this.bucketOf.length + this.groupOf.length) *
        GROWN_ARRAY_BYTES +
      (this.byId.size + this.accounts.size) * MAP_ENTRY_BYTES +
      this.kept.bytes +
      this.shared.bytes +
      this.nodes * NODE_BYTES +
      this.childBytes +
      this.partBytes
    );
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  slotOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  /** Whether some placed slot is hidden (a filter must then skip those {@link isHidden} says). */
  get hiding(): boolean {
    return this.hiddenCount > 0;
  }

  isHidden(slot: number): boolean {
    return this.hidden[slot] === 1;
  }

  /** The row in `slot` (which must hold one). */
  row(slot: number): MemoryRow {
    return itemAt(this.rows, slot);
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
    return this.kept.cost(row) + MAP_ENTRY_BYTES + 8 * GROWN_ARRAY_BYTES;
  }

  /**
   * Puts a slot holding a record's vector into its part, group and lookups; its id now names it,
   * unless `hidden`: then no filter matches it and its id keeps naming the slot it named (if any)
   * until {@link reveal}.
   */
  link(slot: number, row: MemoryRow, place: Place, hidden = false): void {
    this.changes += 1;
    const buckets = this.accounts.get(row.account_id) ?? [];
    let bucket = childOf(buckets, place.bucketKey);
    if (bucket === undefined) {
      bucket = newBucket(row, this.shared.keep(place.bucketKey), this.shared.keep(place.groupRoot));
      this.accounts.set(row.account_id, this.added(buckets, bucket));
    }
    let group = childOf(bucket.groups, place.groupKey);
    if (group === undefined) {
      group = newGroup(row, this.shared.keep(place.groupKey), this.shared.keep(place.groupRoot));
      bucket.groups = this.added(bucket.groups, group);
    }
    let part = childOf(group.parts, place.partKey);
    if (part === undefined) {
      part = newPart(row, this.shared.keep(place.partKey), this.shared.keep(place.partRoot));
      group.parts = this.added(group.parts, part);
    }
    if (part.count === part.slots.length) {
      this.partBytes -= slotsBytes(part.slots);
      part.slots = grownSlots(part.slots, part.count, Math.max(1, part.count * 2));
      this.partBytes += slotsBytes(part.slots);
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
    if (slot >= this.hidden.length) {
      const bigger = new Uint8Array(Math.max(slot + 1, this.hidden.length * 2));
      bigger.set(this.hidden);
      this.hidden = bigger;
    }
    if (hidden) {
      this.hidden[slot] = 1;
      this.hiddenCount += 1;
    } else this.byId.set(row.id, slot);
    this.byUri.add(row.uri, slot);
    this.kept.hold(row);
  }

  /**
   * Shows a slot {@link link}ed hidden: its id names it from now on. The slot the id named before
   * (returned) is hidden in the same step, placed until {@link unlink}.
   */
  reveal(slot: number, row: MemoryRow): number | undefined {
    this.changes += 1;
    const old = this.byId.get(row.id);
    this.byId.set(row.id, slot);
    this.hidden[slot] = 0;
    if (old === undefined) this.hiddenCount -= 1;
    else this.hidden[old] = 1;
    return old;
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
    const part = itemAt(this.partOf, slot);
    const group = itemAt(this.groupOf, slot);
    const bucket = itemAt(this.bucketOf, slot);
    const row = itemAt(this.rows, slot);
    // Swap-remove: the part's last slot takes the removed one's position.
    const pos = this.posOf[slot] as number;
    const last = itemAt(part.slots, part.count - 1);
    part.slots[pos] = last;
    this.posOf[last] = pos;
    part.count -= 1;
    group.size -= 1;
    bucket.size -= 1;
    if (part.count === 0) {
      group.parts = this.removed(group.parts, part);
      this.partBytes -= slotsBytes(part.slots);
    }
    if (group.size === 0) bucket.groups = this.removed(bucket.groups, group);
    if (bucket.size === 0) {
      const buckets = this.removed(this.accounts.get(row.account_id) ?? [], bucket);
      if (childCount(buckets) === 0) this.accounts.delete(row.account_id);
      else this.accounts.set(row.account_id, buckets);
    }
    this.byUri.remove(row.uri, slot);
    if (this.hidden[slot] === 1) {
      this.hidden[slot] = 0;
      this.hiddenCount -= 1;
    }
    this.kept.release(row);
    this.rows[slot] = undefined;
    this.partOf[slot] = undefined;
    this.bucketOf[slot] = undefined;
    this.groupOf[slot] = undefined;
  }

  /** `children` with a new node added, counted in. */
  private added<T extends Keyed>(children: Children<T>, node: T): Children<T> {
    this.nodes += 1;
    const before = childrenBytes(children);
    const after = withChild(children, node);
    this.childBytes += childrenBytes(after) - before;
    return after;
  }

  /** `children` without a node, counted out with its shared key and root. */
  private removed<T extends Keyed & { readonly root: string }>(children: Children<T>, node: T): Children<T> {
    this.nodes -= 1;
    const before = childrenBytes(children);
    const after = withoutChild(children, node.key);
    this.childBytes += childrenBytes(after) - before;
    this.shared.release(node.key);
    this.shared.release(node.root);
    return after;
  }
}
