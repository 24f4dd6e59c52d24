import { PgTagStorage } from '../../src/storage/pg/tags.js';
import { createPool, type Pool } from '../../src/storage/pg/pool.js';
import { createTestDatabase } from '../helpers/pg.js';
import { tagStorageSuite } from './tag-suite.js';

tagStorageSuite('PostgreSQL (distributed mode)', async () => {
  const db = await createTestDatabase();
  const pools: Pool[] = [];
  return {
    storage: new PgTagStorage(db.pool),
    // Another process: its own pool, so caches and races are decided by the database.
    other: () => {
      const pool = createPool(db.url);
      pools.push(pool);
      return Promise.resolve(new PgTagStorage(pool));
    },
    close: async () => {
      await Promise.all(pools.map((pool) => pool.end()));
      await db.drop();
    },
  };
});
