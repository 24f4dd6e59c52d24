/**
 * The behaviour every `SearchIndex` (src/search/service.ts) must show, as one suite run for each
 * implementation (test/index/search-index.test.ts): both primitives under every filter form (eq, in,
 * subtree, cmp, the empty filter, FALSE), limits, ties, deletes, upsert-replace, levels, the
 * never-short rule (the k best of the records the filter admits: prefiltered, never filtered after a
 * top k), and the same answers as the reference `ScanIndex` — plus, through the search service,
 * `limit` distinct URIs when one file's chunks would fill the fetch.
 */
import { logger } from '../../src/log.js';
import type { PlanName } from '../../src/index/planner.js';
import {
  and,
  cmp,
  DEFAULT_POLICY,
  eq,
  FALSE,
  isIn,
  or,
  subtree,
  TRUE,
  type Expr,
  type IndexRecord,
} from '../../src/policy/index.js';
import { ScanIndex } from '../../src/search/scan-index.js';
import { SearchService, type IndexHit, type SearchIndex, type SearchMode } from '../../src/search/service.js';
import { atAngle, axisEmbedder, DIMENSION, files, QUERY, record, world } from './search-index-world.js';

/** An index under test, with the writes the cases need. */
export interface IndexUnderTest {
  readonly index: SearchIndex;
  /** Inserts or replaces records by id; searches see them once it resolves. */
  upsert(records: readonly IndexRecord[]): Promise<void>;
  /** Deletes the records matching `filter`; searches stop finding them once it resolves. */
  deleteWhere(filter: Expr): Promise<void>;
  close(): Promise<void>;
}

export interface SearchIndexSuite {
  readonly name: string;
  /** A new, empty index of vectors of `dimension` floats. */
  readonly newIndex: (dimension: number) => Promise<IndexUnderTest>;
  /** The plan its vector search must report (so a fallback cannot pass for it). */
  readonly plan: PlanName;
}

const ACME = eq('account_id', 'acme');
const silent = logger.child({}, { level: 'silent' });

const ids = (rows: readonly IndexHit[]): string[] => rows.map((r) => r.id);
const uris = (rows: readonly IndexHit[]): string[] => rows.map((r) => r.uri);
const sorted = (list: readonly string[]): string[] => [...list].sort();

/** Filters the cases query with, each admitting a known part of {@link world}. */
const FILTERS: ReadonlyArray<readonly [string, Expr]> = [
  ['empty filter', TRUE],
  ['eq', ACME],
  ['in', and(ACME, isIn('context_type', ['memory']))],
  ['subtree (segment-wise)', and(ACME, subtree('viking://resources/docs'))],
  ['cmp, inclusive', and(ACME, cmp('updated_at', '>=', 2000), cmp('updated_at', '<=', 3000))],
  ['or of levels', and(ACME, or(and(cmp('level', '>=', 0), cmp('level', '<=', 0)), cmp('level', '>=', 2)))],
  ['null owner', and(ACME, eq('owner_user_id', null))],
];

export function runSearchIndexCases(suite: SearchIndexSuite): void {
  describe(`SearchIndex cases: ${suite.name}`, () => {
    let under: IndexUnderTest;
    let index: SearchIndex;
    const vector = async (filter: Expr, k: number, query = QUERY) => {
      const { rows, plan } = await index.vectorSearch(query, filter, k);
      expect(plan.name).toBe(suite.plan);
      return rows;
    };
    const text = (query: string, filter: Expr, k: number) => index.fullTextSearch(query, filter, k);

    beforeEach(async () => {
      under = await suite.newIndex(DIMENSION);
      index = under.index;
    });
    afterEach(() => under.close());

    test('an empty index answers both primitives with nothing', async () => {
      expect(await vector(TRUE, 10)).toEqual([]);
      expect(await text('alpha', TRUE, 10)).toEqual([]);
    });

    test('answers as the reference ScanIndex under every filter form: same records, order, scores', async () => {
      const reference = new ScanIndex();
      reference.put(world());
      await under.upsert(world());
      for (const [name, filter] of FILTERS) {
        for (const k of [1, 3, 100]) {
          const want = (await reference.vectorSearch(QUERY, filter, k)).rows;
          const got = await vector(filter, k);
          expect({ name, k, ids: ids(got) }).toEqual({ name, k, ids: ids(want) });
          got.forEach((row, i) => expect(row._distance).toBeCloseTo(want[i]?._distance ?? NaN, 5));
          for (const query of ['alpha', 'delta alpha', 'GAMMA tea', 'folder']) {
            const wantText = await reference.fullTextSearch(query, filter, k);
            const view = (rows: readonly IndexHit[]) => rows.map((r) => [r.id, r._score]);
            expect({ name, k, query, hits: view(await text(query, filter, k)) }).toEqual({
              name,
              k,
              query,
              hits: view(wantText),
            });
          }
        }
      }
    });

    test('each filter form admits exactly its records', async () => {
      await under.upsert(world());
      const all = async (filter: Expr) => sorted(uris(await vector(filter, 100)));
      expect(await all(TRUE)).toHaveLength(14);
      expect((await vector(ACME, 100)).every((r) => r.account_id === 'acme')).toBe(true);
      expect(await all(and(ACME, isIn('context_type', ['memory'])))).toEqual([
        'viking://user/alice/memories/m1.md',
        'viking://user/alice/memories/m2.md',
      ]);
      // `docs2/c.md` is not below `docs`; the folder's own records are.
      expect(await all(and(ACME, subtree('viking://resources/docs')))).toEqual([
        'viking://resources/docs',
        'viking://resources/docs',
        'viking://resources/docs/a.md',
        'viking://resources/docs/b.md',
      ]);
      expect(await all(and(ACME, cmp('updated_at', '>=', 2000), cmp('updated_at', '<=', 2000)))).toEqual([
        'viking://resources/docs/b.md',
      ]);
      const levels = await vector(and(ACME, cmp('level', '>=', 0), cmp('level', '<=', 1)), 100);
      expect(levels.map((r) => r.level).sort()).toEqual([0, 1]);
      expect(sorted(uris(await text('alpha', and(ACME, cmp('level', '>=', 1)), 100)))).toEqual([
        'viking://resources/docs/a.md',
        'viking://resources/docs/b.md',
        'viking://resources/docs2/c.md',
      ]);
    });

    test('FALSE (and IN of nothing) admits nothing, in both primitives', async () => {
      await under.upsert(world());
      for (const filter of [FALSE, isIn('account_id', []), and(ACME, eq('account_id', 'beta'))]) {
        expect(await vector(filter, 10)).toEqual([]);
        expect(await text('alpha', filter, 10)).toEqual([]);
      }
    });

    test('hits carry the hit columns and their measure, never the text or the vector', async () => {
      await under.upsert(world());
      const [v] = await vector(ACME, 1);
      const [t] = await text('epsilon', ACME, 1);
      expect(v).toMatchObject({
        uri: 'viking://resources/docs/a.md',
        abstract: 'alpha beta gamma',
        level: 2,
      });
      expect(v?._distance).toBeCloseTo(1 - Math.cos(0.1), 5);
      expect(t).toMatchObject({ uri: 'viking://resources/docs2/c.md', context_type: 'resource' });
      expect(t?._score).toBeGreaterThan(0);
      for (const hit of [v, t]) expect(Object.keys(hit ?? {})).not.toEqual(expect.arrayContaining(['text']));
      for (const hit of [v, t]) expect(hit).not.toHaveProperty('vector');
    });

    test('limits: k rows when more match, all when fewer, best first', async () => {
      await under.upsert(files(12, 'f'));
      for (const k of [1, 5, 12, 50]) {
        const rows = await vector(ACME, k);
        expect(ids(rows)).toEqual(files(Math.min(k, 12), 'f').map((r) => r.id));
        expect(await text('file', ACME, k)).toHaveLength(Math.min(k, 12));
      }
      const distances = (await vector(ACME, 12)).map((r) => r._distance ?? NaN);
      expect(distances).toEqual([...distances].sort((a, b) => a - b));
    });

    test('never short: the k best of what the filter admits, however many better records it excludes', async () => {
      // 300 records of another account nearer the query and fuller of the word than acme's 4.
      await under.upsert(
        files(300, 'near', { account: 'beta', first: 0, step: 0.0001, text: () => 'zeta zeta zeta' }),
      );
      await under.upsert(
        files(4, 'far', { first: 1.2, step: 0.05, text: (i) => `zeta and ${'filler '.repeat(i)}` }),
      );
      expect(ids(await vector(ACME, 4))).toEqual(files(4, 'far').map((r) => r.id));
      expect(await vector(ACME, 3)).toHaveLength(3);
      const found = await text('zeta', ACME, 4);
      expect(sorted(uris(found))).toEqual(sorted(files(4, 'far').map((r) => r.uri)));
      // Shorter texts score higher (BM25 length normalisation).
      expect(uris(found)[0]).toBe('viking://resources/far0.md');
      expect(await text('zeta', ACME, 3)).toHaveLength(3);
    });

    test('ties: equal distances fill k with tied records; equal BM25 scores come lower id first', async () => {
      const tied = ['d', 'a', 'c', 'b'].map((name, i) =>
        record({
          uri: `viking://resources/tie-${name}.md`,
          text: 'same words here',
          vector: atAngle(0.3, 1 + i),
        }),
      );
      await under.upsert([
        ...tied,
        record({ uri: 'viking://resources/best.md', text: 'other', vector: atAngle(0.1) }),
      ]);
      const rows = await vector(ACME, 3);
      expect(uris(rows)[0]).toBe('viking://resources/best.md');
      expect(new Set(ids(rows)).size).toBe(3);
      for (const row of rows.slice(1)) {
        expect(tied.map((r) => r.id)).toContain(row.id);
        expect(row._distance).toBeCloseTo(1 - Math.cos(0.3), 5);
      }
      const hits = await text('same', ACME, 3);
      expect(ids(hits)).toEqual(sorted(tied.map((r) => r.id)).slice(0, 3));
      expect(new Set(hits.map((h) => h._score)).size).toBe(1);
    });

    test('deletes: deleted records are found by neither primitive; the rest stay', async () => {
      await under.upsert(world());
      await under.deleteWhere(and(ACME, subtree('viking://resources/docs')));
      const left = sorted(uris(await vector(ACME, 100)));
      expect(left).not.toContain('viking://resources/docs/a.md');
      expect(left).toContain('viking://resources/docs2/c.md');
      expect(left).toHaveLength(3);
      expect(uris(await text('alpha', ACME, 100))).toEqual(['viking://resources/docs2/c.md']);
      // The other account's records under the same URIs are untouched.
      expect(await vector(eq('account_id', 'beta'), 100)).toHaveLength(7);
      await under.deleteWhere(and(ACME, subtree('viking://resources/nothing-here')));
      expect(await vector(ACME, 100)).toHaveLength(3);
    });

    test('upsert replaces by id: the old text and vector are gone, the record is found once', async () => {
      await under.upsert(files(3, 'f'));
      const [first] = files(1, 'f');
      if (first === undefined) throw new Error('no record');
      await under.upsert([
        { ...first, text: 'rewritten omega', abstract: 'rewritten omega', vector: atAngle(1.4) },
      ]);
      expect(await text('number0', ACME, 10)).toEqual([]);
      expect(ids(await text('omega', ACME, 10))).toEqual([first.id]);
      const rows = await vector(ACME, 10);
      expect(ids(rows)).toEqual([
        ...files(3, 'f')
          .slice(1)
          .map((r) => r.id),
        first.id,
      ]);
      expect(rows[2]?._distance).toBeCloseTo(1 - Math.cos(1.4), 5);
      expect(rows[2]?.abstract).toBe('rewritten omega');
    });

    test.each(['vector', 'fulltext', 'hybrid'] as const)(
      'search (%s): `limit` distinct URIs when one file has more chunks than the fetch',
      async (mode: SearchMode) => {
        const big = Array.from({ length: 60 }, (_, chunk) =>
          record({
            uri: 'viking://resources/big.md',
            chunk,
            text: 'kappa '.repeat(5),
            vector: atAngle(0.01 + chunk * 1e-4),
          }),
        );
        await under.upsert([
          ...big,
          ...files(15, 'small', { first: 0.5, text: (i) => `kappa small ${i} ${'x '.repeat(20)}` }),
        ]);
        const service = new SearchService({ index, embedder: axisEmbedder, log: silent });
        const ctx = {
          role: 'user',
          policy: DEFAULT_POLICY,
          effective: { account_id: 'acme', user_id: 'alice', agent_id: 'bot' },
        } as const;
        const result = await service.search(ctx, { query: 'kappa', limit: 10, mode });
        const found = result.resources.map((h) => h.uri);
        expect(found).toHaveLength(10);
        expect(new Set(found).size).toBe(10);
        expect(found).toContain('viking://resources/big.md');
      },
    );
  });
}
