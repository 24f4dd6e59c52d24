import fc from 'fast-check';
import { FullTextIndex, tokenize, type TextPlan } from './fulltext.js';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'Zanzibar', 'x1', 'ünï', 'é'];

/**
 * BM25 written out plainly, with statistics over the admitted documents (N, df, and the average
 * length of those holding a query word): the reference the index must match.
 */
function reference(docs: Map<number, string>, query: string, k: number, admitted: (slot: number) => boolean) {
  const parsed = new Map(
    [...docs].filter(([slot]) => admitted(slot)).map(([slot, text]) => [slot, tokenize(text)]),
  );
  const terms = [...tokenize(query).terms.keys()];
  const matching = [...parsed.values()].filter((d) => terms.some((t) => d.terms.has(t)));
  const avg = matching.reduce((s, d) => s + d.length, 0) / matching.length;
  const scores = new Map<number, number>();
  for (const term of terms) {
    const df = matching.filter((d) => d.terms.has(term)).length;
    if (df === 0) continue;
    const idf = Math.log(1 + (parsed.size - df + 0.5) / (df + 0.5));
    for (const [slot, d] of parsed) {
      const tf = d.terms.get(term);
      if (tf === undefined) continue;
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

const PLANS: readonly TextPlan[] = ['auto', 'postings', 'forward'];

/** A full-text index and the plain texts it should hold, changed together. */
class Both {
  readonly index = new FullTextIndex();
  readonly docs = new Map<number, string>();

  set(slot: number, text: string | null): void {
    if (this.docs.has(slot)) {
      this.index.remove(slot);
      this.docs.delete(slot);
    }
    if (text !== null) {
      this.index.add(slot, this.index.analyze([text]), 0);
      this.docs.set(slot, text);
    }
    this.index.settle();
  }

  /** Every plan's answer, checked against the reference and (bit for bit) against each other. */
  check(query: string, k: number, admitted: (slot: number) => boolean): void {
    const slots = Int32Array.from([...this.docs.keys()].filter(admitted));
    const want = reference(this.docs, query, k, admitted);
    const answers = PLANS.map((plan) => this.index.search(query, k, slots, slots.length, plan));
    for (const got of answers) {
      expect(got.map((h) => h.slot)).toEqual(want.map((h) => h.slot));
      got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]?.score ?? NaN, 9));
      expect(got).toEqual(answers[0]);
    }
  }
}

test('BM25 over the live documents, restricted to the admitted ones, after any adds and removes', () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 80 }),
      fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 10 }),
      fc.nat(3),
      (ops, query, k, modulo) => {
        const both = new Both();
        for (const op of ops) both.set(op.slot, op.kind === 'add' ? op.words.join(' ') : null);
        both.check(query.join(' '), k, (slot) => modulo === 0 || slot % (modulo + 1) !== 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('records added in one batch, replaced by records sharing their words, and a discarded analysis', () => {
  const both = new Both();
  const index = both.index;
  const texts = ['alpha beta', 'beta gamma gamma', 'alpha'];
  const analyzed = index.analyze(texts);
  texts.forEach((text, i) => {
    index.add(i, analyzed, i);
    both.docs.set(i, text);
  });
  index.settle();
  // A replacement is added before the old record goes: the words they share must survive.
  index.add(3, index.analyze(['alpha beta']), 0);
  index.remove(0);
  both.docs.delete(0);
  both.docs.set(3, 'alpha beta');
  index.settle();
  index.discard(index.analyze(['zanzibar alpha']));
  index.settle();
  both.check('alpha beta gamma zanzibar', 10, () => true);
  expect(index.search('zanzibar', 10, Int32Array.of(1, 2, 3), 3)).toEqual([]);
});

test('heavy churn (pool compaction and tombstone sweeps) keeps the answers exact', () => {
  const both = new Both();
  let seed = 7;
  const next = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 8) % n;
  for (let round = 0; round < 12_000; round++) {
    const slot = next(2_000);
    const text = Array.from({ length: 1 + next(6) }, () => WORDS[next(WORDS.length)] as string);
    both.set(slot, next(4) === 0 ? null : [...text, `u${round}`].join(' '));
  }
  both.check('alpha gamma Zanzibar', 25, (slot) => slot % 3 !== 0);
  both.check('x1 é', 25, () => true);
});
