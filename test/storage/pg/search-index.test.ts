/**
 * PgSearchIndex passes the shared SearchIndex cases (test/helpers/search-index-cases.ts) on each of
 * its plans: the exact scan on PostgreSQL 15 (no pgvector here), pgvector's `<=>` on PGlite with the
 * vector extension, and the exact scan on PGlite. Writes go through PgRecords (tombstones for
 * deletes); each case starts from an empty table.
 */
import type { PGlite } from '@electric-sql/pglite';
import { PgRecords } from '../../../src/storage/pg/records.js';
import { PgSearchIndex } from '../../../src/storage/pg/search.js';
import { poolDatabase, type SqlDatabase } from '../../../src/storage/pg/sql.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { pgliteWithIndex } from '../../helpers/pglite.js';
import { runSearchIndexCases, type IndexUnderTest } from '../../helpers/search-index-cases.js';

let pgDb: TestDatabase;
let lite: PGlite;

beforeAll(async () => {
  pgDb = await createTestDatabase();
  lite = await pgliteWithIndex();
});
afterAll(async () => {
  await lite.close();
  await pgDb.drop();
});

async function pgIndex(db: SqlDatabase, pgvector?: boolean): Promise<IndexUnderTest> {
  await db.query('TRUNCATE index_records');
  await db.query('UPDATE index_records_horizon SET purged_seq = 0');
  const records = new PgRecords(db);
  const index = await PgSearchIndex.open(db, pgvector === undefined ? {} : { pgvector });
  return {
    index,
    upsert: async (batch) => void (await records.upsert(batch)),
    deleteWhere: async (filter) => void (await records.deleteWhere(filter)),
    close: () => Promise.resolve(),
  };
}

runSearchIndexCases({
  name: 'PgSearchIndex, PostgreSQL 15 exact scan',
  plan: 'pg-exact',
  newIndex: () => pgIndex(poolDatabase(pgDb.pool)),
});
runSearchIndexCases({
  name: 'PgSearchIndex, PGlite pgvector',
  plan: 'pg-vector',
  newIndex: () => pgIndex(lite),
});
runSearchIndexCases({
  name: 'PgSearchIndex, PGlite exact scan',
  plan: 'pg-exact',
  newIndex: () => pgIndex(lite, false),
});
