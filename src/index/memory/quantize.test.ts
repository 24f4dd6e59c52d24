import fc from 'fast-check';
import { candidates, errorBound, packInt8, queryLimit, quantizeQuery } from './quantize.js';
import { KthLargest } from './top.js';

/** A unit vector of `dimension` floats from arbitrary components (zero stays zero). */
function unit(components: readonly number[]): Float32Array {
  const norm = Math.sqrt(components.reduce((sum, x) => sum + x * x, 0));
  return Float32Array.from(components, (x) => (norm > 0 ? x / norm : 0));
}

const pairArb = fc.integer({ min: 1, max: 70 }).chain((dimension) => {
  const component = fc.float({ min: -1, max: 1, noNaN: true });
  const vector = fc.array(component, { minLength: dimension, maxLength: dimension });
  return fc.record({ v: vector, q: vector });
});

test('the int8 × int16 estimate of a cosine is within the bound of the exact one', () => {
  fc.assert(
    fc.property(pairArb, ({ v, q }) => {
      const dimension = v.length;
      const stride8 = Math.ceil(dimension / 16) * 16;
      const f32 = new Float32Array(2 * stride8);
      f32.set(unit(v), 0);
      f32.set(unit(q), stride8);
      const i32 = new Int32Array(stride8 / 4);
      const { scale, residual } = packInt8(f32, 0, dimension, i32, 0, stride8);
      const i16 = new Int16Array(stride8);
      const bound = quantizeQuery(f32, stride8, dimension, i16, 0, stride8, queryLimit(stride8));
      const i8 = new Int8Array(i32.buffer);
      let dot = 0;
      let exact = 0;
      for (let j = 0; j < stride8; j++) {
        dot += (i8[j] as number) * (i16[j] as number);
        exact += (f32[j] as number) * (f32[stride8 + j] as number);
      }
      const estimate = bound.scale * scale * dot;
      expect(Math.abs(exact - estimate)).toBeLessThanOrEqual(errorBound(bound, scale, residual));
      // The residual is an upper bound of what the int8 copy lost, and not a loose one.
      let lost = 0;
      for (let j = 0; j < dimension; j++) lost += ((f32[j] as number) - scale * (i8[j] as number)) ** 2;
      expect(residual).toBeGreaterThanOrEqual(Math.sqrt(lost));
      expect(residual).toBeLessThanOrEqual(Math.sqrt(lost) * (1 + 2 ** -18) + 1e-30);
    }),
    { numRuns: 300 },
  );
});

test('candidates: every position whose upper bound reaches the k-th best lower bound', () => {
  // (estimate, bound): lower bounds 0.8, 0.4, 0.1, 0.55, upper bounds 1.0, 0.6, 0.3, 0.65.
  const pairs = [
    [0.9, 0.1],
    [0.5, 0.1],
    [0.2, 0.1],
    [0.6, 0.05],
  ] as const;
  const highs = Float64Array.from(pairs, ([e, b]) => e + b);
  const floor = (k: number): number => {
    const lows = new KthLargest().reset(k);
    for (const [e, b] of pairs) lows.offer(e - b);
    return lows.value;
  };
  expect(floor(2)).toBeCloseTo(0.55);
  expect(candidates(highs, 4, floor(2))).toEqual([0, 1, 3]);
  expect(candidates(highs, 4, floor(1))).toEqual([0]);
});

test('KthLargest: the k-th largest of what was offered since the last reset', () => {
  const kth = new KthLargest();
  fc.assert(
    fc.property(
      fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 200 }),
      fc.integer({ min: 1, max: 40 }),
      (values, k) => {
        kth.reset(k);
        values.forEach((v) => kth.offer(v));
        const sorted = [...values].sort((a, b) => b - a);
        expect(kth.value).toBe(sorted.length < k ? -Infinity : sorted[k - 1]);
      },
    ),
    { numRuns: 300 },
  );
});
