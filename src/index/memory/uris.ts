/**
 * The slots of each URI in the in-memory index, as lists linked through two per-slot typed arrays:
 * adding or removing one slot is O(1) whatever the URI holds (a 13,000-chunk file was copied on every
 * insert and filtered on every removal: seconds of event-loop time per large file). The map holds
 * each URI's first slot; `prev` of the first slot is the last one, so appends keep insertion order.
 */
import { grow } from './pool.js';
import { MAP_ENTRY_BYTES } from './shared.js';

const NONE = -1;

export class UriLists {
  private readonly first = new Map<string, number>();
  private next: Int32Array = new Int32Array(1024);
  private prev: Int32Array = new Int32Array(1024);

  /** Bytes of the per-slot arrays and the map's entries (its keys are the shared URI strings). */
  get bytes(): number {
    return this.next.byteLength + this.prev.byteLength + this.first.size * MAP_ENTRY_BYTES;
  }

  /** Appends `slot` to the slots of `uri`. */
  add(uri: string, slot: number): void {
    if (slot >= this.next.length) {
      const size = Math.max(slot + 1, this.next.length * 2);
      this.next = grow(this.next, size);
      this.prev = grow(this.prev, size);
    }
    this.next[slot] = NONE;
    const head = this.first.get(uri);
    if (head === undefined) {
      this.first.set(uri, slot);
      this.prev[slot] = slot;
      return;
    }
    const tail = this.prev[head] as number;
    this.next[tail] = slot;
    this.prev[slot] = tail;
    this.prev[head] = slot;
  }

  /** Removes `slot` from the slots of `uri` (it must be one of them). */
  remove(uri: string, slot: number): void {
    const head = this.first.get(uri);
    if (head === undefined) return;
    const after = this.next[slot] as number;
    const before = this.prev[slot] as number;
    if (slot === head) {
      if (after === NONE) this.first.delete(uri);
      else {
        this.prev[after] = before;
        this.first.set(uri, after);
      }
      return;
    }
    this.next[before] = after;
    if (after === NONE) this.prev[head] = before;
    else this.prev[after] = before;
  }

  /** Calls `visit` with each slot of `uri`, in the order they were added. */
  forEach(uri: string, visit: (slot: number) => void): void {
    for (let slot = this.first.get(uri) ?? NONE; slot !== NONE; slot = this.next[slot] as number) visit(slot);
  }

  /** Number of URIs with at least one slot. */
  get size(): number {
    return this.first.size;
  }
}
