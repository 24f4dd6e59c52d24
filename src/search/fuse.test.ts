import { bestPerKey, reciprocalRankFusion, RRF_K } from './fuse.js';

test('an item first in every list scores 1; items in both lists beat items in one', () => {
  const fused = reciprocalRankFusion(
    [
      { reason: 'vector', items: ['a', 'b', 'c'] },
      { reason: 'fulltext', items: ['a', 'c'] },
    ],
    (x) => x,
  );
  expect(fused.map((f) => f.item)).toEqual(['a', 'c', 'b']);
  expect(fused[0]?.score).toBeCloseTo(1);
  expect(fused[0]?.reasons).toEqual(['vector', 'fulltext']);
  expect(fused[2]?.score).toBeCloseTo(1 / (RRF_K + 2) / (2 / (RRF_K + 1)));
});

test('bestPerKey keeps the best entry per key, sorted', () => {
  const ranked = [
    { item: { uri: 'x', n: 1 }, score: 0.2, reasons: [] },
    { item: { uri: 'y', n: 2 }, score: 0.5, reasons: [] },
    { item: { uri: 'x', n: 3 }, score: 0.9, reasons: [] },
  ];
  expect(bestPerKey(ranked, (i) => i.uri).map((r) => r.item.n)).toEqual([3, 2]);
});
