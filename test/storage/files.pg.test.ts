import { PgFileStorage } from '../../src/storage/pg/files.js';
import { createPool, type Pool } from '../../src/storage/pg/pool.js';
import { createTestDatabase } from '../helpers/pg.js';
import { fileStorageSuite } from './file-suite.js';

fileStorageSuite('PostgreSQL (distributed mode)', async () => {
  const db = await createTestDatabase();
  const pools: Pool[] = [];
  return {
    storage: new PgFileStorage(db.pool),
    // Another process: its own pool, so the race is decided by the database.
    other: () => {
      const pool = createPool(db.url);
      pools.push(pool);
      return Promise.resolve(new PgFileStorage(pool));
    },
    close: async () => {
      await Promise.all(pools.map((pool) => pool.end()));
      await db.drop();
    },
  };
});
