/**
 * openIndex with a pool opens the index on PostgreSQL (distributed mode): the records' embedder is
 * recorded there, a restart with the same embedder finds what was written, another embedder is
 * refused with the rebuild command, and `reset` replaces it.
 */
import { PgIndexStore } from '../../../src/index/pg-store.js';
import { loadConfig } from '../../../src/config.js';
import { logger } from '../../../src/log.js';
import { eq } from '../../../src/policy/index.js';
import { openIndex } from '../../../src/wiring/open-index.js';
import { record } from '../../helpers/index-record.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { HashEmbedder } from '../../helpers/test-embedder.js';

const silent = logger.child({}, { level: 'silent' });
let db: TestDatabase;
const dir = tempDir('vs-open-pg-');
const config = loadConfig({ DATA_DIR: dir.path, EMBEDDER: 'builtin', SEARCH_MEMORY_MB: '16' });

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  dir.remove();
});

test('with a pool the index is PostgreSQL’s; its embedder is kept and another refused until reset', async () => {
  const first = await openIndex(config, silent, { pool: db.pool, embedder: new HashEmbedder(3) });
  expect(first.store).toBeInstanceOf(PgIndexStore);
  expect(first.store.localTable).toBeNull();
  await first.store.upsert([record('kept')]);
  await first.store.close();

  const again = await openIndex(config, silent, { pool: db.pool, embedder: new HashEmbedder(3) });
  await again.store.whenLoaded();
  expect(await again.store.countRows(eq('account_id', 'acme'))).toBe(1);
  expect(again.store.memoryStatus()).toMatchObject({ state: 'ready', records: 1 });
  await again.store.close();

  await expect(
    openIndex(config, silent, { pool: db.pool, embedder: new HashEmbedder(8) }),
  ).rejects.toMatchObject({
    code: 'FAILED_PRECONDITION',
    message: expect.stringContaining('reindex'),
  });

  const reset = await openIndex(config, silent, {
    pool: db.pool,
    embedder: new HashEmbedder(8),
    reset: true,
  });
  expect(await reset.store.countRows()).toBe(0);
  expect(await PgIndexStore.storedIdentity(db.pool)).toEqual({ id: 'test:hash-8', dimension: 8 });
  await reset.store.close();
});
