/**
 * Issue 23 item 5 in distributed mode: a process's cache (PgCache) takes in a page of record changes
 * in time slices — other requests get turns of the event loop meanwhile — and a search between two
 * slices sees all of the page or none of it (its deletes included). The seq the cache reflects
 * advances only once the page is visible, so a search that needs it goes to PostgreSQL until then;
 * within a page the last change of an id wins.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { PgCache, type PgCacheOptions } from '../../../src/index/pg-cache.js';
import { logger } from '../../../src/log.js';
import { eq } from '../../../src/policy/index.js';
import { PgRecords, type RecordChange } from '../../../src/storage/pg/records.js';
import { poolDatabase, type SqlDatabase } from '../../../src/storage/pg/sql.js';
import { record } from '../../helpers/index-record.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

const silent = logger.child({}, { level: 'silent' });
const ACME = eq('account_id', 'acme');
const FILE_A = 'viking://resources/a.md';
const FILE_B = 'viking://resources/b.md';

let pgDb: TestDatabase;
let db: SqlDatabase;
let records: PgRecords;
const open: PgCache[] = [];

beforeAll(async () => {
  pgDb = await createTestDatabase();
  db = poolDatabase(pgDb.pool);
  records = new PgRecords(db);
});
afterAll(() => pgDb.drop());
beforeEach(async () => {
  await db.query('TRUNCATE index_records');
  await db.query('UPDATE index_records_horizon SET purged_seq = 0');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A loaded cache that reads changes only when poked (polling set far off, no LISTEN). */
async function openCache(options: Partial<PgCacheOptions> = {}): Promise<PgCache> {
  const cache = new PgCache({
    db,
    records,
    dimension: 3,
    budgetBytes: 2 ** 22,
    threads: 0,
    pollMs: 600_000,
    log: silent,
    ...options,
  });
  open.push(cache);
  await cache.whenLoaded();
  return cache;
}

const reflects = (cache: PgCache): number => Number(cache.describe()['reflects_seq']);

/** `records` whose `changesSince` calls `onRead` once it read a non-empty page. */
function watched(onRead: () => void): PgRecords {
  return Object.assign(Object.create(records) as PgRecords, {
    changesSince: async (since: number, limit: number) => {
      const result = await records.changesSince(since, limit);
      if (result.kind === 'changes' && result.changes.length > 0) onRead();
      return result;
    },
  });
}

test('a page is applied while the event loop turns; searches needing it go to PostgreSQL until all of it is visible', async () => {
  let turns = 0;
  let readAt = -1;
  const cache = await openCache({ records: watched(() => (readAt = turns)), slices: { sliceMs: 0 } });
  const head = await records.upsert(Array.from({ length: 300 }, (_, i) => record(`r${i}`)));
  cache.wrote(head);
  let during = 0;
  while (reflects(cache) < head) {
    await nextTurn();
    turns += 1;
    if (readAt < 0 || reflects(cache) >= head) continue;
    during += 1;
    // The cache does not reflect this process's write yet: no search may use it.
    expect(cache.usable()).toBeNull();
  }
  expect(during).toBeGreaterThan(10);
  expect(cache.usable()?.count(ACME)).toBe(300);
});

test('a search between two slices sees all of a page (upserts and deletes) or none of it', async () => {
  const before = [
    ...Array.from({ length: 100 }, (_, i) => record(`a${i}`, { uri: FILE_A, text: 'old words' })),
    ...Array.from({ length: 40 }, (_, i) => record(`b${i}`, { uri: FILE_B })),
  ];
  await records.upsert(before);
  const observed = new Set<string>();
  const seqs = new Set<number>();
  // Set once loaded: the load's own slices are not looked at.
  const loadedCache: { cache?: PgCache } = {};
  const look = (): void => {
    const cache = loadedCache.cache;
    if (cache === undefined) return;
    const index = cache.usable();
    if (index === null) throw new Error('the cache stopped answering while it applied a page');
    seqs.add(reflects(cache));
    const a = index.count(eq('uri', FILE_A));
    const b = index.count(eq('uri', FILE_B));
    const old = index.fullText('old', ACME, 1000).length;
    const fresh = index.fullText('new', ACME, 1000).length;
    observed.add(`${a} a (${old} old, ${fresh} new), ${b} b, size ${index.size}`);
  };
  const cache = await openCache({ slices: { sliceMs: 0, pause: () => Promise.resolve(look()) } });
  loadedCache.cache = cache;
  const loaded = reflects(cache);
  observed.clear();
  // The file rewritten with 20 more chunks, the other deleted: one page of 160 changes.
  await records.upsert(
    Array.from({ length: 120 }, (_, i) => record(`a${i}`, { uri: FILE_A, text: 'new words' })),
  );
  const { last } = await records.delete(eq('uri', FILE_B));
  cache.wrote(1); // a poke; this process needs nothing newer than the cache reflects
  while (reflects(cache) < last) await nextTurn();

  expect(observed).toEqual(
    new Set(['100 a (100 old, 0 new), 40 b, size 140', '120 a (0 old, 120 new), 0 b, size 120']),
  );
  expect(seqs).toEqual(new Set([loaded]));
  look();
  expect([...observed].at(-1)).toBe('120 a (0 old, 120 new), 0 b, size 120');
});

test('within a page the last change of an id wins', async () => {
  await records.upsert([record('x', { text: 'x first' }), record('y', { text: 'y first' })]);
  let page: RecordChange[] | null = null;
  const cache = await openCache({
    records: Object.assign(Object.create(records) as PgRecords, {
      changesSince: (since: number, limit: number) => {
        if (page === null) return records.changesSince(since, limit);
        const changes = page;
        page = null;
        return Promise.resolve({ kind: 'changes', changes, last: changes.at(-1)?.seq ?? since });
      },
    }),
  });
  const s = reflects(cache);
  page = [
    { seq: s + 1, kind: 'upsert', record: record('x', { text: 'x second' }) },
    { seq: s + 2, kind: 'delete', id: 'x' },
    { seq: s + 3, kind: 'delete', id: 'y' },
    { seq: s + 4, kind: 'upsert', record: record('y', { text: 'y third' }) },
  ];
  cache.wrote(s + 4);
  while (reflects(cache) < s + 4) await nextTurn();
  const index = cache.usable();
  expect(index?.has('x')).toBe(false);
  expect(index?.fullText('third', ACME, 10).map((h) => h.row.id)).toEqual(['y']);
  expect(index?.fullText('first', ACME, 10)).toEqual([]);
  expect(index?.size).toBe(1);
});
