import fc from 'fast-check';
import { FullTextIndex, tokenize } from './fulltext.js';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'Zanzibar', 'x1', 'ünï', 'é'];

/** BM25 written out plainly over live documents: the reference the index must match. */
function reference(docs: Map<number, string>, query: string, k: number, admitted: (slot: number) => boolean) {
  const parsed = new Map([...docs].map(([slot, text]) => [slot, tokenize(text)]));
  const n = parsed.size;
  const avg = n === 0 ? 1 : [...parsed.values()].reduce((s, d) => s + d.length, 0) / n;
  const scores = new Map<number, number>();
  for (const term of tokenize(query).terms.keys()) {
    const df = [...parsed.values()].filter((d) => d.terms.has(term)).length;
    if (df === 0) continue;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    for (const [slot, d] of parsed) {
      const tf = d.terms.get(term);
      if (tf === undefined || !admitted(slot)) continue;
      const score = (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * d.length) / avg));
      scores.set(slot, (scores.get(slot) ?? 0) + score);
    }
  }
  return [...scores]
    .map(([slot, score]) => ({ slot, score }))
    .sort((a, b) => b.score - a.score || a.slot - b.slot)
    .slice(0, k);
}

const opArb = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    slot: fc.nat(30),
    words: fc.array(fc.constantFrom(...WORDS), { maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('remove' as const), slot: fc.nat(30) }),
);

test('BM25 over the live documents, restricted to the admitted ones, after any adds and removes', () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 80 }),
      fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 10 }),
      fc.nat(3),
      (ops, query, k, modulo) => {
        const index = new FullTextIndex();
        const docs = new Map<number, string>();
        for (const op of ops) {
          if (docs.has(op.slot)) {
            index.remove(op.slot);
            docs.delete(op.slot);
          }
          if (op.kind === 'add') {
            index.add(op.slot, op.words.join(' '));
            docs.set(op.slot, op.words.join(' '));
          }
        }
        const admitted = (slot: number) => modulo === 0 || slot % (modulo + 1) !== 0;
        const got = index.search(query.join(' '), k, admitted);
        const want = reference(docs, query.join(' '), k, admitted);
        expect(got.map((h) => h.slot)).toEqual(want.map((h) => h.slot));
        got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]?.score ?? NaN, 9));
      },
    ),
    { numRuns: 300 },
  );
});

test.each([
  ['Hello, World! hello', ['hello', 'world'], 3],
  ['ÜNÏ café_2 x', ['ünï', 'café_2', 'x'], 3],
  [`${'a'.repeat(41)} b`, ['b'], 1],
  ['', [], 0],
])('tokenize(%j)', (text, terms, length) => {
  const result = tokenize(text);
  expect([...result.terms.keys()]).toEqual(terms);
  expect(result.length).toBe(length);
});
