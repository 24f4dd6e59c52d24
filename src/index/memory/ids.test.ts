import fc from 'fast-check';
import { IdTable } from './ids.js';

/** An id table over ids kept in an array by slot, checked against a Map. */
function tables(): { table: IdTable; byId: Map<string, number>; idOf: string[] } {
  const idOf: string[] = [];
  return { table: new IdTable({ keyIs: (slot, id) => idOf[slot] === id }), byId: new Map(), idOf };
}

describe('IdTable', () => {
  test('agrees with a Map through random sets, replacements and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 })), { maxLength: 1500 }),
        (ops) => {
          const { table, byId, idOf } = tables();
          let next = 0;
          for (const [put, n] of ops) {
            const id = `id-${n}`;
            if (put) {
              const slot = next++;
              idOf[slot] = id;
              table.set(id, slot);
              byId.set(id, slot);
            } else {
              expect(table.delete(id)).toBe(byId.get(id));
              byId.delete(id);
            }
          }
          expect(table.size).toBe(byId.size);
          for (let n = 0; n <= 400; n++) expect(table.get(`id-${n}`)).toBe(byId.get(`id-${n}`));
        },
      ),
      { numRuns: 30 },
    );
  });

  test('grows and shrinks with the ids it holds', () => {
    const { table, idOf } = tables();
    const small = table.bytes;
    for (let i = 0; i < 100_000; i++) {
      idOf[i] = `x${i}`;
      table.set(`x${i}`, i);
    }
    const big = table.bytes;
    for (let i = 0; i < 100_000; i += 2) expect(table.delete(`x${i}`)).toBe(i);
    for (let i = 0; i < 100_000; i++) expect(table.get(`x${i}`)).toBe(i % 2 === 0 ? undefined : i);
    for (let i = 1; i < 100_000; i += 2) table.delete(`x${i}`);
    expect(table.size).toBe(0);
    expect(big).toBeGreaterThan(small * 100);
    // The slot-hash column stays sized for the slots seen; the table itself shrinks back.
    expect(table.bytes).toBeLessThan(big / 2);
  });
});
