import { packGraph, reviveGraph } from './snapshot-graph.js';

test('restored typed arrays own their bytes: none keeps the whole section alive', () => {
  const arrays = Array.from({ length: 8 }, (_, i) => new Int32Array(50_000).fill(i));
  const { bytes } = packGraph({
    arrays,
    times: new Float64Array([1.5, 2.5]),
    text: new Uint8Array([104, 105]),
  });
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
