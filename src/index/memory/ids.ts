/**
 * The in-memory index's lookup from record id to slot: an open-addressing hash table of slots in
 * one Int32Array (linear probing, deletion by shifting back), with each slot's hash kept beside it.
 * The ids themselves are the row store's (texts.ts): a candidate is checked against the stored id,
 * so the table holds no strings. A Map<string, number> took ~50 bytes an entry plus a string per
 * key; this takes 8–16 bytes an id and 4 a slot.
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

export class IdTable {
  private table: Int32Array = new Int32Array(MIN_SIZE).fill(EMPTY);
  /** Per slot: the hash of its id. */
  private hashes: Int32Array = new Int32Array(MIN_SIZE);
  private count = 0;

  /** @param idIs whether the row in a slot has the given id */
  constructor(private idIs: (slot: number, id: string) => boolean) {}

  /** Puts back the check a snapshot does not keep (a function: snapshot-graph.ts). */
  rebind(idIs: (slot: number, id: string) => boolean): void {
    this.idIs = idIs;
  }

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
      if (this.hashes[slot] === hash && this.idIs(slot, id)) return i;
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
