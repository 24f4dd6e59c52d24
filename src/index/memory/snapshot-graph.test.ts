import { types } from 'node:util';
import { packGraph, reviveGraph, reviveGraphInTurns } from './snapshot-graph.js';

test('restored typed arrays own their bytes: none keeps the whole section alive', () => {
  const arrays = Array.from({ length: 8 }, (_, i) => new Int32Array(50_000).fill(i));
  const { bytes, arrays: apart } = packGraph(
    { arrays, times: new Float64Array([1.5, 2.5]), text: new Uint8Array([104, 105]) },
    Number.POSITIVE_INFINITY,
  );
  expect(apart).toEqual([]);
  const root = reviveGraph(bytes, new Map());
  const data = root as { arrays: Int32Array[]; times: Float64Array; text: Uint8Array };
  expect(data.arrays.map((a) => a[49_999])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect([...data.times]).toEqual([1.5, 2.5]);
  expect([...data.text]).toEqual([104, 105]);
  // Node's own deserializer gives aligned arrays a view into `bytes` (their buffer is all of it).
  for (const view of [...data.arrays, data.times, data.text]) {
    expect(view.buffer).not.toBe(bytes.buffer);
    expect(view.buffer.byteLength).toBe(view.byteLength);
  }
});

test('large typed arrays are left out of the serialization and handed back in at revival', () => {
  const big = new Float32Array(40_000).fill(0.5);
  const shared = new Uint32Array(20_000).fill(7);
  const small = new Int16Array([1, 2, 3]);
  const { bytes, arrays } = packGraph({ big, pair: [shared, shared], small }, 64 * 1024);
  // The same array twice is written once; small ones stay in the serialization.
  expect(arrays).toEqual([big, shared]);
  expect(arrays[0]).toBe(big);
  expect(bytes.byteLength).toBeLessThan(1024);
  const copies = arrays.map((a) => a.slice());
  const root = reviveGraph(bytes, new Map(), copies) as {
    big: Float32Array;
    pair: Uint32Array[];
    small: Int16Array;
  };
  expect(root.big).toBe(copies[0]);
  expect(root.pair[0]).toBe(copies[1]);
  expect(root.pair[1]).toBe(copies[1]);
  expect([...root.small]).toEqual([1, 2, 3]);
  // Revived without the arrays it refers to: refused, not filled with anything else.
  expect(() => reviveGraph(bytes, new Map(), copies.slice(0, 1))).toThrow(/no array 1 apart/);
});

test('a large array of object references is written as the objects once and their positions, put back a slice per turn', async () => {
  const nodes = Array.from({ length: 50 }, (_, i) => ({ i, tags: [i] }));
  const bySlot = Array.from({ length: 300_000 }, (_, i) => (i % 7 === 0 ? undefined : nodes[i % 50]));
  const { bytes, arrays } = packGraph({ bySlot, nodes });
  // Not 300,000 references in the serialization: an Int32Array of positions, written apart.
  expect(bytes.byteLength).toBeLessThan(4096);
  const positions = arrays.findIndex((a) => types.isInt32Array(a) && a.length === 300_000);
  expect(positions).toBeGreaterThanOrEqual(0);
  let turns = 0;
  const turn = () => {
    turns++;
    return Promise.resolve();
  };
  type Root = { bySlot: Array<{ i: number } | undefined>; nodes: Array<{ i: number }> };
  const root = (await reviveGraphInTurns(bytes, new Map(), arrays, [], turn)) as Root;
  expect(turns).toBeGreaterThanOrEqual(2);
  expect(root.bySlot.map((node) => node?.i)).toEqual(bySlot.map((node) => node?.i));
  // The same objects as the rest of the graph holds, not copies.
  expect(root.bySlot[1]).toBe(root.nodes[1]);
  expect(root.bySlot[51]).toBe(root.nodes[1]);
  expect(root.bySlot[7]).toBeUndefined();
  // A position naming no object refuses the graph.
  const spoiled = arrays.map((a) => a.slice());
  (spoiled[positions] as Int32Array)[3] = 99;
  expect(() => reviveGraph(bytes, new Map(), spoiled)).toThrow(/no object 99 in a column/);
});
