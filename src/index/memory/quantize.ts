/**
 * The int8 side of the vector arena (arena.ts): each stored unit vector's int8 copy (symmetric, one
 * scale per vector), the query's int16 copy, and a bound on the error of a score computed from the
 * two — so a scan of the copies, a quarter of the memory traffic, keeps every slot that exact float32
 * scoring could put in the top k. Pure functions over the arena's memory views.
 */

/** Largest int8 component (symmetric quantisation). */
const Q8 = 127;
/**
 * Added to every quantisation error bound: covers float32 rounding of the exact rescoring, so the
 * candidates always hold the top k that exact float32 scoring would return.
 */
const ROUNDING_MARGIN = 1e-4;

/** Largest int16 query component such that no int32 sum of `stride8` products overflows. */
export function queryLimit(stride8: number): number {
  return Math.min(32767, Math.floor((2 ** 31 - 1) / (stride8 * Q8)));
}

/** What the arena keeps beside a vector's int8 copy: its scale, and the norm of what rounding lost. */
export interface Packed {
  readonly scale: number;
  /** An upper bound of ‖v − scale·v̂‖₂ (v the unit vector, v̂ its int8 copy). */
  readonly residual: number;
}

/**
 * Writes the int8 copy of the unit vector `f32[base .. base + dimension)` into `stride8` bytes at
 * `i32[words ..)` (zero past the dimension): each component is rounded to a multiple of
 * scale = max |component| / 127.
 */
export function packInt8(
  f32: Float32Array,
  base: number,
  dimension: number,
  i32: Int32Array,
  words: number,
  stride8: number,
): Packed {
  let max = 0;
  for (let j = 0; j < dimension; j++) max = Math.max(max, Math.abs(f32[base + j] as number));
  const scale = Math.fround(max / Q8);
  let lost = 0;
  // Four int8 components per int32 write: byte offsets past 2^30 are not small integers to V8,
  // and typed-array accesses at such indexes take a slow path.
  for (let w = 0; w < stride8 / 4; w++) {
    let packed = 0;
    for (let b = 0; b < 4; b++) {
      const j = w * 4 + b;
      const value = j < dimension ? (f32[base + j] as number) : 0;
      const q = scale > 0 ? Math.round(value / scale) : 0;
      // float32 × small integer is exact in float64: the difference is the rounding error itself.
      lost += (value - scale * q) ** 2;
      packed |= (q & 0xff) << (8 * b);
    }
    i32[words + w] = packed;
  }
  // Rounded up to the next float32 above, so the stored bound is never below the true norm.
  return { scale, residual: Math.fround(Math.sqrt(lost) * (1 + 2 ** -20)) };
}

/**
 * The query's int16 scale and the terms of a slot's error bound:
 * min(scale × l1Half, residual × norm) + scale × perScale + constant.
 */
export interface QueryBound {
  readonly scale: number;
  /** ‖q‖₁ / 2. */
  readonly l1Half: number;
  /** ‖q‖₂ (1 up to rounding: the query is a unit vector). */
  readonly norm: number;
  readonly perScale: number;
  readonly constant: number;
}

/**
 * Writes the int16 copy of the unit query `f32[q .. q + dimension)` into `stride8` components at
 * `i16[q16 ..)`, each at most `limit` ({@link queryLimit}). With q = s_q·q̂ + e_q and
 * v = s_v·v̂ + e_v (|e_q| ≤ s_q/2, |e_v| ≤ s_v/2 per component):
 *
 *   q·v − s_q·s_v·(q̂·v̂) = q·v − (q − e_q)·(v − e_v) = q·e_v + e_q·(v − e_v).
 *
 * The first term: |q·e_v| ≤ ‖q‖₁·‖e_v‖∞ ≤ ‖q‖₁·s_v/2 (Hölder), and also |q·e_v| ≤ ‖q‖₂·‖e_v‖₂
 * (Cauchy–Schwarz), where ‖e_v‖₂ is the residual {@link packInt8} stored: either bound holds, so
 * the smaller does. The second: |e_q·(v − e_v)| ≤ (s_q/2)·‖v − e_v‖₁ ≤ (s_q/2)·(‖v‖₁ + d·s_v/2),
 * and ‖v‖₁ ≤ √d for a unit v. The residual bound is the tighter one on real vectors (its error
 * terms add up like a random walk, ‖e_v‖₂ ≈ s_v·√(d/12), where ‖q‖₁·s_v/2 ≈ s_v·√(d/2π)):
 * about a quarter fewer candidates on the benchmark corpus, each one a read of the vector file.
 */
export function quantizeQuery(
  f32: Float32Array,
  q: number,
  dimension: number,
  i16: Int16Array,
  q16: number,
  stride8: number,
  limit: number,
): QueryBound {
  let l1 = 0;
  let max = 0;
  for (let j = 0; j < dimension; j++) {
    const value = f32[q + j] as number;
    l1 += Math.abs(value);
    max = Math.max(max, Math.abs(value));
  }
  const sq = max > 0 ? max / limit : 0;
  for (let j = 0; j < stride8; j++)
    i16[q16 + j] = j < dimension && sq > 0 ? Math.round((f32[q + j] as number) / sq) : 0;
  const d = dimension;
  let squares = 0;
  for (let j = 0; j < dimension; j++) squares += (f32[q + j] as number) ** 2;
  return {
    scale: sq,
    l1Half: l1 / 2,
    norm: Math.sqrt(squares),
    perScale: (sq / 2) * (d / 2),
    constant: (sq / 2) * Math.sqrt(d) + ROUNDING_MARGIN,
  };
}

/**
 * The positions i < n that can be in the top k, given each one's upper bound in `highs` and `floor`,
 * the k-th largest lower bound (at least k slots score at least that much): those whose upper bound
 * reaches it.
 */
export function candidates(highs: Float64Array, n: number, floor: number): number[] {
  const found: number[] = [];
  for (let i = 0; i < n; i++) if ((highs[i] as number) >= floor) found.push(i);
  return found;
}

/** The bound on the error of a slot's estimate ({@link quantizeQuery} says why it holds). */
export function errorBound(query: QueryBound, scale: number, residual: number): number {
  return Math.min(scale * query.l1Half, residual * query.norm) + scale * query.perScale + query.constant;
}
