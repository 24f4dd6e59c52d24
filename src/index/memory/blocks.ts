/**
 * Where the vector arena's rows live: slots handed out from blocks of linear memory, each block a
 * fixed range of slot ids with fixed addresses, in pools that keep rows scanned together side by
 * side. A row belongs to a group of an account (the index's groups: one owner's space). An account's
 * first {@link SHARED_UNTIL} records take slots of blocks shared by every account (thousands of
 * one-record tenants would otherwise hold a block each); past that, a group's first ones take the
 * account's own blocks (doubling, up to {@link MAX_BLOCK_SLOTS}), and past {@link SHARED_UNTIL} of
 * its own a group has blocks of its own (doubling, up to {@link GROUP_MAX_BLOCK_SLOTS}): a scan of
 * one user's groups reads streams, not rows scattered among every other user's of the account. A
 * freed slot returns to its pool; a pool left empty gives its blocks back, to be taken by any
 * account — memory freed by one tenant is reused by the next.
 */

import { grow } from './pool.js';
import { GROWN_ARRAY_BYTES, MAP_ENTRY_BYTES, stringBytes } from './shared.js';

/** Live records an account keeps in the shared blocks before it gets blocks of its own. */
export const SHARED_UNTIL = 16;
const FIRST_BLOCK_SLOTS = 16;
const MAX_BLOCK_SLOTS = 1024;
/**
 * The largest block of a group's own: a group's last block is part empty (there were 5,300 such
 * groups at 1M: blocks doubling up to {@link MAX_BLOCK_SLOTS} left 23% of the slots unused, ~120 MB),
 * and blocks of 16 (a jump between blocks every 16 rows) made the scans of every class slower.
 */
const GROUP_MAX_BLOCK_SLOTS = 256;
/** What a JS array holds per element (a pointer); one grown by appending has up to half as many spare. */
const POINTER_BYTES = 8;

interface Block {
  /** Byte address of the block's rows. */
  readonly base: number;
  /** Its slot ids: first .. first + size - 1. */
  readonly first: number;
  readonly size: number;
}

interface Pool {
  /** The largest of its blocks (they double from {@link FIRST_BLOCK_SLOTS}: the shared pool's do not). */
  readonly maxBlockSlots: number;
  readonly free: number[];
  readonly blocks: Block[];
  /** Slots handed out of the last block. */
  used: number;
  live: number;
}

/** An account, or a group of one (its `account`): its live rows and its pool once it has one. */
interface Owner {
  readonly name: string;
  readonly account: Owner | null;
  live: number;
  pool: Pool | null;
}

const newPool = (maxBlockSlots: number): Pool => ({ maxBlockSlots, free: [], blocks: [], used: 0, live: 0 });

/** Heap bytes of an owner's object: a header of three pointers and its four fields. */
const OWNER_OBJECT_BYTES = 56;

/**
 * Heap bytes of an owner: its object and map entry, and a group's name (an account's is the index's
 * kept copy, counted there).
 */
const ownerBytes = (owner: Owner): number =>
  OWNER_OBJECT_BYTES + MAP_ENTRY_BYTES + (owner.account === null ? 0 : stringBytes(owner.name));

export class SlotBlocks {
  /** Per slot: the byte address of its row. */
  addr: Int32Array = new Int32Array(MAX_BLOCK_SLOTS);
  private poolOf: Array<Pool | undefined> = [];
  private ownerOf: Array<Owner | undefined> = [];
  private readonly owners = new Map<string, Owner>();
  private readonly shared = newPool(MAX_BLOCK_SLOTS);
  /** Blocks given back, by size. */
  private readonly spare = new Map<number, Block[]>();
  private slots = 0;
  /** Entries of the pools' free lists (kept, so {@link bytes} is O(1) with thousands of pools). */
  private freeEntries = 0;
  /** Heap bytes of the owners and their map entries. */
  private ownerBytes = 0;

  /**
   * @param reserve bump-allocates bytes of linear memory (throws past the budget)
   * @param rowBytes bytes of a row
   */
  constructor(
    private readonly reserve: (bytes: number) => number,
    private readonly rowBytes: number,
  ) {}

  /** Slot ids handed out by blocks so far (every per-slot array needs this many entries). */
  get capacity(): number {
    return this.slots;
  }

  /** Bytes of the bookkeeping outside linear memory (the blocks themselves are in the arena's). */
  get bytes(): number {
    return (
      this.addr.byteLength +
      (this.poolOf.length + this.ownerOf.length) * GROWN_ARRAY_BYTES +
      this.freeEntries * POINTER_BYTES +
      this.ownerBytes
    );
  }

  /**
   * A slot for one more row of `group` (a name of its own) of account `account` (the account's
   * own pool when `group` is the account). Throws (the reserve's error) past the budget.
   */
  alloc(account: string, group = account): number {
    const outer = this.owner(account, null);
    // A row in the shared blocks is the account's alone: no group owner for a one-record tenant.
    const inner = group === account || outer.live < SHARED_UNTIL ? outer : this.owner(group, outer);
    // Whose pool the row goes to: none (the shared one), the account's or the group's.
    const holder = outer.live < SHARED_UNTIL ? null : inner.live < SHARED_UNTIL ? outer : inner;
    const pool =
      holder === null
        ? this.shared
        : (holder.pool ?? newPool(holder.account === null ? MAX_BLOCK_SLOTS : GROUP_MAX_BLOCK_SLOTS));
    let slot: number;
    try {
      slot = this.take(pool);
    } catch (error) {
      for (const o of [inner, outer]) if (o.live === 0) this.forget(o);
      throw error;
    }
    if (holder !== null) holder.pool = pool;
    outer.live += 1;
    if (inner !== outer) inner.live += 1;
    pool.live += 1;
    this.poolOf[slot] = pool;
    this.ownerOf[slot] = inner;
    return slot;
  }

  /** Gives a slot back (nothing if it is not handed out). */
  free(slot: number): void {
    const pool = this.poolOf[slot];
    const owner = this.ownerOf[slot];
    if (pool === undefined || owner === undefined) return;
    this.poolOf[slot] = undefined;
    this.ownerOf[slot] = undefined;
    pool.live -= 1;
    pool.free.push(slot);
    this.freeEntries += 1;
    if (pool.live === 0 && pool !== this.shared) {
      this.freeEntries -= pool.free.length;
      for (const block of pool.blocks) this.spareOf(block.size).push(block);
      if (owner.pool === pool) owner.pool = null;
      else if (owner.account?.pool === pool) owner.account.pool = null;
    }
    for (let o: Owner | null = owner; o !== null; o = o.account) {
      o.live -= 1;
      if (o.live === 0) this.forget(o);
    }
  }

  private forget(owner: Owner): void {
    if (this.owners.delete(owner.name)) this.ownerBytes -= ownerBytes(owner);
  }

  /** The owner named `name` (an account when `account` is null), made when it has no live row. */
  private owner(name: string, account: Owner | null): Owner {
    let owner = this.owners.get(name);
    if (owner === undefined) {
      owner = { name, account, live: 0, pool: null };
      this.owners.set(name, owner);
      this.ownerBytes += ownerBytes(owner);
    }
    return owner;
  }

  private take(pool: Pool): number {
    const reused = pool.free.pop();
    if (reused !== undefined) {
      this.freeEntries -= 1;
      return reused;
    }
    let block = pool.blocks.at(-1);
    if (block === undefined || pool.used === block.size) {
      const size =
        pool === this.shared
          ? MAX_BLOCK_SLOTS
          : Math.min(Math.max((block?.size ?? 0) * 2, FIRST_BLOCK_SLOTS), pool.maxBlockSlots);
      block = this.spareOf(size).pop() ?? this.newBlock(size);
      pool.blocks.push(block);
      pool.used = 0;
    }
    const slot = block.first + pool.used;
    pool.used += 1;
    return slot;
  }

  private spareOf(size: number): Block[] {
    let blocks = this.spare.get(size);
    if (blocks === undefined) this.spare.set(size, (blocks = []));
    return blocks;
  }

  /** A block of `size` fresh slots (one reservation: a failure leaves nothing). */
  private newBlock(size: number): Block {
    const base = this.reserve(size * this.rowBytes);
    const block = { base, first: this.slots, size };
    this.slots += size;
    if (this.slots > this.addr.length)
      this.addr = grow(this.addr, Math.max(this.slots, this.addr.length * 2));
    for (let i = 0; i < size; i++) this.addr[block.first + i] = block.base + i * this.rowBytes;
    return block;
  }
}
