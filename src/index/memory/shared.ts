/**
 * Strings the in-memory index keeps once however many rows and tree nodes use them (accounts,
 * scopes, owners, URIs, the tree's keys and roots: 8,000 one-record tenants share one
 * `viking://resources`), counted by their users and forgotten with the last, with the bytes they
 * take for the index's budget.
 */
import { ID_ENTRY_BYTES, IdTable, type KeyOwner } from './ids.js';
import { grow } from './pool.js';

/**
 * Heap bytes of a Map entry: V8's hash table takes 28 bytes a slot and doubles when full, so an
 * entry costs 28–56 (46 measured at 20,000 entries).
 */
export const MAP_ENTRY_BYTES = 48;
/** V8 makes no sliced string shorter than this: shorter ones are copies already. */
const SLICE_MIN = 13;
/**
 * Heap bytes per element of a JS array grown by appending (per-slot arrays): a pointer, and V8
 * grows the array by half its length again, so up to 4 more of spare capacity.
 */
export const GROWN_ARRAY_BYTES = 12;
/** A character V8 cannot store in a one-byte string. */
const WIDE = /[\u0100-\uffff]/;

/** Heap bytes of a string: header, then one byte a character (ASCII) or two. */
export function stringBytes(s: string | null): number {
  if (s === null) return 0;
  return 16 + Math.ceil((s.length * (WIDE.test(s) ? 2 : 1)) / 8) * 8;
}

/**
 * Heap bytes of a string made by {@link ownCopy}: a slice (32 bytes) of a copy one character
 * longer, or a short string as it is.
 */
export function ownBytes(s: string | null): number {
  if (s === null) return 0;
  return s.length < SLICE_MIN ? stringBytes(s) : 32 + stringBytes(`${s} `);
}

/**
 * A string with storage of its own (a slice of a larger string keeps that string alive). Slicing a
 * concatenation makes V8 flatten it into a fresh string first: the result refers to that copy only.
 */
export function ownCopy(s: string): string;
export function ownCopy(s: string | null): string | null;
export function ownCopy(s: string | null): string | null {
  if (s === null || s.length < SLICE_MIN) return s;
  return `${s} `.slice(0, -1);
}

/** What a free-list entry costs: a pointer in a JS array grown by appending. */
const FREE_ENTRY_BYTES = GROWN_ARRAY_BYTES;

/**
 * The shared values, each under a small integer id (what the row columns hold): the id → string
 * array, a reference count per id, and the string → id table. Ids freed with their last reference
 * are reused first.
 */
export class SharedStrings implements KeyOwner {
  private readonly ids = new IdTable(this);
  private values: Array<string | null> = [];
  private refs: Int32Array = new Int32Array(64);
  private readonly free: number[] = [];
  private held = 0;

  /** Bytes of the strings kept, their map entries and the id-indexed arrays. */
  get bytes(): number {
    return (
      this.held +
      this.ids.bytes +
      this.values.length * GROWN_ARRAY_BYTES +
      this.refs.byteLength +
      this.free.length * FREE_ENTRY_BYTES
    );
  }

  /** Values kept. */
  get size(): number {
    return this.ids.size;
  }

  keyIs(id: number, s: string): boolean {
    return this.values[id] === s;
  }

  /** The id of `s`, if kept (no reference taken). */
  idOf(s: string): number | undefined {
    return this.ids.get(s);
  }

  /** The value of a kept id. */
  value(id: number): string {
    const value = this.values[id];
    if (value === null || value === undefined) throw new Error(`no shared value ${id}`);
    return value;
  }

  /** Bytes holding `s` would add at most (0 when kept already). */
  cost(s: string): number {
    return this.ids.get(s) !== undefined ? 0 : ownBytes(s) + ID_ENTRY_BYTES + GROWN_ARRAY_BYTES + 8;
  }

  /** Takes a reference to `s` (kept from now on, as a copy of its own, if new); returns its id. */
  hold(s: string): number {
    let id = this.ids.get(s);
    if (id !== undefined) {
      this.refs[id] = (this.refs[id] as number) + 1;
      return id;
    }
    const value = ownCopy(s);
    id = this.free.pop();
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      if (id >= this.refs.length) this.refs = grow(this.refs, this.refs.length * 2);
    } else this.values[id] = value;
    this.refs[id] = 1;
    this.ids.set(value, id);
    this.held += ownBytes(value);
    return id;
  }

  /** {@link hold}, returning the kept copy (the tree's keys and roots). */
  keep(s: string): string {
    return this.value(this.hold(s));
  }

  /** Gives a reference back, forgetting the value with its last one. */
  release(s: string): void {
    const id = this.ids.get(s);
    if (id !== undefined) this.releaseId(id);
  }

  /** {@link release} by id. */
  releaseId(id: number): void {
    const refs = (this.refs[id] as number) - 1;
    this.refs[id] = refs;
    if (refs > 0) return;
    const value = this.value(id);
    this.ids.delete(value);
    this.values[id] = null;
    this.free.push(id);
    this.held -= ownBytes(value);
  }
}
