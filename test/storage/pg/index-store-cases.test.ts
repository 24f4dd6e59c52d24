/**
 * PgIndexStore (distributed mode's index) passes the shared SearchIndex cases
 * (test/helpers/search-index-cases.ts) on PostgreSQL 15 twice: with its in-memory cache on (the
 * `memory` plan: the cache caught up after each write) and with it off (every search is
 * PgSearchIndex's exact scan) — the same answers as the reference and the other indexes.
 */
import { logger } from '../../../src/log.js';
import { PgIndexStore } from '../../../src/index/pg-store.js';
import { poolDatabase, type SqlDatabase } from '../../../src/storage/pg/sql.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { runSearchIndexCases, type IndexUnderTest } from '../../helpers/search-index-cases.js';

const silent = logger.child({}, { level: 'silent' });
let pgDb: TestDatabase;
let db: SqlDatabase;

beforeAll(async () => {
  pgDb = await createTestDatabase();
  db = poolDatabase(pgDb.pool);
});
afterAll(() => pgDb.drop());

/** A store on an emptied database; with a budget its writes are followed by `caughtUp()`. */
async function store(dimension: number, memoryBudgetBytes: number): Promise<IndexUnderTest> {
  await db.query('TRUNCATE index_records, index_meta');
  await db.query('UPDATE index_records_horizon SET purged_seq = 0');
  const index = await PgIndexStore.open({
    db,
    embedder: { id: 'test:cases', dimension },
    memoryBudgetBytes,
    tombstones: false,
    log: silent,
  });
  await index.whenLoaded();
  return {
    index,
    upsert: async (records) => {
      await index.upsert(records);
      await index.caughtUp();
    },
    deleteWhere: async (filter) => {
      await index.deleteWhere(filter);
      await index.caughtUp();
    },
    close: () => index.close(),
  };
}

runSearchIndexCases({
  name: 'PgIndexStore, in-memory cache',
  plan: 'memory',
  newIndex: (d) => store(d, 2 ** 24),
});
runSearchIndexCases({
  name: 'PgIndexStore, cache off (PostgreSQL exact scan)',
  plan: 'pg-exact',
  newIndex: (d) => store(d, 0),
});
