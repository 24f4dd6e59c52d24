/**
 * A growable pool of 32-bit integers cut into regions (the full-text index's postings and its
 * per-record term lists): a few typed arrays instead of one JS array per term or record, so a million
 * records cost the garbage collector a handful of objects. Regions are bump-allocated; a region given
 * up counts as garbage until its owner compacts (copies its live regions into a fresh pool).
 */

/** Garbage below this many ints is never worth a compaction. */
const MIN_COMPACT_INTS = 1 << 12;

/** A copy of `array` with room for `size` ints. */
export function grow(array: Int32Array, size: number): Int32Array {
  const bigger = new Int32Array(size);
  bigger.set(array);
  return bigger;
}

export class IntPool {
  data: Int32Array;
  /** Ints handed out so far (live and garbage). */
  top = 0;
  /** Ints of regions given up. */
  garbage = 0;

  constructor(capacity = 1024) {
    this.data = new Int32Array(Math.max(16, capacity));
  }

  /** Whether more than half of the pool is garbage (time for the owner to compact). */
  get wasteful(): boolean {
    return this.garbage >= MIN_COMPACT_INTS && this.garbage * 2 > this.top;
  }

  /** The start of a new region of `n` ints (the data array may be replaced: read it afresh). */
  reserve(n: number): number {
    this.ensure(n);
    const start = this.top;
    this.top += n;
    return start;
  }

  /** Grows the data array (at most once) so that regions of `n` more ints fit without another growth. */
  ensure(n: number): void {
    if (this.top + n > this.data.length) {
      this.data = grow(this.data.subarray(0, this.top), Math.max(this.top + n, this.data.length * 2));
    }
  }

  /** Gives up a region of `n` ints. */
  release(n: number): void {
    this.garbage += n;
  }
}
