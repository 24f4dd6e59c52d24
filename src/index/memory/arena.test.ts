import fc from 'fast-check';
import { closeSync, readdirSync } from 'node:fs';
import { tempDir } from '../../../test/helpers/temp-dir.js';
import { vectorFileDescriptors } from '../../../test/helpers/vector-files.js';
import { VectorArena, type Scored } from './arena.js';
import { SHARED_UNTIL } from './blocks.js';
import { referenceDots } from './kernel.js';
import { topK } from './top.js';
import { VectorFileError } from './vector-file.js';

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

/** Each vector as the arena stores it: scaled to unit length in float32, zeros up to the stride. */
function unitRows(vectors: readonly Float32Array[], query: Float32Array): Float32Array {
  const dimension = query.length;
  const stride = Math.ceil(dimension / 8) * 8;
  const rows = new Float32Array(stride * (vectors.length + 1));
  [query, ...vectors].forEach((v, r) => {
    let norm = 0;
    for (let j = 0; j < dimension; j++) norm += (v[j] ?? 0) ** 2;
    const unit = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < dimension; j++) rows[r * stride + j] = (v[j] ?? 0) * unit;
  });
  return rows;
}

/**
 * Brute force: every vector (stored at `slots[i]`) scored in float32 against the query (the
 * kernel's arithmetic, to the bit: kernel.test.ts), the higher score first, then the lower slot.
 */
function bruteForce(
  vectors: readonly Float32Array[],
  query: Float32Array,
  k: number,
  slots: ArrayLike<number>,
): Scored[] {
  const rows = unitRows(vectors, query);
  const bytes = Math.ceil(query.length / 8) * 8 * 4;
  return vectors
    .map((_, index) => ({ index, score: referenceDots(rows.buffer, (index + 1) * bytes, 0, bytes) }))
    .sort((a, b) => b.score - a.score || (slots[a.index] as number) - (slots[b.index] as number))
    .slice(0, k);
}

/** Vectors around `centres` centres (many near-ties when `noise` is small), every 37th zero. */
function world(dimension: number, count: number, centres: number, noise: number, seed: number) {
  const next = rng(seed);
  const middles = Array.from({ length: centres }, () => Float32Array.from({ length: dimension }, next));
  const vectors = Array.from({ length: count }, (_, i) =>
    i % 37 === 5
      ? new Float32Array(dimension)
      : (middles[i % centres] as Float32Array).map((x) => x + noise * next()),
  );
  const query = (middles[0] as Float32Array).map((x) => x + 0.01 * next());
  return { vectors, query };
}

test('the int8 scan with refinement from the vector file returns exactly the float32 top k', async () => {
  await fc.assert(
    fc.asyncProperty(worldArb, async (w) => {
      const { vectors, query } = world(w.dimension, w.count, w.centres, w.noise, w.seed);
      const arena = await VectorArena.create(w.dimension, 64 * 2 ** 20);
      try {
        const slots = Int32Array.from(vectors, (v, i) => {
          const slot = arena.alloc(`pool${i % 3}`);
          arena.set(slot, v);
          return slot;
        });
        expect(arena.nearest(slots, w.count, query, w.k)).toEqual(bruteForce(vectors, query, w.k, slots));
      } finally {
        await arena.close();
      }
    }),
    { numRuns: 120 },
  );
});

test.each([
  ['random', 39, 1, 1],
  ['random', 40, 1, 1],
  ['random', 43, 1, 1],
  ['random', 5000, 1, 1],
  ['clustered', 39, 3, 1e-3],
  ['clustered', 40, 3, 1e-3],
  ['clustered', 45, 3, 1e-3],
  ['clustered', 5000, 3, 1e-3],
  ['near-tie', 3000, 2, 1e-6],
])('%s vectors, n = %i: the top 40 and its scores are brute force, also in reused slots', async (...c) => {
  const [, count, centres, noise] = c;
  const dimension = 384;
  const k = 40;
  const arena = await VectorArena.create(dimension, 256 * 2 ** 20);
  try {
    // First other vectors, half of them freed: the query's vectors partly land in reused slots.
    const old = world(dimension, count, 2, 1, 99).vectors.map((v, i) => {
      const slot = arena.alloc(`tenant${i % 4}`);
      arena.set(slot, v);
      return slot;
    });
    const kept = old.filter((slot, i) => (i % 2 === 0 ? (arena.free(slot), false) : true));
    const { vectors, query } = world(dimension, count, centres, noise, count);
    const slots = Int32Array.from(vectors, (v, i) => {
      const slot = arena.alloc(`tenant${i % 4}`);
      arena.set(slot, v);
      return slot;
    });
    expect(slots.some((slot) => old.includes(slot))).toBe(true);
    expect(arena.nearest(slots, count, query, k)).toEqual(bruteForce(vectors, query, k, slots));
    // The vectors still stored beside them are untouched by the reuse.
    const survivors = kept.map((slot) => old.indexOf(slot));
    const others = world(dimension, count, 2, 1, 99).vectors.filter((_, i) => survivors.includes(i));
    expect(arena.nearest(Int32Array.from(kept), kept.length, query, k)).toEqual(
      bruteForce(others, query, k, kept),
    );
  } finally {
    await arena.close();
  }
});

test('the float32 vectors are in an unlinked file, not in memory; a failed read throws', async () => {
  const dir = tempDir('vs-arena-');
  const dimension = 384;
  const arena = await VectorArena.create(dimension, 64 * 2 ** 20, { vectorDir: dir.path });
  try {
    const { vectors, query } = world(dimension, 2000, 4, 0.1, 5);
    const slots = Int32Array.from(vectors, (v, i) => {
      const slot = arena.alloc(`pool${i % 7}`);
      arena.set(slot, v);
      return slot;
    });
    expect(arena.nearest(slots, 2000, query, 10)).toEqual(bruteForce(vectors, query, 10, slots));
    expect(readdirSync(dir.path)).toEqual([]);
    // The int8 copies (384 bytes) and scratch are resident; the float32 rows (1,536 bytes) are not.
    expect(arena.bytes).toBeLessThan(2000 * 1536);
    expect(arena.fileBytes).toBeGreaterThanOrEqual(2000 * 1536);
    const [fd] = vectorFileDescriptors(dir.path);
    closeSync(fd as number);
    expect(() => arena.nearest(slots, 2000, query, 10)).toThrow(VectorFileError);
  } finally {
    await arena.close();
    dir.remove();
  }
});

test('scores are cosine similarities of the stored vectors, whatever their length', async () => {
  const arena = await VectorArena.create(3, 2 ** 20);
  const slots = Int32Array.from([arena.alloc('acme'), arena.alloc('acme'), arena.alloc('acme')]);
  arena.set(slots[0] as number, Float32Array.from([2, 0, 0]));
  arena.set(slots[1] as number, Float32Array.from([1, 1, 0]));
  arena.set(slots[2] as number, Float32Array.from([0, 0, 0]));
  const best = arena.nearest(slots, 3, Float32Array.from([5, 0, 0]), 3);
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

test("a large group's rows lie together though its account's other groups write between them", async () => {
  const arena = await VectorArena.create(4, 2 ** 20);
  // Written interleaved, as an account's users write: alice's group, bob's, then small ones.
  const alice: number[] = [];
  const bob: number[] = [];
  const small: number[] = [];
  for (let i = 0; i < 80; i++) {
    alice.push(arena.alloc('acme', 'acme/alice'));
    bob.push(arena.alloc('acme', 'acme/bob'));
    small.push(arena.alloc('acme', `acme/guest${i}`));
  }
  // Past the account's first SHARED_UNTIL rows and the group's own first ones (in the account's
  // blocks), a group's slots run in sequence within each of its blocks (16, 32, … slots).
  const runs = (slots: number[]) =>
    slots.filter((s, i) => i > 0 && s !== (slots[i - 1] as number) + 1).length;
  expect(runs(alice.slice(2 * SHARED_UNTIL))).toBeLessThanOrEqual(3);
  expect(runs(bob.slice(2 * SHARED_UNTIL))).toBeLessThanOrEqual(3);
  // One-row groups share the account's blocks: their slots run in sequence too, not one block each.
  expect(runs(small.slice(SHARED_UNTIL))).toBeLessThanOrEqual(6);
  // Freeing a group's rows gives its blocks back: another group takes them, and its account's freed slots.
  const before = arena.bytes;
  for (const slot of alice) arena.free(slot);
  for (let i = 0; i < 80; i++) arena.alloc('acme', 'acme/dave');
  expect(arena.bytes).toBe(before);
  await arena.close();
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
      fc.property(fc.integer({ min: 4096, max: count }), fc.integer({ min: 1, max: 40 }), (n, k) => {
        const query = Float32Array.from({ length: dimension }, next);
        const alone = single.nearest(slots.single, n, query, k);
        const split = shared.nearest(slots.shared, n, query, k);
        expect(split).toEqual(alone);
      }),
      { numRuns: 30 },
    );
    expect(shared.activeThreads).toBe(1);
  } finally {
    await shared.close();
  }
  expect(shared.activeThreads).toBe(0);
});
