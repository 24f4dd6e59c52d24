/**
 * The ids a bulk load wrote, as 64-bit hashes in an open-addressing table of typed arrays: a million
 * ids take 16 MiB and no JS object each (a Set kept every id string alive into the old generation,
 * and the garbage collector marked them all again and again). It answers "may hold" for every id
 * added and, with odds of about n / 2^64, for one that was not — a false "may hold" only makes the
 * write merge instead of append, which is always correct.
 */
export class IdHashSet {
  private high = new Int32Array(1 << 12);
  private low = new Int32Array(1 << 12);
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(id: string): void {
    if ((this.count + 1) * 2 > this.high.length) this.rehash(this.high.length * 2);
    const [h, l] = hash(id);
    const mask = this.high.length - 1;
    for (let at = l & mask; ; at = (at + 1) & mask) {
      const th = this.high[at] as number;
      const tl = this.low[at] as number;
      if (th === h && tl === l) return;
      if (th === 0 && tl === 0) {
        this.high[at] = h;
        this.low[at] = l;
        this.count += 1;
        return;
      }
    }
  }

  /** True for every id added (and, rarely, for another one). */
  mayHold(id: string): boolean {
    const [h, l] = hash(id);
    const mask = this.high.length - 1;
    for (let at = l & mask; ; at = (at + 1) & mask) {
      const th = this.high[at] as number;
      const tl = this.low[at] as number;
      if (th === h && tl === l) return true;
      if (th === 0 && tl === 0) return false;
    }
  }

  private rehash(size: number): void {
    const { high, low } = this;
    this.high = new Int32Array(size);
    this.low = new Int32Array(size);
    const mask = size - 1;
    for (let i = 0; i < high.length; i++) {
      const h = high[i] as number;
      const l = low[i] as number;
      if (h === 0 && l === 0) continue;
      let at = l & mask;
      while (this.high[at] !== 0 || this.low[at] !== 0) at = (at + 1) & mask;
      this.high[at] = h;
      this.low[at] = l;
    }
  }
}

/** Two independent 32-bit FNV-1a hashes of the string's UTF-16 code units; never both zero. */
function hash(id: string): [number, number] {
  let h = 0x811c9dc5 | 0;
  let l = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h = Math.imul(h ^ c, 0x01000193);
    l = Math.imul(l ^ c, 0x5bd1e995);
    l ^= l >>> 15;
  }
  return [h, l === 0 && h === 0 ? 1 : l];
}
