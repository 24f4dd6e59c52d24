/**
 * The int8 side of the vector arena (arena.ts): each stored unit vector's int8 copy (symmetric, one
 * scale per vector), the query's int16 copy, and a bound on the error of a score computed from the
 * two — so a scan of the copies, a quarter of the memory traffic, keeps every slot that exact float32
 * scoring could put in the top k. Pure functions over the arena's memory views.
 */
import { itemAt } from '../../errors.js';
import { topK } from './top.js';

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

/**
 * Writes the int8 copy of the unit vector `f32[base .. base + dimension)` into `stride8` bytes at
 * `i32[words ..)` (zero past the dimension) and returns its scale: each component is rounded to a
 * multiple of scale = max |component| / 127.
 */
export function packInt8(
  f32: Float32Array,
  base: number,
  dimension: number,
  i32: Int32Array,
  words: number,
  stride8: number,
): number {
  let max = 0;
  for (let j = 0; j < dimension; j++) max = Math.max(max, Math.abs(f32[base + j] as number));
  const scale = Math.fround(max / Q8);
  // Four int8 components per int32 write: byte offsets past 2^30 are not small integers to V8,
  // and typed-array accesses at such indexes take a slow path.
  for (let w = 0; w < stride8 / 4; w++) {
    let packed = 0;
    for (let b = 0; b < 4; b++) {
      const j = w * 4 + b;
      const q = j < dimension && scale > 0 ? Math.round((f32[base + j] as number) / scale) : 0;
      packed |= (q & 0xff) << (8 * b);
    }
    i32[words + w] = packed;
  }
  return scale;
}

/** The query's int16 scale and the two terms of a slot's error bound (scale × perScale + constant). */
export interface QueryBound {
  readonly scale: number;
  readonly perScale: number;
  readonly constant: number;
}

/**
 * Writes the int16 copy of the unit query `f32[q .. q + dimension)` into `stride8` components at
 * `i16[q16 ..)`, each at most `limit` ({@link queryLimit}). With q = s_q·q̂ + e_q and
 * v = s_v·v̂ + e_v (|e_q| ≤ s_q/2, |e_v| ≤ s_v/2 per component):
 * |q·v − s_q·s_v·(q̂·v̂)| ≤ ‖q‖₁·s_v/2 + (s_q/2)·(‖v‖₁ + d·s_v/2), and ‖v‖₁ ≤ √d.
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
  return {
    scale: sq,
    perScale: l1 / 2 + (sq / 2) * (d / 2),
    constant: (sq / 2) * Math.sqrt(d) + ROUNDING_MARGIN,
  };
}

/**
 * The positions i < n that can be in the top k, given (estimate, bound) pairs in `bounds`: those
 * whose upper bound reaches the k-th largest lower bound (at least k slots score at least that much).
 * `lows` is scratch of at least n floats.
 */
export function candidates(bounds: Float64Array, n: number, k: number, lows: Float32Array): number[] {
  for (let i = 0; i < n; i++) lows[i] = (bounds[2 * i] as number) - (bounds[2 * i + 1] as number);
  const best = topK(lows, n, k);
  const kth = itemAt(best, best.length - 1);
  const floor = lows[kth] as number;
  const found: number[] = [];
  for (let i = 0; i < n; i++)
    if ((bounds[2 * i] as number) + (bounds[2 * i + 1] as number) >= floor) found.push(i);
  return found;
}
