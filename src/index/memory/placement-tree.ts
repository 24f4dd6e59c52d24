/**
 * The placement tree (groups.ts: an account's buckets, their groups, their parts and the parts'
 * slots) as a snapshot holds it: one Int32Array, in the tree's order, of
 *
 *   accounts, then per account: its name, its buckets;
 *   buckets, groups, parts: their form (0 an array, 1 a Map: children.ts), their number, then each
 *   bucket: key, root, size, its groups; group: key, root, size, its parts;
 *   part: key, root, count, its slots' form (0 an array, 1 an Int32Array), their length, the slots.
 *
 * Strings are ids of the index's shared strings (every key, root and account name is kept there);
 * a node's `known` fields are read again from the row of one of its slots (every record of a node
 * has the same, which is what the node's key says). A restore reads it {@link unpackTree} a few
 * thousand entries per turn of the event loop, where V8 deserializing ~100k node objects and their
 * `known` literals at 1M was one synchronous step of ~0.8 s.
 */
import {
  newBucket,
  newGroup,
  newPart,
  type Bucket,
  type Group,
  type GroupedFields,
  type Part,
} from './groups.js';
import type { Children, Keyed } from './children.js';

/** What rebuilding the tree needs from the index, and where it puts what it rebuilt. */
export interface TreeSink {
  /** The shared string of an id (throws if there is none). */
  string(id: number): string;
  /** The filter fields of the row in `slot` (throws if there is none). */
  fields(slot: number): GroupedFields;
  /** Records a slot's nodes. */
  place(slot: number, part: Part, group: Group, bucket: Bucket): void;
  /** Records an account's buckets. */
  account(name: string, buckets: Children<Bucket>): void;
}

/** Why a packed tree cannot be read (the snapshot is refused). */
export class PackedTreeError extends Error {}

/**
 * Rebuilds the tree `packed` holds into `sink`, awaiting `turn` each time `perTurn` entries more
 * were read. Throws PackedTreeError if it is malformed (cut short, too long, a count out of range).
 */
export async function unpackTree(
  packed: Int32Array,
  perTurn: number,
  turn: () => Promise<void>,
  sink: TreeSink,
): Promise<void> {
  let at = 0;
  let yielded = 0;
  const next = (): number => {
    if (at >= packed.length) throw new PackedTreeError('the packed tree is cut short');
    return packed[at++] as number;
  };
  const count = (): number => {
    const n = next();
    if (n < 0 || n > packed.length - at) throw new PackedTreeError(`a count of ${n}`);
    return n;
  };
  const pause = async (): Promise<void> => {
    if (at - yielded < perTurn) return;
    yielded = at;
    await turn();
  };
  /** Children in their form: an exact array, or a Map by key. */
  const holder = <T extends Keyed>(map: boolean, items: T[]): Children<T> =>
    map ? new Map(items.map((item) => [item.key, item])) : items;
  const items = async <T>(read: () => Promise<T> | T): Promise<{ map: boolean; items: T[] }> => {
    const form = next();
    if (form !== 0 && form !== 1) throw new PackedTreeError(`a children form ${form}`);
    const n = count();
    const list = new Array<T>(n);
    for (let i = 0; i < n; i++) list[i] = await read();
    return { map: form === 1, items: list };
  };
  const readPart = (): Part => {
    const key = sink.string(next());
    const root = sink.string(next());
    const used = count();
    const typed = next();
    const length = count();
    if ((typed !== 0 && typed !== 1) || used === 0 || used > length) {
      throw new PackedTreeError(`a part of ${used} slots in ${length}`);
    }
    // Arrays of this realm (a test's index may have been deserialized in another).
    const slots: Int32Array | number[] = typed === 1 ? new Int32Array(length) : new Array<number>(length);
    if (typed === 1) (slots as Int32Array).set(packed.subarray(at, at + length));
    else for (let i = 0; i < length; i++) slots[i] = packed[at + i] as number;
    at += length;
    const part = newPart(sink.fields(slots[0] as number), key, root);
    part.slots = slots;
    part.count = used;
    return part;
  };
  const readGroup = async (): Promise<Group> => {
    const key = sink.string(next());
    const root = sink.string(next());
    const size = next();
    const parts = await items(async () => {
      const part = readPart();
      await pause();
      return part;
    });
    const first = parts.items[0];
    if (first === undefined) throw new PackedTreeError('a group without parts');
    const group = newGroup(sink.fields(first.slots[0] as number), key, root);
    group.parts = holder(parts.map, parts.items);
    group.size = size;
    return group;
  };
  const readBucket = async (): Promise<Bucket> => {
    const key = sink.string(next());
    const root = sink.string(next());
    const size = next();
    const groups = await items(readGroup);
    const first = groups.items[0];
    const slot = first === undefined ? undefined : [...eachOf(first.parts)][0]?.slots[0];
    if (slot === undefined) throw new PackedTreeError('a bucket without groups');
    const bucket = newBucket(sink.fields(slot), key, root);
    bucket.groups = holder(groups.map, groups.items);
    bucket.size = size;
    let placed = 0;
    for (const group of groups.items) {
      let inGroup = 0;
      for (const part of eachOf(group.parts)) {
        for (let i = 0; i < part.count; i++) sink.place(part.slots[i] as number, part, group, bucket);
        inGroup += part.count;
      }
      if (inGroup !== group.size) throw new PackedTreeError(`a group of size ${group.size} holds ${inGroup}`);
      placed += inGroup;
    }
    if (placed !== size) throw new PackedTreeError(`a bucket of size ${size} holds ${placed}`);
    return bucket;
  };
  const accounts = count();
  for (let i = 0; i < accounts; i++) {
    const name = sink.string(next());
    const buckets = await items(readBucket);
    sink.account(name, holder(buckets.map, buckets.items));
  }
  if (at !== packed.length) throw new PackedTreeError(`${packed.length - at} entries past the tree`);
}

const eachOf = <T extends Keyed>(children: Children<T>): Iterable<T> =>
  children instanceof Map ? children.values() : children;
