/**
 * Where each record of the in-memory index sits: its slot in a part of a group of a bucket of its
 * account (see groups.ts), and the lookups by id and by URI. The index's vectors and texts live
 * elsewhere (the arena, the full-text index) under the same slot numbers; this file owns only the
 * tree, the rows (columns by slot: rows.ts) and their bookkeeping, and counts the heap bytes they take.
 */
import { types } from 'node:util';
import { itemAt } from '../../errors.js';
import {
  childCount,
  childOf,
  eachChild,
  childrenBytes,
  withChild,
  withoutChild,
  type Children,
  type Keyed,
} from './children.js';
import {
  newBucket,
  newGroup,
  newPart,
  type Bucket,
  type Group,
  type GroupedFields,
  type Part,
  type Place,
} from './groups.js';
import { IdTable } from './ids.js';
import { unpackTree } from './placement-tree.js';
import { grow } from './pool.js';
import { RowStore, type MemoryRow } from './rows.js';
import { GROWN_ARRAY_BYTES, MAP_ENTRY_BYTES, ownCopy, SharedStrings } from './shared.js';
import { UriLists } from './uris.js';

/** What a JS array holds per element (a pointer). */
export const POINTER_BYTES = 8;
/** Heap bytes of a bucket, group or part: its object and its `known` object (children counted apart). */
const NODE_BYTES = 144;
/** A part's slots are a plain array up to this many, then an Int32Array (~200 bytes of objects). */
const ARRAY_SLOTS = 16;
/** Entries of a packed tree read per turn of the event loop when a snapshot is restored (~1–2 ms). */
const TURN_ENTRIES = 32_768;
/** Entries of a per-slot lookup made per turn when a snapshot is restored (a few milliseconds). */
const FILL_PER_TURN = 131_072;
/** A slot's phase during a commit in slices (see {@link Placement.phase}). */
const SHOWN = 0;
const NEW = 1;
const OLD = 2;
const DEAD = 3;

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
  private readonly byUri = new UriLists();
  private partOf: Array<Part | undefined> = [];
  private bucketOf: Array<Bucket | undefined> = [];
  private groupOf: Array<Group | undefined> = [];
  private posOf: Int32Array = new Int32Array(1024);
  /**
   * Per slot, while a commit in slices is under way ({@link MemoryIndex.commitInSlices}): NEW, one of
   * its records (matched from its switch on), OLD, one they replace (matched until then), DEAD, one
   * of them a later change superseded (never matched again); SHOWN otherwise. The switch is one flag.
   */
  private phase = new Uint8Array(1024);
  private committing = false;
  private switched = false;
  /** During a commit in slices: each of its slots that replaced one, with that slot. */
  private readonly replaced = new Map<number, number>();
  /** Its ids that named no slot before, not superseded (not counted in {@link size} before the switch). */
  private unshown = 0;
  /** The ids it removes ({@link retire}: still counted in {@link size} before the switch). */
  private retired = 0;
  /** Values rows share, and the tree's keys and roots. */
  private readonly shared = new SharedStrings();
  private readonly kept = new RowStore(this.shared);
  private readonly byId = new IdTable(this.kept);
  /** Buckets, groups and parts in existence, the bytes of their children and of the parts' slot lists. */
  private nodes = 0;
  private childBytes = 0;
  private partBytes = 0;
  private changes = 0;

  /**
   * Its fields as a snapshot writes them (snapshot-graph.ts): the tree as one Int32Array of shared
   * string ids and counts ({@link packTree}: written apart, raw, where its ~100k objects took most of
   * `graph.bin` at 1M and one synchronous step to revive), and each per-slot node lookup as nothing
   * but its length (rebuilt from the tree by {@link restored}).
   */
  snapshotFields(): Record<string, unknown> {
    return { ...this, accounts: this.packTree(), partOf: this.partOf.length, bucketOf: null, groupOf: null };
  }

  /**
   * Puts back what a snapshot does not keep as such: the tree and the per-slot node lookups, a few
   * thousand nodes per turn (`turn` resolves on the next turn of the event loop; `perTurn` entries
   * of the packed tree at most between two). Throws if the packed tree is malformed.
   */
  async restored(turn: () => Promise<void>, perTurn = TURN_ENTRIES): Promise<void> {
    const packed = this.accounts as unknown;
    const slots = this.partOf as unknown;
    if (!types.isInt32Array(packed) || typeof slots !== 'number' || !Number.isSafeInteger(slots)) {
      throw new Error('the placement tree is not packed');
    }
    await this.rebuild(packed, slots, turn, perTurn);
  }

  /**
   * Builds the tree's nodes again, in the order a filter walks them, as a restore does. Built record
   * by record over a load, they lie scattered among everything else the load allocated: a ROOT
   * filter's walk over 222k records took 1.6–2.1 ms after a load from the table against 0.3 after a
   * restore of the same tree (BENCHMARKS, stop 38). Same tree, same counts; the old one serves until
   * the new one is whole. Only while nothing changes the index (a load that has just finished).
   */
  async compact(turn: () => Promise<void>, perTurn = TURN_ENTRIES): Promise<void> {
    if (this.committing) throw new Error('the placement tree cannot be compacted during a commit');
    const changes = this.changes;
    await this.rebuild(this.packTree(), this.partOf.length, turn, perTurn);
    if (this.changes !== changes) throw new Error('the placement tree changed while it was compacted');
  }

  /** Rebuilds the tree and the per-slot node lookups from `packed`; replaces them once whole. */
  private async rebuild(
    packed: Int32Array,
    slots: number,
    turn: () => Promise<void>,
    perTurn: number,
  ): Promise<void> {
    if (slots < 0 || slots > 2 ** 30) throw new Error(`the placement tree has ${slots} slots`);
    const accounts = new Map<string, Children<Bucket>>();
    // Each made at its length (fast elements) on a turn of its own and filled a slice per turn:
    // appending a million entries each took ~0.15 s at 1M, making one ~20 ms.
    const partOf = new Array<Part | undefined>(slots);
    await turn();
    const bucketOf = new Array<Bucket | undefined>(slots);
    await turn();
    const groupOf = new Array<Group | undefined>(slots);
    for (let from = 0; from < slots; from += FILL_PER_TURN) {
      await turn();
      const to = Math.min(slots, from + FILL_PER_TURN);
      for (const lookup of [partOf, bucketOf, groupOf]) lookup.fill(undefined, from, to);
    }
    await unpackTree(packed, perTurn, turn, {
      string: (id) => this.shared.value(id),
      fields: (slot) => this.kept.fields(slot),
      place: (slot, part, group, bucket) => {
        if (slot < 0 || slot >= slots || partOf[slot] !== undefined) {
          throw new Error(`the placement tree places slot ${slot} wrongly`);
        }
        partOf[slot] = part;
        groupOf[slot] = group;
        bucketOf[slot] = bucket;
      },
      account: (name, buckets) => {
        if (accounts.has(name)) throw new Error(`the placement tree has account ${name} twice`);
        accounts.set(name, buckets);
      },
    });
    const self = this as unknown as {
      accounts: Map<string, Children<Bucket>>;
      partOf: Array<Part | undefined>;
      bucketOf: Array<Bucket | undefined>;
      groupOf: Array<Group | undefined>;
    };
    self.accounts = accounts;
    self.partOf = partOf;
    self.bucketOf = bucketOf;
    self.groupOf = groupOf;
  }

  /** The tree as {@link unpackTree} reads it; strings as their ids in {@link shared} (all are kept there). */
  private packTree(): Int32Array {
    const out: number[] = [];
    const id = (s: string): number => {
      const at = this.shared.idOf(s);
      if (at === undefined) throw new Error(`the placement tree holds a string not kept (${s})`);
      return at;
    };
    const children = <T extends Keyed>(holder: Children<T>, each: (child: T) => void): void => {
      out.push(holder instanceof Map ? 1 : 0, childCount(holder));
      for (const child of eachChild(holder)) each(child);
    };
    out.push(this.accounts.size);
    for (const [account, buckets] of this.accounts) {
      out.push(id(account));
      children(buckets, (bucket) => {
        out.push(id(bucket.key), id(bucket.root), bucket.size);
        children(bucket.groups, (group) => {
          out.push(id(group.key), id(group.root), group.size);
          children(group.parts, (part) => {
            if (part.count === 0) throw new Error('the placement tree holds an empty part');
            out.push(id(part.key), id(part.root), part.count, types.isInt32Array(part.slots) ? 1 : 0);
            out.push(part.slots.length);
            for (let i = 0; i < part.slots.length; i++) out.push(itemAt(part.slots, i));
          });
        });
      });
    }
    return Int32Array.from(out);
  }

  /** Bumped by every change of what a filter can match. */
  get version(): number {
    return this.changes;
  }

  /** Records a filter can match (an id of a commit in slices counts from its switch). */
  get size(): number {
    return this.committing && !this.switched ? this.byId.size - this.unshown + this.retired : this.byId.size;
  }

  /** Heap bytes of the tree, the rows and the lookups, counted from their lengths. */
  get bytes(): number {
    return (
      this.posOf.byteLength +
      this.phase.byteLength +
      this.replaced.size * MAP_ENTRY_BYTES +
      this.byUri.bytes +
      (this.partOf.length + this.bucketOf.length + this.groupOf.length) * GROWN_ARRAY_BYTES +
      this.byId.bytes +
      this.accounts.size * MAP_ENTRY_BYTES +
      this.kept.bytes +
      this.shared.bytes +
      this.nodes * NODE_BYTES +
      this.childBytes +
      this.partBytes
    );
  }

  has(id: string): boolean {
    return this.byId.get(id) !== undefined;
  }

  /** Whether a commit in slices is under way: a filter must then skip the slots {@link isHidden} names. */
  get hiding(): boolean {
    return this.committing;
  }

  /**
   * Whether no filter may match `slot` now: a slot of the commit under way before its switch, one it
   * replaces after, or one of it a later change superseded (see {@link MemoryIndex.commitInSlices}).
   */
  isHidden(slot: number): boolean {
    const phase = this.phase[slot];
    if (phase === NEW) return !this.switched;
    if (phase === OLD) return this.switched;
    return phase === DEAD;
  }

  /** The row in `slot` (which must hold one), made an object: a hit's. */
  row(slot: number): MemoryRow {
    return this.kept.row(slot);
  }

  /** The filter fields of the row in `slot`, in an object the next call rewrites. */
  fields(slot: number): GroupedFields {
    return this.kept.fields(slot);
  }

  /** The id of the row in `slot`. */
  id(slot: number): string {
    return this.kept.id(slot);
  }

  /** The ids of the rows in two slots, compared as strings are. */
  compareIds(a: number, b: number): number {
    return this.kept.compareIds(a, b);
  }

  /** The kept copy of a shared value if kept, else a copy of its own (for a key that outlives `s`). */
  known(s: string): string {
    const id = this.shared.idOf(s);
    return id === undefined ? ownCopy(s) : this.shared.value(id);
  }

  /**
   * Bytes storing a row will take: its columns and text; its id's entries (table at most half full,
   * hash), its slot's (tree pointers, position, URI links) and a URI entry if its URI is new.
   */
  cost(row: MemoryRow): number {
    const uri = this.shared.idOf(row.uri) === undefined ? MAP_ENTRY_BYTES : 0;
    return this.kept.cost(row) + 16 + 4 + 4 + 8 + 3 * GROWN_ARRAY_BYTES + uri;
  }

  /** Stores a row in `slot`, not linked yet: no lookup or filter sees it before {@link link}. */
  put(slot: number, row: MemoryRow): void {
    this.kept.put(slot, row);
  }

  /** Empties a slot {@link put} filled that will not be linked. */
  clear(slot: number): void {
    this.kept.clear(slot);
  }

  /**
   * Puts a slot holding a stored row ({@link put}) and its vector into its part, group and lookups:
   * `id` (the row's) names it from now on. Returns the slot `id` named before, if any (still
   * placed: the caller unlinks it, unless {@link supersede} says a commit in slices will).
   */
  link(slot: number, id: string, place: Place): number | undefined {
    this.place(slot, place);
    this.phase[slot] = SHOWN;
    return this.byId.set(id, slot);
  }

  /**
   * Starts a commit in slices (one at a time): the slots {@link linkHidden} links from now on are
   * hidden, those they replace shown, until {@link show}.
   */
  begin(): void {
    this.committing = true;
    this.switched = false;
    this.unshown = 0;
    this.retired = 0;
  }

  /**
   * {@link link} for a commit in slices: `id` names the slot at once (so a later change of the id
   * finds it), but no filter matches it before {@link show}; the slot `id` named before stays
   * matched until then, and is returned for the commit to unlink after.
   */
  linkHidden(slot: number, id: string, place: Place): number | undefined {
    this.place(slot, place);
    this.phase[slot] = NEW;
    const old = this.byId.set(id, slot);
    if (old === undefined) this.unshown += 1;
    else {
      this.phase[old] = OLD;
      this.replaced.set(slot, old);
    }
    return old;
  }

  /**
   * A removal that is part of a commit in slices: `id` names no slot from now on, but the slot it
   * named stays matched until {@link show}, and is returned for the commit to unlink after.
   */
  retire(id: string): number | undefined {
    const slot = this.byId.delete(id);
    if (slot === undefined) return undefined;
    this.phase[slot] = OLD;
    this.retired += 1;
    return slot;
  }

  /** The switch of a commit in slices, one step: its slots are matched, those they replace not. */
  show(): void {
    this.changes += 1;
    this.switched = true;
  }

  /**
   * A slot a later change took its id from (a removal, or a write of the same id): if it is one of
   * the commit in slices under way, it is hidden for good (and before the switch, so is the slot it
   * replaced) and the commit unlinks it; returns whether so. Else the caller unlinks it.
   */
  supersede(slot: number): boolean {
    if (!this.committing || this.phase[slot] !== NEW) return false;
    this.changes += 1;
    this.phase[slot] = DEAD;
    const old = this.replaced.get(slot);
    if (this.switched) return true;
    if (old === undefined) this.unshown -= 1;
    else this.phase[old] = DEAD;
    return true;
  }

  /**
   * After the switch: a slot of the commit becomes an ordinary one; false if a later change
   * superseded it (the commit unlinks it).
   */
  settle(slot: number): boolean {
    if (this.phase[slot] !== NEW) return false;
    this.phase[slot] = SHOWN;
    return true;
  }

  /** Ends a commit in slices (its slots settled or unlinked). */
  end(): void {
    this.committing = false;
    this.switched = false;
    this.replaced.clear();
  }

  /** Puts a slot into its part, group and URI lookup. */
  private place(slot: number, place: Place): void {
    this.changes += 1;
    const account = this.kept.account(slot);
    const buckets = this.accounts.get(account) ?? [];
    let bucket = childOf(buckets, place.bucketKey);
    if (bucket === undefined) {
      const fields = this.kept.fields(slot);
      bucket = newBucket(fields, this.shared.keep(place.bucketKey), this.shared.keep(place.groupRoot));
      this.accounts.set(account, this.added(buckets, bucket));
    }
    let group = childOf(bucket.groups, place.groupKey);
    if (group === undefined) {
      const fields = this.kept.fields(slot);
      group = newGroup(fields, this.shared.keep(place.groupKey), this.shared.keep(place.groupRoot));
      bucket.groups = this.added(bucket.groups, group);
    }
    let part = childOf(group.parts, place.partKey);
    if (part === undefined) {
      const fields = this.kept.fields(slot);
      part = newPart(fields, this.shared.keep(place.partKey), this.shared.keep(place.partRoot));
      group.parts = this.added(group.parts, part);
    }
    if (part.count === part.slots.length) {
      this.partBytes -= slotsBytes(part.slots);
      part.slots = grownSlots(part.slots, part.count, Math.max(1, part.count * 2));
      this.partBytes += slotsBytes(part.slots);
    }
    if (slot >= this.posOf.length) this.posOf = grow(this.posOf, Math.max(slot + 1, this.posOf.length * 2));
    // Appended up to the slot, never written past their end: the arena's slots come in blocks, and a
    // JS array written far past its end turns into a dictionary (~40 bytes an element, not 8–12).
    while (this.partOf.length <= slot) {
      this.partOf.push(undefined);
      this.bucketOf.push(undefined);
      this.groupOf.push(undefined);
    }
    part.slots[part.count] = slot;
    this.posOf[slot] = part.count;
    part.count += 1;
    group.size += 1;
    bucket.size += 1;
    this.partOf[slot] = part;
    this.bucketOf[slot] = bucket;
    this.groupOf[slot] = group;
    if (slot >= this.phase.length) {
      const bigger = new Uint8Array(Math.max(slot + 1, this.phase.length * 2));
      bigger.set(this.phase);
      this.phase = bigger;
    }
    this.byUri.add(this.kept.uriId(slot), slot);
  }

  /** Calls `visit` with each slot of `uri`, in the order they were placed. */
  forEachOfUri(uri: string, visit: (slot: number) => void): void {
    const id = this.shared.idOf(uri);
    if (id !== undefined) this.byUri.forEach(id, visit);
  }

  /** Forgets a record's id; its slot, returned, stays placed until {@link unlink}. */
  forget(id: string): number | undefined {
    return this.byId.delete(id);
  }

  /** Takes a slot out of its part, group and URI lookup (the id lookup is left to the caller). */
  unlink(slot: number): void {
    this.changes += 1;
    const part = itemAt(this.partOf, slot);
    const group = itemAt(this.groupOf, slot);
    const bucket = itemAt(this.bucketOf, slot);
    const account = this.kept.account(slot);
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
      const buckets = this.removed(this.accounts.get(account) ?? [], bucket);
      if (childCount(buckets) === 0) this.accounts.delete(account);
      else this.accounts.set(account, buckets);
    }
    this.byUri.remove(this.kept.uriId(slot), slot);
    this.phase[slot] = SHOWN;
    this.kept.clear(slot);
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
