import fc from 'fast-check';
import { SlotSorter } from './sort.js';

test('sorts any prefix of non-negative int32 slots exactly as a comparison sort does', () => {
  const sorter = new SlotSorter();
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.nat(70_000), fc.nat(2 ** 31 - 1)), { maxLength: 3000 }),
      fc.nat(),
      (values, cut) => {
        const n = values.length === 0 ? 0 : cut % (values.length + 1);
        const slots = Int32Array.from(values);
        sorter.sort(slots, n);
        const expected = [...values.slice(0, n)].sort((a, b) => a - b);
        expect([...slots.subarray(0, n)]).toEqual(expected);
        expect([...slots.subarray(n)]).toEqual(values.slice(n));
      },
    ),
    { numRuns: 200 },
  );
});
