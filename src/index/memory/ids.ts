/**
 * A lookup from a string to the small integer naming it, where the owner keeps the strings by
 * integer: record ids → slots (the row store's ids, texts.ts), shared values → their ids
 * (shared.ts), terms → term ids (postings.ts). An open-addressing hash table of the integers in one
 * Int32Array (linear probing, deletion by shifting back), with each integer's hash kept beside it;
 * a candidate is checked against the owner's string, so the table holds no strings.
 *
 * A Map<string, number> took ~50 bytes an entry; this takes 8–16 bytes a key and 4 an integer. And
 * it is typed arrays only: a snapshot writes and restores them raw, where a restored Map of a million
 * entries was rebuilt entry by entry, with steps of 0.1–0.35 s each time V8 doubled its table.
 */
import { grow } from './pool.js';

const EMPTY = -1;
const MIN_SIZE = 1024;

/** 32-bit FNV-1a of the string's UTF-16 code units, mixed so the low bits spread. */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * Heap bytes an entry takes at most: 4–16 in the table (between a quarter and half full) and 4–8 in
 * the hashes (grown by doubling).
 */
export const ID_ENTRY_BYTES = 24;

/**
 * Who keeps a table's strings. An object, not a function: a snapshot keeps references between the
 * index's class instances (snapshot-graph.ts), not functions.
 */
export interface KeyOwner {
  /** Whether the string `n` names is `key`. */
  keyIs(n: number, key: string): boolean;
}

export class IdTable {
  private table: Int32Array = new Int32Array(MIN_SIZE).fill(EMPTY);
  /** Per integer: the hash of its string. */
  private hashes: Int32Array = new Int32Array(MIN_SIZE);
  private count = 0;

  constructor(private readonly owner: KeyOwner) {}

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.table.byteLength + this.hashes.byteLength;
  }

  /** The slot of `id`, if any. */
  get(id: string): number | undefined {
    const at = this.find(id, idHash(id));
    return at < 0 ? undefined : this.table[at];
  }

  /** Makes `id` name `slot`; returns the slot it named before, if any. */
  set(id: string, slot: number): number | undefined {
    const hash = idHash(id);
    if (slot >= this.hashes.length)
      this.hashes = grow(this.hashes, Math.max(slot + 1, 2 * this.hashes.length));
    this.hashes[slot] = hash;
    const at = this.find(id, hash);
    if (at >= 0) {
      const old = this.table[at];
      this.table[at] = slot;
      return old;
    }
    if (2 * (this.count + 1) > this.table.length) this.resize(2 * this.table.length);
    const mask = this.table.length - 1;
    let i = hash & mask;
    while (this.table[i] !== EMPTY) i = (i + 1) & mask;
    this.table[i] = slot;
    this.count += 1;
    return undefined;
  }

  /** Forgets `id`; returns the slot it named. */
  delete(id: string): number | undefined {
    let i = this.find(id, idHash(id));
    if (i < 0) return undefined;
    const slot = this.table[i] as number;
    const table = this.table;
    const mask = table.length - 1;
    // Shift back the entries after it that probed past it, so no lookup stops at the hole early.
    for (let j = (i + 1) & mask; table[j] !== EMPTY; j = (j + 1) & mask) {
      const moved = table[j] as number;
      const home = (this.hashes[moved] as number) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      table[i] = moved;
      i = j;
    }
    table[i] = EMPTY;
    this.count -= 1;
    if (this.table.length > MIN_SIZE && 8 * this.count < this.table.length)
      this.resize(this.table.length / 2);
    return slot;
  }

  /** The position of `id` in the table, or -1. */
  private find(id: string, hash: number): number {
    const table = this.table;
    const mask = table.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = table[i] as number;
      if (slot === EMPTY) return -1;
      if (this.hashes[slot] === hash && this.owner.keyIs(slot, id)) return i;
    }
  }

  private resize(size: number): void {
    const old = this.table;
    const table = new Int32Array(size).fill(EMPTY);
    const mask = size - 1;
    for (const slot of old) {
      if (slot === EMPTY) continue;
      let i = (this.hashes[slot] as number) & mask;
      while (table[i] !== EMPTY) i = (i + 1) & mask;
      table[i] = slot;
    }
    this.table = table;
  }
}
