/**
 * The k best (slot, score) pairs of a stream, best first — higher score, then the lower slot (or the
 * one a given order puts first) — kept in a binary heap of k entries with the worst on top, instead of sorting every candidate. Used by
 * full-text search (slots) and by the vector arena (positions in a scored list).
 */

export interface TextHit {
  readonly slot: number;
  readonly score: number;
}

export class TopHits {
  /** The heap: entry i is (slots[i], scores[i]), in typed arrays grown by doubling. */
  private slots = new Int32Array(16);
  private scores = new Float64Array(16);
  private size = 0;

  /** `tie` orders slots of equal scores (negative: the first one ranks higher). */
  constructor(
    private readonly k: number,
    private readonly tie: (a: number, b: number) => number = (a, b) => a - b,
  ) {}

  /** Whether entry a ranks below entry b. */
  private worse(a: number, b: number): boolean {
    const sa = this.scores[a] as number;
    const sb = this.scores[b] as number;
    return sa < sb || (sa === sb && this.tie(this.slots[a] as number, this.slots[b] as number) > 0);
  }

  offer(slot: number, score: number): void {
    const size = this.size;
    if (size < this.k) {
      if (size === this.slots.length) this.grow(size * 2);
      this.slots[size] = slot;
      this.scores[size] = score;
      this.size = size + 1;
      this.up(size);
      return;
    }
    const worst = this.scores[0] as number;
    if (score < worst || (score === worst && this.tie(slot, this.slots[0] as number) > 0)) return;
    this.slots[0] = slot;
    this.scores[0] = score;
    this.down(0);
  }

  /** The entries kept, best first. */
  sorted(): TextHit[] {
    const hits: TextHit[] = [];
    for (let i = 0; i < this.size; i++)
      hits.push({ slot: this.slots[i] as number, score: this.scores[i] as number });
    return hits.sort((a, b) => b.score - a.score || this.tie(a.slot, b.slot));
  }

  private grow(capacity: number): void {
    const slots = new Int32Array(capacity);
    const scores = new Float64Array(capacity);
    slots.set(this.slots);
    scores.set(this.scores);
    this.slots = slots;
    this.scores = scores;
  }

  private swap(i: number, j: number): void {
    const slot = this.slots[i] as number;
    const score = this.scores[i] as number;
    this.slots[i] = this.slots[j] as number;
    this.scores[i] = this.scores[j] as number;
    this.slots[j] = slot;
    this.scores[j] = score;
  }

  private up(start: number): void {
    for (let c = start; c > 0;) {
      const parent = (c - 1) >> 1;
      if (!this.worse(c, parent)) return;
      this.swap(c, parent);
      c = parent;
    }
  }

  private down(start: number): void {
    const size = this.size;
    for (let i = start; ;) {
      const l = 2 * i + 1;
      let m = i;
      if (l < size && this.worse(l, m)) m = l;
      if (l + 1 < size && this.worse(l + 1, m)) m = l + 1;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}

/**
 * Indexes of the k highest of `scores[0..n)`, best first (NaN never). Equal scores: the lower index
 * first, or as `tie` orders the indexes (negative: the first one ranks higher).
 */
export function topK(
  scores: Float32Array,
  n: number,
  k: number,
  tie?: (a: number, b: number) => number,
): number[] {
  if (k <= 0) return [];
  const top = new TopHits(k, tie);
  for (let i = 0; i < n; i++) {
    const score = scores[i] as number;
    if (!Number.isNaN(score)) top.offer(i, score);
  }
  return top.sorted().map((hit) => hit.slot);
}

/**
 * The k-th largest of a stream of numbers, in a min-heap of the k largest so far (one comparison for
 * most values once it is full): -Infinity while fewer than k were offered. Reused: {@link reset}.
 */
export class KthLargest {
  private heap = new Float64Array(16);
  private size = 0;
  private k = 1;

  /** Forgets what was offered; from now on keeps the `k` largest (k ≥ 1). */
  reset(k: number): this {
    if (k > this.heap.length) this.heap = new Float64Array(Math.max(k, 2 * this.heap.length));
    this.k = k;
    this.size = 0;
    return this;
  }

  offer(value: number): void {
    const heap = this.heap;
    if (this.size < this.k) {
      let c = this.size++;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if ((heap[parent] as number) <= value) break;
        heap[c] = heap[parent] as number;
        c = parent;
      }
      heap[c] = value;
      return;
    }
    if (value <= (heap[0] as number)) return;
    const size = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const m = r < size && (heap[r] as number) < (heap[l] as number) ? r : l;
      if ((heap[m] as number) >= value) break;
      heap[i] = heap[m] as number;
      i = m;
    }
    heap[i] = value;
  }

  /** The k-th largest value offered since the last {@link reset}. */
  get value(): number {
    return this.size < this.k ? -Infinity : (this.heap[0] as number);
  }

  /** Bytes of the heap. */
  get bytes(): number {
    return this.heap.byteLength;
  }
}
