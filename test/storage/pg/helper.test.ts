import { createTestDatabase } from '../../helpers/pg.js';

describe('test/helpers/pg.ts', () => {
  test('a fresh, migrated database of its own, gone after drop()', async () => {
    const db = await createTestDatabase();
    const other = await createTestDatabase({ migrated: false });
    try {
      expect(db.name).not.toBe(other.name);
      expect(db.url.endsWith(`/${db.name}`)).toBe(true);
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM accounts');
      expect(rows).toEqual([{ n: 0 }]);
      await expect(other.pool.query('SELECT 1 FROM accounts')).rejects.toMatchObject({ code: '42P01' });
    } finally {
      await other.drop();
    }
    // A connection of the test's own still open does not stop the drop.
    const straggler = await db.pool.connect();
    straggler.release();
    await db.drop();
    const check = await createTestDatabase({ migrated: false });
    try {
      const { rows } = await check.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
      expect(rows).toEqual([]);
    } finally {
      await check.drop();
    }
  });

  test('PostgreSQL down is a failure that says how to start it, not a skip', async () => {
    await expect(createTestDatabase({ base: 'postgres://postgres@127.0.0.1:1' })).rejects.toThrow(
      /cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1 .*pg_ctlcluster --skip-systemctl-redirect 15 main start/,
    );
  });
});
