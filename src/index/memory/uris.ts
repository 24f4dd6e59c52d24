/**
 * The slots of each URI in the in-memory index, as lists linked through two per-slot typed arrays:
 * adding or removing one slot is O(1) whatever the URI holds (a 13,000-chunk file was copied on every
 * insert and filtered on every removal: seconds of event-loop time per large file). A URI is named by
 * its shared-value id (shared.ts: every row holds its URI there), and `first` holds each URI's first
 * slot by that id: typed arrays only, where a Map from URI to first slot cost ~50 bytes a URI and,
 * restored from a snapshot at a million URIs, steps of 0.1–0.35 s as V8 doubled its table. `prev` of
 * the first slot is the last one, so appends keep insertion order.
 */
import { grow } from './pool.js';

const NONE = -1;

export class UriLists {
  /** Per URI id: its first slot, or NONE. */
  private first: Int32Array = new Int32Array(1024).fill(NONE);
  private next: Int32Array = new Int32Array(1024);
  private prev: Int32Array = new Int32Array(1024);
  private count = 0;

  /** Bytes of the per-slot and per-URI arrays. */
  get bytes(): number {
    return this.next.byteLength + this.prev.byteLength + this.first.byteLength;
  }

  /** Appends `slot` to the slots of the URI whose shared id is `uri`. */
  add(uri: number, slot: number): void {
    if (slot >= this.next.length) {
      const size = Math.max(slot + 1, this.next.length * 2);
      this.next = grow(this.next, size);
      this.prev = grow(this.prev, size);
    }
    if (uri >= this.first.length) {
      const old = this.first.length;
      this.first = grow(this.first, Math.max(uri + 1, old * 2));
      this.first.fill(NONE, old);
    }
    this.next[slot] = NONE;
    const head = this.first[uri] as number;
    if (head === NONE) {
      this.first[uri] = slot;
      this.prev[slot] = slot;
      this.count += 1;
      return;
    }
    const tail = this.prev[head] as number;
    this.next[tail] = slot;
    this.prev[slot] = tail;
    this.prev[head] = slot;
  }

  /** Removes `slot` from the slots of URI id `uri` (it must be one of them). */
  remove(uri: number, slot: number): void {
    const head = this.headOf(uri);
    if (head === NONE) return;
    const after = this.next[slot] as number;
    const before = this.prev[slot] as number;
    if (slot === head) {
      this.first[uri] = after;
      if (after === NONE) this.count -= 1;
      else this.prev[after] = before;
      return;
    }
    this.next[before] = after;
    if (after === NONE) this.prev[head] = before;
    else this.prev[after] = before;
  }

  /** Calls `visit` with each slot of URI id `uri`, in the order they were added. */
  forEach(uri: number, visit: (slot: number) => void): void {
    for (let slot = this.headOf(uri); slot !== NONE; slot = this.next[slot] as number) visit(slot);
  }

  /** Number of URIs with at least one slot. */
  get size(): number {
    return this.count;
  }

  private headOf(uri: number): number {
    return uri >= 0 && uri < this.first.length ? (this.first[uri] as number) : NONE;
  }
}
