import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, MIGRATIONS_DIR, MIGRATIONS_TABLE } from '../../../src/storage/pg/migrate.js';
import { createPool, type Pool } from '../../../src/storage/pg/pool.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

/** Every migration shipped (`0001_base`, `0002_index`, …), in order. */
const SHIPPED = readdirSync(MIGRATIONS_DIR)
  .filter((name) => name.endsWith('.sql'))
  .map((name) => name.slice(0, -'.sql'.length))
  .sort();

const BASE_TABLES = ['accounts', 'files', 'messages', 'registry_version', 'sessions', 'users'];

async function tables(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return rows.map((row) => row.table_name);
}

async function appliedNames(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`);
  return rows.map((row) => row.name);
}

describe('migrations (SPEC 14: the server creates and migrates its schema at start)', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterEach(async () => {
    await db.drop();
  });

  test('a fresh database gets the base schema; a second start applies nothing', async () => {
    expect(SHIPPED).toEqual([
      '0001_base',
      '0002_index',
      '0003_sessions',
      '0004_files',
      '0005_tags',
      '0006_uploads',
      '0007_index_meta',
      '0009_index_failures',
    ]);
    expect(await migrate(db.pool)).toEqual(SHIPPED);
    expect(await tables(db.pool)).toEqual(expect.arrayContaining([...BASE_TABLES, MIGRATIONS_TABLE]));
    expect(await migrate(db.pool)).toEqual([]);
    expect(await appliedNames(db.pool)).toEqual(SHIPPED);
  });

  test('two processes migrating one fresh database at once: both succeed, each migration runs once', async () => {
    const pools = [createPool(db.url), createPool(db.url), createPool(db.url)];
    try {
      const results = await Promise.all(pools.map((pool) => migrate(pool)));
      expect(results.flat()).toEqual(SHIPPED);
      expect(await appliedNames(db.pool)).toEqual(SHIPPED);
      const version = await db.pool.query<{ version: string }>('SELECT version FROM registry_version');
      expect(version.rows).toEqual([{ version: '0' }]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  describe('the numeric prefix scheme', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vs-migrations-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const step = (n: string) =>
      `-- Up Migration\nINSERT INTO steps (name) VALUES ('${n}');\n-- Down Migration\nDELETE FROM steps;\n`;

    test('files run in the order of their numeric prefixes, whatever order they were written in', async () => {
      await writeFile(
        join(dir, '0001_steps.sql'),
        'CREATE TABLE steps (id serial PRIMARY KEY, name text);\n',
      );
      await writeFile(join(dir, '0010_ten.sql'), step('ten'));
      await writeFile(join(dir, '0002_two.sql'), step('two'));
      await writeFile(join(dir, '0003_three.sql'), step('three'));
      expect(await migrate(db.pool, { dir })).toEqual(['0001_steps', '0002_two', '0003_three', '0010_ten']);
      const { rows } = await db.pool.query<{ name: string }>('SELECT name FROM steps ORDER BY id');
      expect(rows.map((row) => row.name)).toEqual(['two', 'three', 'ten']);
    });

    test('a later file is applied at the next start; one numbered before an applied one is refused', async () => {
      await writeFile(
        join(dir, '0001_steps.sql'),
        'CREATE TABLE steps (id serial PRIMARY KEY, name text);\n',
      );
      await writeFile(join(dir, '0003_three.sql'), step('three'));
      expect(await migrate(db.pool, { dir })).toEqual(['0001_steps', '0003_three']);
      await writeFile(join(dir, '0004_four.sql'), step('four'));
      expect(await migrate(db.pool, { dir })).toEqual(['0004_four']);
      await writeFile(join(dir, '0002_two.sql'), step('two'));
      await expect(migrate(db.pool, { dir })).rejects.toThrow(
        /database migration failed: .*0002_two is preceding already run migration 0003_three/,
      );
    });

    test("a migration may take longer than the pool's statement timeout", async () => {
      const impatient = createPool(db.url, { statementTimeoutMs: 100 });
      try {
        await writeFile(join(dir, '0001_slow.sql'), 'SELECT pg_sleep(0.5);\nCREATE TABLE slow (id int);\n');
        await expect(impatient.query('SELECT pg_sleep(0.5)')).rejects.toMatchObject({ code: '57014' });
        expect(await migrate(impatient, { dir })).toEqual(['0001_slow']);
      } finally {
        await impatient.end();
      }
    });

    test('a failing migration applies nothing of the batch', async () => {
      await writeFile(
        join(dir, '0001_steps.sql'),
        'CREATE TABLE steps (id serial PRIMARY KEY, name text);\n',
      );
      await writeFile(join(dir, '0002_bad.sql'), 'INSERT INTO no_such_table VALUES (1);\n');
      await expect(migrate(db.pool, { dir })).rejects.toThrow(/database migration failed/);
      expect(await tables(db.pool)).not.toContain('steps');
    });
  });

  test('PostgreSQL unreachable: UNAVAILABLE, not a crash', async () => {
    const pool = createPool('postgres://postgres@127.0.0.1:1/none', { connectionTimeoutMs: 2000 });
    try {
      await expect(migrate(pool)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await pool.end();
    }
  });
});
