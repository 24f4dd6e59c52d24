/** The pipeline's journal contract (test/indexing/pipeline-suite.ts) on PostgreSQL's `index_jobs`. */
import { PgJournal } from '../../../src/storage/pg/journal.js';
import { poolDatabase } from '../../../src/storage/pg/sql.js';
import { pipelineSuite } from '../../indexing/pipeline-suite.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());
beforeEach(() => db.pool.query('TRUNCATE index_jobs'));

pipelineSuite({ open: () => new PgJournal(poolDatabase(db.pool), { pool: db.pool }) });
