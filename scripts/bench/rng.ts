/**
 * Deterministic randomness for the search benchmark: a seeded PRNG (sfc32), normal deviates, Zipf
 * samplers and the clustered unit vectors of BENCHMARK.md. The same seed gives the same corpus and
 * queries on every machine (integer arithmetic and IEEE doubles only).
 */

/** Dimension of the benchmark's vectors (the builtin embedder's, so HTTP queries fit the table). */
export const DIM = 384;
/** Standard deviation of the per-dimension noise around a centroid. */
export const NOISE = 0.03;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;
  private spare: number | null = null;

  constructor(seed: number) {
    this.a = 0x9e3779b9 ^ seed;
    this.b = 0x243f6a88 + Math.imul(seed, 0x85ebca6b);
    this.c = 0xb7e15162 ^ Math.imul(seed, 0xc2b2ae35);
    for (let i = 0; i < 16; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Standard normal deviate (Box–Muller, the second value kept for the next call). */
  gaussian(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const u = 1 - this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/** Samples ranks 0..n-1 with probability ∝ 1/(rank+1)^s. */
export class Zipf {
  private readonly cdf: Float64Array;

  constructor(n: number, s: number) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) this.cdf[k] = sum += 1 / Math.pow(k + 1, s);
    for (let k = 0; k < n; k++) this.cdf[k] = (this.cdf[k] ?? 0) / sum;
  }

  /** Probability of rank k. */
  share(k: number): number {
    return (this.cdf[k] ?? 0) - (k === 0 ? 0 : (this.cdf[k - 1] ?? 0));
  }

  sample(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cdf[mid] ?? 1) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function normalise(v: Float32Array): void {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += (v[i] ?? 0) * (v[i] ?? 0);
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) * scale;
}

/** `count` random unit vectors, packed. */
export function randomCentroids(rng: Rng, count: number): Float32Array {
  const all = new Float32Array(count * DIM);
  for (let c = 0; c < count; c++) {
    const v = all.subarray(c * DIM, (c + 1) * DIM);
    for (let i = 0; i < DIM; i++) v[i] = rng.gaussian();
    normalise(v);
  }
  return all;
}

/** Writes centroid `c` plus N(0, NOISE²) per dimension, normalised, into `out`. */
export function clusteredVector(rng: Rng, centroids: Float32Array, c: number, out: Float32Array): void {
  const base = c * DIM;
  for (let i = 0; i < DIM; i++) out[i] = (centroids[base + i] ?? 0) + NOISE * rng.gaussian();
  normalise(out);
}

/** Dot product of `a` and the DIM values of `b` starting at `offset`. */
export function dot(a: Float32Array, b: Float32Array, offset: number): number {
  // Four accumulators: independent additions pipeline (≈ 2× faster than one running sum in V8).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0, j = offset; i < DIM; i += 4, j += 4) {
    s0 += (a[i] as number) * (b[j] as number);
    s1 += (a[i + 1] as number) * (b[j + 1] as number);
    s2 += (a[i + 2] as number) * (b[j + 2] as number);
    s3 += (a[i + 3] as number) * (b[j + 3] as number);
  }
  return s0 + s1 + (s2 + s3);
}
