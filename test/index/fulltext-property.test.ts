/**
 * A property over random corpora (seeded: the same runs every time; `FULLTEXT_SEED=n` tries others):
 * the in-memory full-text index (the mirror, src/index/memory/fulltext.ts) and LanceDB's path
 * (src/index/fulltext-lance.ts, the store with the mirror off) give the same hits in the same order
 * with the same scores, bit for bit — and both equal the reference BM25 (the ScanIndex, memory/bm25.ts).
 * The words mix stems, stop words, accents (composed and decomposed), `_`, ligatures, fullwidth
 * forms, Turkish İ and ı, Greek final sigma, long and over-long Cyrillic words, CJK and digits, in
 * random case, separated by random punctuation; some rows are in LanceDB's full-text index
 * (compacted), others not yet.
 */
import { IndexStore } from '../../src/index/store.js';
import { logger } from '../../src/log.js';
import { and, eq, subtree, type Expr, type IndexRecord } from '../../src/policy/index.js';
import { ScanIndex } from '../../src/search/scan-index.js';
import type { IndexHit } from '../../src/search/service.js';
import { atAngle, DIMENSION, record } from '../helpers/search-index-world.js';
import { tempDir } from '../helpers/temp-dir.js';

const SEED = Number(process.env.FULLTEXT_SEED ?? 20261206);
const RUNS = 24;
const QUERIES_PER_RUN = 6;

/** mulberry32: a small seeded generator of floats in [0, 1). */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CYRILLIC_LONG = 'Высокопревосходительство';
const WORDS: readonly string[] = [
  ...['run', 'runs', 'running', 'runner', 'file', 'files', 'filing', 'index', 'indexes', 'indexing'],
  ...['the', 'a', 'of', 'and', 'is', 'to', 'in', 'it'],
  ...['café', 'cafe', 'cafe\u0301', 'naïve', 'naive', 'résumé', 'resume', 'façade', 'Ærø'],
  ...['foo_bar', 'foo', 'bar', 'snake_case_name', '_private', '__init__'],
  ...['ﬁle', 'ﬂow', 'flow', 'oﬀer', 'offer'],
  ...['ｆｕｌｌ', 'full', 'ＡＢＣ', 'abc', '１２３', '123'],
  ...['İstanbul', 'ISTANBUL', 'istanbul', 'ılık', 'IŞIK', 'İ'],
  ...['ΟΔΟΣ', 'οδος', 'οδός'],
  ...[CYRILLIC_LONG, 'достопримечательность', 'человеконенавистничество', `${CYRILLIC_LONG}${CYRILLIC_LONG}`],
  ...['认证', '相关内容', 'サーバー', '인증서버'],
  ...['42', 'v2', '3.14', 'x'.repeat(40), 'y'.repeat(41)],
];
const SEPARATORS = [' ', ' ', ' ', ', ', '. ', '-', '/', ' — ', '\n', '(', ') '];

interface Random {
  readonly next: () => number;
  int(below: number): number;
  pick<T>(list: readonly T[]): T;
}

function random(seed: number): Random {
  const next = generator(seed);
  const int = (below: number): number => Math.floor(next() * below);
  return { next, int, pick: <T>(list: readonly T[]): T => list[int(list.length)] as T };
}

/** A word in random case: as listed, lower, upper or capitalised. */
function cased(r: Random, word: string): string {
  const form = r.int(4);
  if (form === 1) return word.toLowerCase();
  if (form === 2) return word.toUpperCase();
  if (form === 3) return word.charAt(0).toUpperCase() + word.slice(1);
  return word;
}

/** Words drawn from a part of the vocabulary (so a corpus repeats words, as real text does). */
function text(r: Random, vocabulary: readonly string[], length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += (i === 0 ? '' : r.pick(SEPARATORS)) + cased(r, r.pick(vocabulary));
  return out;
}

/** A corpus of one account: files in two folders, each text 1–30 words. */
function corpus(r: Random, account: string): { records: IndexRecord[]; vocabulary: string[] } {
  const vocabulary = Array.from({ length: 6 + r.int(20) }, () => r.pick(WORDS));
  const records = Array.from({ length: 3 + r.int(30) }, (_, i) =>
    record({
      account,
      uri: `viking://resources/${r.int(2) === 0 ? 'a' : 'b'}/doc${i}.md`,
      text: text(r, vocabulary, 1 + r.int(30)),
      vector: atAngle(0.1),
    }),
  );
  return { records, vocabulary };
}

const view = (rows: readonly IndexHit[]) => rows.map((h) => `${h.id} ${h._score ?? NaN}`);

describe(`in-memory and LanceDB full text agree on random corpora (seed ${SEED})`, () => {
  const dir = tempDir('vs-ftprop-');
  const silent = logger.child({}, { level: 'silent' });
  const embedder = { id: 'test:ftprop', dimension: DIMENSION };
  let memory: IndexStore;
  let lance: IndexStore;

  beforeAll(async () => {
    memory = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes: 2 ** 25, log: silent });
    await memory.whenLoaded();
    lance = await IndexStore.open({ uri: dir.path, embedder, readConsistencySeconds: 0, log: silent });
    expect(memory.memoryStatus()).toMatchObject({ state: 'ready' });
    expect(lance.memoryStatus()).toMatchObject({ state: 'off' });
  });
  afterAll(async () => {
    await lance.close();
    await memory.close();
    dir.remove();
  });

  test.each(Array.from({ length: RUNS }, (_, run) => run))('run %i', async (run) => {
    const r = random(SEED + run * 7919);
    const account = `run${run}`;
    const { records, vocabulary } = corpus(r, account);
    // Every other run: the first part compacted into LanceDB's full-text index, the rest unindexed.
    const split = run % 2 === 0 ? r.int(records.length) : 0;
    await memory.upsert(records.slice(0, split));
    if (split > 0) await memory.optimize();
    await memory.upsert(records.slice(split));
    const reference = new ScanIndex();
    reference.put(records);

    const own = eq('account_id', account);
    const filters: Array<readonly [string, Expr]> = [
      ['account', own],
      ['folder a', and(own, subtree('viking://resources/a'))],
    ];
    let found = 0;
    for (let q = 0; q < QUERIES_PER_RUN; q++) {
      // Mostly the corpus's words; sometimes any word (perhaps absent), sometimes two or three.
      const words = Array.from({ length: 1 + r.int(3) }, () => r.pick(r.int(4) === 0 ? WORDS : vocabulary));
      const query = words.map((w) => cased(r, w)).join(r.pick([' ', ', ', ' and ']));
      const k = 1 + r.int(40);
      for (const [name, filter] of filters) {
        const [m, l, ref] = await Promise.all([
          memory.fullTextSearch(query, filter, k),
          lance.fullTextSearch(query, filter, k),
          reference.fullTextSearch(query, filter, k),
        ]);
        const at = { seed: SEED, run, query, filter: name, k };
        expect({ ...at, hits: view(l) }).toEqual({ ...at, hits: view(m) });
        expect({ ...at, hits: view(ref) }).toEqual({ ...at, hits: view(m) });
        found += m.length;
      }
    }
    // The property is not vacuous: the queries find something.
    expect(found).toBeGreaterThan(0);
  });
});
