/**
 * A fresh PostgreSQL database per test file: created with a unique name on the local server
 * (`TEST_DATABASE_URL_BASE`, default `postgres://postgres@127.0.0.1:5432`), migrated unless asked
 * not to, dropped by `drop()` (its connections terminated first). PostgreSQL down is a failure
 * saying how to start it, never a skipped test.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { messageOf } from '../../src/errors.js';
import { migrate } from '../../src/storage/pg/migrate.js';
import { createPool, type Pool, type PoolOptions } from '../../src/storage/pg/pool.js';

export const PG_BASE_URL = (
  process.env['TEST_DATABASE_URL_BASE'] ?? 'postgres://postgres@127.0.0.1:5432'
).replace(/\/+$/, '');

const START_HINT =
  'PostgreSQL 15 must run at 127.0.0.1:5432 for these tests: start it with ' +
  '`pg_ctlcluster --skip-systemctl-redirect 15 main start` (or point TEST_DATABASE_URL_BASE at one)';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A pool on the database (closed by `drop()`). */
  readonly pool: Pool;
  /** Closes the pool, terminates every connection to the database and drops it. */
  drop(): Promise<void>;
}

/** Runs `sql` on the server's `postgres` database (creating and dropping databases). */
async function admin(base: string, sql: string): Promise<void> {
  const client = new pg.Client({
    connectionString: `${base}/postgres`,
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot reach PostgreSQL at ${base} (${messageOf(error)}). ${START_HINT}`, {
      cause: error,
    });
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** An empty database that nobody else uses; `migrated: false` leaves it without the schema. */
export async function createTestDatabase(
  options: { migrated?: boolean; pool?: PoolOptions; base?: string } = {},
): Promise<TestDatabase> {
  const base = options.base ?? PG_BASE_URL;
  const name = `vs_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  await admin(base, `CREATE DATABASE ${name}`);
  const url = `${base}/${name}`;
  const pool = createPool(url, { applicationName: 'vikingscope-test', ...options.pool });
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    await pool.end();
    // FORCE terminates the connections still open (a test's own clients, a LISTEN).
    await admin(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  try {
    if (options.migrated !== false) await migrate(pool);
  } catch (error) {
    await drop();
    throw error;
  }
  return { name, url, pool, drop };
}
