import fc from 'fast-check';
import { IdHashSet } from './id-set.js';

test('every id added is held, through growth; ids never added are not (for these)', () => {
  const set = new IdHashSet();
  const ids = Array.from({ length: 50_000 }, (_, i) => `acme:viking://resources/doc${i}.md:0:2`);
  ids.forEach((id) => set.add(id));
  ids.slice(0, 1000).forEach((id) => set.add(id));
  expect(set.size).toBe(ids.length);
  expect(ids.every((id) => set.mayHold(id))).toBe(true);
  const others = Array.from({ length: 50_000 }, (_, i) => `acme:viking://resources/other${i}.md:0:2`);
  expect(others.filter((id) => set.mayHold(id))).toEqual([]);
});

test('agrees with a Set on any strings, the empty one included', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary' })), fc.array(fc.string()), (added, probed) => {
      const set = new IdHashSet();
      const reference = new Set(added);
      added.forEach((id) => set.add(id));
      expect(set.size).toBe(reference.size);
      for (const id of [...added, ...probed]) if (reference.has(id)) expect(set.mayHold(id)).toBe(true);
    }),
  );
});
