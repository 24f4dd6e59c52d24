import { createPool, type Pool } from '../../src/storage/pg/pool.js';
import { PgUploadStorage } from '../../src/storage/pg/uploads.js';
import { createTestDatabase } from '../helpers/pg.js';
import { uploadDirs, uploadStorageSuite } from './upload-suite.js';

uploadStorageSuite('PostgreSQL (distributed mode)', async () => {
  const db = await createTestDatabase();
  const dirs = uploadDirs();
  const pools: Pool[] = [];
  return {
    storage: new PgUploadStorage(db.pool),
    dir: dirs.next(),
    // Another process: its own pool and its own DATA_DIR (only PostgreSQL is shared).
    other: () => {
      const pool = createPool(db.url);
      pools.push(pool);
      return Promise.resolve({ storage: new PgUploadStorage(pool), dir: dirs.next() });
    },
    close: async () => {
      await Promise.all(pools.map((pool) => pool.end()));
      await db.drop();
      dirs.remove();
    },
  };
});
