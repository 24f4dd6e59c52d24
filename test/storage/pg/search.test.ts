/**
 * Search on PostgreSQL's records gives the same hits as the reference indexes on the same records:
 * vectors as ScanIndex (exact cosine), full text as the in-memory index (BM25 over the caller's
 * view, bit for bit) and with ScanIndex's hit set — through pgvector's `<=>` (PGlite with the vector
 * extension) and through the exact scan (PostgreSQL 15 here, which has no pgvector, and PGlite with
 * pgvector switched off). Deleted records (tombstones) are never found.
 */
import type { PGlite } from '@electric-sql/pglite';
import { IndexStore } from '../../../src/index/store.js';
import {
  and,
  cmp,
  eq,
  FALSE,
  isIn,
  or,
  subtree,
  TRUE,
  type Expr,
  type IndexRecord,
} from '../../../src/policy/index.js';
import { ScanIndex } from '../../../src/search/scan-index.js';
import { PgRecords } from '../../../src/storage/pg/records.js';
import { PgSearchIndex } from '../../../src/storage/pg/search.js';
import { poolDatabase } from '../../../src/storage/pg/sql.js';
import { record } from '../../helpers/index-record.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { pgliteWithIndex } from '../../helpers/pglite.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { HashEmbedder } from '../../helpers/test-embedder.js';

const DIM = 8;
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'café', 'foo_bar', 'ﬁle', 'İstanbul', 'the', 'run'];

/** A seeded generator (mulberry32): the same records and queries every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = random(24);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
const vec = () => Float32Array.from({ length: DIM }, () => rnd() * 2 - 1);

const SPACES = [
  { scope: 'resources', folder: 'resources/a_b', user: null, agent: null },
  { scope: 'resources', folder: 'resources/axb', user: null, agent: null },
  { scope: 'resources', folder: "resources/it's 50%", user: null, agent: null },
  { scope: 'user', folder: 'user/alice/memories', user: 'alice', agent: null },
  { scope: 'user', folder: 'user/bob/memories', user: 'bob', agent: null },
  { scope: 'agent', folder: 'agent/bot/memories', user: null, agent: 'bot' },
] as const;

const ALL: IndexRecord[] = Array.from({ length: 240 }, (_, i) => {
  const space = pick(SPACES);
  const text = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => pick(WORDS)).join(' ');
  return record(`r${String(i).padStart(3, '0')}`, {
    account_id: pick(['acme', 'globex']),
    uri: `viking://${space.folder}/f${i % 17}.md`,
    scope: space.scope,
    owner_user_id: space.user,
    owner_agent_id: space.agent,
    level: i % 3,
    chunk_index: i % 4,
    text,
    abstract: text,
    vector: vec(),
  });
});
const DELETED = and(eq('account_id', 'acme'), subtree('viking://resources/axb'));
const LIVE = ALL.filter((r) => !(r.account_id === 'acme' && r.uri.startsWith('viking://resources/axb/')));

const FILTERS: ReadonlyArray<readonly [string, Expr]> = [
  ['one account', eq('account_id', 'acme')],
  [
    'a visibility',
    and(
      eq('account_id', 'acme'),
      or(isIn('scope', ['resources']), and(eq('scope', 'user'), eq('owner_user_id', 'alice'))),
    ),
  ],
  ['a subtree whose name holds _', and(eq('account_id', 'globex'), subtree('viking://resources/a_b'))],
  ['a hostile subtree', subtree("viking://resources/it's 50%")],
  ['levels', and(eq('account_id', 'globex'), cmp('level', '>=', 1), cmp('level', '<=', 1.5))],
  ['the deleted region', DELETED],
  ['everything', TRUE],
  ['nothing', FALSE],
];
const QUERIES = ['alpha', 'beta gamma', 'café', 'foo_bar', 'file', 'istanbul the', 'zzz'];

let pgDb: TestDatabase;
let lite: PGlite;
const dir = tempDir('vs-pgsearch-');
let memory: IndexStore;
const scan = new ScanIndex();
const backends: Array<[string, PgSearchIndex]> = [];

beforeAll(async () => {
  pgDb = await createTestDatabase();
  lite = await pgliteWithIndex();
  for (const [name, db, pgvector] of [
    ['PostgreSQL 15, exact scan', poolDatabase(pgDb.pool), undefined],
    ['PGlite, pgvector', lite, undefined],
    ['PGlite, exact scan', lite, false],
  ] as const) {
    if (pgvector === undefined) {
      const records = new PgRecords(db);
      await records.upsert(ALL);
      expect(await records.deleteWhere(DELETED)).toBe(ALL.length - LIVE.length);
    }
    const index = await PgSearchIndex.open(db, {
      scanBatch: 50,
      ...(pgvector === undefined ? {} : { pgvector }),
    });
    backends.push([name, index]);
  }
  expect(backends.map(([, index]) => index.plan)).toEqual(['pg-exact', 'pg-vector', 'pg-exact']);
  scan.put(LIVE);
  memory = await IndexStore.open({
    uri: dir.path,
    embedder: new HashEmbedder(DIM),
    memoryBudgetBytes: 2 ** 24,
  });
  await memory.whenLoaded();
  await memory.upsert(LIVE);
});
afterAll(async () => {
  await memory.close();
  await lite.close();
  await pgDb.drop();
  dir.remove();
});

const ids = (rows: ReadonlyArray<{ id: string }>) => rows.map((r) => r.id);

describe.each(FILTERS)('under %s', (_name, filter) => {
  test('vector search finds what ScanIndex finds, in its order, on every backend', async () => {
    for (let q = 0; q < 3; q++) {
      const query = vec();
      const want = (await scan.vectorSearch(query, filter, 7)).rows;
      for (const [name, index] of backends) {
        const got = (await index.vectorSearch(query, filter, 7)).rows;
        expect({ name, ids: ids(got) }).toEqual({ name, ids: ids(want) });
        got.forEach((hit, i) => expect(hit._distance).toBeCloseTo(want[i]?._distance as number, 5));
        expect(got).toEqual(got.map((hit, i) => ({ ...want[i], _distance: hit._distance })));
      }
    }
  });

  test('full-text search scores as the in-memory index and finds what ScanIndex finds', async () => {
    for (const query of QUERIES) {
      const want = (await memory.fullTextSearch(query, filter, 10)).map((h) => ({
        id: h.id,
        score: h._score,
      }));
      const all = new Set(ids(await scan.fullTextSearch(query, filter, 1000)));
      for (const [name, index] of backends) {
        const got = await index.fullTextSearch(query, filter, 10);
        expect({ name, query, hits: got.map((h) => ({ id: h.id, score: h._score })) }).toEqual({
          name,
          query,
          hits: want,
        });
        const every = await index.fullTextSearch(query, filter, 1000);
        expect(new Set(ids(every))).toEqual(all);
      }
    }
  });
});

test('searches with k = 0 or no query words return nothing', async () => {
  for (const [, index] of backends) {
    expect((await index.vectorSearch(vec(), TRUE, 0)).rows).toEqual([]);
    expect(await index.fullTextSearch('!!! ...', TRUE, 5)).toEqual([]);
  }
});
