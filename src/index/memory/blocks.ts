/**
 * Where the vector arena's rows live: slots handed out from blocks of linear memory, each block a
 * fixed range of slot ids with fixed addresses. An account's first {@link SHARED_UNTIL} records take
 * slots of blocks shared by every account (thousands of one-record tenants would otherwise hold a
 * block each); past that, its own blocks (doubling, up to {@link MAX_BLOCK_SLOTS}) keep its vectors
 * together so its scans read streams. A freed slot returns to its pool; a pool left empty gives its
 * blocks back, to be taken by any account — memory freed by one tenant is reused by the next.
 */

import { grow } from './pool.js';
import { GROWN_ARRAY_BYTES } from './shared.js';

/** Live records an account keeps in the shared blocks before it gets blocks of its own. */
export const SHARED_UNTIL = 16;
const FIRST_BLOCK_SLOTS = 16;
const MAX_BLOCK_SLOTS = 1024;
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
  readonly free: number[];
  readonly blocks: Block[];
  /** Slots handed out of the last block. */
  used: number;
  live: number;
}

interface Owner {
  readonly name: string;
  live: number;
  pool: Pool | null;
}

const newPool = (): Pool => ({ free: [], blocks: [], used: 0, live: 0 });

export class SlotBlocks {
  /** Per slot: the byte address of its row. */
  addr: Int32Array = new Int32Array(MAX_BLOCK_SLOTS);
  private poolOf: Array<Pool | undefined> = [];
  private ownerOf: Array<Owner | undefined> = [];
  private readonly owners = new Map<string, Owner>();
  private readonly shared = newPool();
  /** Blocks given back, by size. */
  private readonly spare = new Map<number, Block[]>();
  private slots = 0;
  /** Entries of the pools' free lists (kept, so {@link bytes} is O(1) with thousands of pools). */
  private freeEntries = 0;

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
      this.owners.size * 96
    );
  }

  /** A slot for one more row of account `name`. Throws (the reserve's error) past the budget. */
  alloc(name: string): number {
    const owner = this.owners.get(name) ?? { name, live: 0, pool: null };
    const pool = owner.live < SHARED_UNTIL ? this.shared : (owner.pool ?? newPool());
    const slot = this.take(pool, pool === this.shared);
    if (pool !== this.shared) owner.pool = pool;
    this.owners.set(name, owner);
    owner.live += 1;
    pool.live += 1;
    this.poolOf[slot] = pool;
    this.ownerOf[slot] = owner;
    return slot;
  }

  /** Gives a slot back (nothing if it is not handed out). */
  free(slot: number): void {
    const pool = this.poolOf[slot];
    const owner = this.ownerOf[slot];
    if (pool === undefined || owner === undefined) return;
    this.poolOf[slot] = undefined;
    this.ownerOf[slot] = undefined;
    owner.live -= 1;
    pool.live -= 1;
    pool.free.push(slot);
    this.freeEntries += 1;
    if (pool.live === 0 && pool !== this.shared) {
      this.freeEntries -= pool.free.length;
      for (const block of pool.blocks) this.spareOf(block.size).push(block);
      owner.pool = null;
    }
    if (owner.live === 0) this.owners.delete(owner.name);
  }

  private take(pool: Pool, shared: boolean): number {
    const reused = pool.free.pop();
    if (reused !== undefined) {
      this.freeEntries -= 1;
      return reused;
    }
    let block = pool.blocks.at(-1);
    if (block === undefined || pool.used === block.size) {
      const size = shared
        ? MAX_BLOCK_SLOTS
        : Math.min(Math.max((block?.size ?? 0) * 2, FIRST_BLOCK_SLOTS), MAX_BLOCK_SLOTS);
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
