import fc from 'fast-check';
import { candidates, errorBound, packInt8, queryLimit, quantizeQuery } from './quantize.js';

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
  // (estimate, bound): lower bounds 0.8, 0.4, 0.1, 0.55; the 2nd best lower bound is 0.55.
  const bounds = Float64Array.from([0.9, 0.1, 0.5, 0.1, 0.2, 0.1, 0.6, 0.05]);
  expect(candidates(bounds, 4, 2, new Float32Array(4))).toEqual([0, 1, 3]);
  expect(candidates(bounds, 4, 1, new Float32Array(4))).toEqual([0]);
});
