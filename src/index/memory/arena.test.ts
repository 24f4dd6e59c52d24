import fc from 'fast-check';
import { VectorArena } from './arena.js';
import { SHARED_UNTIL } from './blocks.js';
import { topK } from './top.js';

/** Vectors around a few centres (near-ties are the hard case for bounds), some zero, some tiny. */
const worldArb = fc.record({
  dimension: fc.constantFrom(3, 16, 24, 100, 384),
  count: fc.integer({ min: 1, max: 400 }),
  centres: fc.integer({ min: 1, max: 4 }),
  noise: fc.constantFrom(0, 1e-4, 0.03, 1),
  k: fc.integer({ min: 1, max: 50 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

test('the int8 scan with refinement returns exactly the float32 top k', async () => {
  await fc.assert(
    fc.asyncProperty(worldArb, async (w) => {
      const next = rng(w.seed);
      const centres = Array.from({ length: w.centres }, () =>
        Float32Array.from({ length: w.dimension }, next),
      );
      const arena = await VectorArena.create(w.dimension, 64 * 2 ** 20);
      const slots = new Int32Array(w.count);
      for (let i = 0; i < w.count; i++) {
        const centre = centres[i % w.centres] as Float32Array;
        const v = i % 37 === 5 ? new Float32Array(w.dimension) : centre.map((x) => x + w.noise * next());
        slots[i] = arena.alloc(`pool${i % 3}`);
        arena.set(slots[i] as number, v);
      }
      const query = (centres[0] as Float32Array).map((x) => x + 0.01 * next());
      const exact = arena.nearest(slots, w.count, query, w.k, false);
      const quantized = arena.nearest(slots, w.count, query, w.k, true);
      expect(quantized.map((s) => s.score)).toEqual(exact.map((s) => s.score));
      // Equal scores may come in another order; the sets of records are the same.
      expect(new Set(quantized.map((s) => s.index))).toEqual(new Set(exact.map((s) => s.index)));
    }),
    { numRuns: 120 },
  );
});

test('scores are cosine similarities of the stored vectors, whatever their length', async () => {
  const arena = await VectorArena.create(3, 2 ** 20);
  const slots = Int32Array.from([arena.alloc('acme'), arena.alloc('acme'), arena.alloc('acme')]);
  arena.set(slots[0] as number, Float32Array.from([2, 0, 0]));
  arena.set(slots[1] as number, Float32Array.from([1, 1, 0]));
  arena.set(slots[2] as number, Float32Array.from([0, 0, 0]));
  const best = arena.nearest(slots, 3, Float32Array.from([5, 0, 0]), 3, false);
  expect(best.map((s) => s.index)).toEqual([0, 1, 2]);
  expect(best.map((s) => s.score)).toEqual([1, expect.closeTo(Math.SQRT1_2, 6), 0]);
});

test("space freed by one account is reused by another; a large account's rows lie together", async () => {
  const arena = await VectorArena.create(4, 2 ** 20);
  const a = arena.alloc('acme');
  arena.alloc('acme');
  arena.free(a);
  expect(arena.alloc('globex')).toBe(a);
  const big = Array.from({ length: 48 }, (_, i) => {
    arena.alloc(`other${i}`);
    return arena.alloc('big');
  });
  // Past its first SHARED_UNTIL rows, an account's slots (and addresses) run in sequence.
  const own = big.slice(SHARED_UNTIL);
  expect(own).toEqual(own.map((_, i) => (own[0] as number) + i));
});

test('deleting every record of N accounts gives their space back: N more accounts do not grow the arena', async () => {
  const dimension = 384;
  const arena = await VectorArena.create(dimension, 512 * 2 ** 20);
  const vector = new Float32Array(dimension).fill(0.5);
  const fill = (prefix: string, accounts: number, records: number): number[] => {
    const slots: number[] = [];
    for (let a = 0; a < accounts; a++)
      for (let r = 0; r < records; r++) {
        const slot = arena.alloc(`${prefix}${a}`);
        arena.set(slot, vector);
        slots.push(slot);
      }
    return slots;
  };
  const first = fill('tenant', 2000, 1);
  const bytes = arena.bytes;
  // One record each: the vectors of 2,000 accounts share blocks (4 MiB of rows, not a block each).
  expect(bytes).toBeLessThan(8 * 2 ** 20);
  for (const slot of first) arena.free(slot);
  fill('later', 2000, 1);
  expect(arena.bytes).toBe(bytes);
  // The same for accounts large enough to have blocks of their own.
  const large = fill('large', 3, 3000);
  const withLarge = arena.bytes;
  for (const slot of large) arena.free(slot);
  fill('next', 3, 3000);
  expect(arena.bytes).toBe(withLarge);
});

test.each([
  [[3, 1, 2], 2, [0, 2]],
  [[1, 1, 1], 2, [0, 1]],
  [[Number.NaN, 1, 0], 5, [1, 2]],
  [[], 3, []],
])('topK(%j, %i)', (scores, k, expected) => {
  expect(topK(Float32Array.from(scores), scores.length, k)).toEqual(expected);
});

test('scans shared with a scan thread return exactly what the calling thread alone returns', async () => {
  const dimension = 64;
  const single = await VectorArena.create(dimension, 256 * 2 ** 20);
  const shared = await VectorArena.create(dimension, 256 * 2 ** 20, { threads: 1 });
  try {
    await shared.startThreads();
    expect(shared.activeThreads).toBe(1);
    const next = rng(7);
    const count = 9000;
    const slots = { single: new Int32Array(count), shared: new Int32Array(count) };
    for (let i = 0; i < count; i++) {
      const v = Float32Array.from({ length: dimension }, next);
      slots.single[i] = single.alloc(`pool${i % 5}`);
      single.set(slots.single[i] as number, v);
      slots.shared[i] = shared.alloc(`pool${i % 5}`);
      shared.set(slots.shared[i] as number, v);
    }
    fc.assert(
      fc.property(
        fc.integer({ min: 4096, max: count }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (n, k, quantized) => {
          const query = Float32Array.from({ length: dimension }, next);
          const alone = single.nearest(slots.single, n, query, k, quantized);
          const split = shared.nearest(slots.shared, n, query, k, quantized);
          expect(split).toEqual(alone);
        },
      ),
      { numRuns: 30 },
    );
    expect(shared.activeThreads).toBe(1);
  } finally {
    await shared.close();
  }
  expect(shared.activeThreads).toBe(0);
});
