import express from 'express';
import request from 'supertest';
import { AppError } from '../../../src/errors.js';
import { errorHandler } from '../../../src/http/errors.js';
import { createPool, query, withTransaction, type Pool } from '../../../src/storage/pg/pool.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

/** Raises `state` from inside PostgreSQL, as a real conflict would. */
const raise = (state: string) => `DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '${state}'; END $$`;

describe('the PostgreSQL pool (SPEC 14)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    await db.pool.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    await db.pool.query('TRUNCATE t');
  });

  test('withTransaction commits what fn did and returns its result', async () => {
    const result = await withTransaction(db.pool, async (client) => {
      await client.query("INSERT INTO t VALUES (1, 'a')");
      return 'done';
    });
    expect(result).toBe('done');
    expect((await db.pool.query('SELECT v FROM t')).rows).toEqual([{ v: 'a' }]);
  });

  test('an error in fn rolls everything back and is rethrown as it is', async () => {
    const thrown = new AppError('ALREADY_EXISTS', 'exists', { user_id: 'u' });
    await expect(
      withTransaction(db.pool, async (client) => {
        await client.query("INSERT INTO t VALUES (1, 'a')");
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    expect((await db.pool.query('SELECT v FROM t')).rows).toEqual([]);
  });

  test.each(['40001', '40P01'])('%s runs the transaction again, from the start', async (state) => {
    let attempts = 0;
    const result = await withTransaction(db.pool, async (client) => {
      attempts += 1;
      await client.query(`INSERT INTO t VALUES (${attempts}, 'x')`);
      if (attempts < 3) await client.query(raise(state));
      return attempts;
    });
    expect(result).toBe(3);
    // The failed attempts left nothing behind.
    expect((await db.pool.query('SELECT id FROM t')).rows).toEqual([{ id: 3 }]);
  });

  test('retries are bounded: a conflict that persists is UNAVAILABLE with retry_after_s', async () => {
    let attempts = 0;
    await expect(
      withTransaction(
        db.pool,
        async (client) => {
          attempts += 1;
          await client.query(raise('40001'));
        },
        { retries: 2 },
      ),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { retry_after_s: 1 } });
    expect(attempts).toBe(3);
  });

  test('a real serialization conflict between two transactions is retried to success', async () => {
    await db.pool.query("INSERT INTO t VALUES (1, '0')");
    const increment = () =>
      withTransaction(
        db.pool,
        async (client) => {
          const { rows } = await client.query<{ v: string }>('SELECT v FROM t WHERE id = 1');
          await new Promise((resolve) => setTimeout(resolve, 30));
          await client.query('UPDATE t SET v = $1 WHERE id = 1', [String(Number(rows[0]?.v) + 1)]);
        },
        { isolation: 'serializable', retries: 10 },
      );
    await Promise.all([increment(), increment(), increment()]);
    expect((await db.pool.query('SELECT v FROM t')).rows).toEqual([{ v: '3' }]);
  });

  test('a statement error that is not about the connection stays what it is (not a 503)', async () => {
    await db.pool.query("INSERT INTO t VALUES (1, 'a')");
    await expect(query(db.pool, "INSERT INTO t VALUES (1, 'b')")).rejects.toMatchObject({ code: '23505' });
  });

  test('a connection terminated by the server mid-transaction is UNAVAILABLE; the pool recovers', async () => {
    await expect(
      withTransaction(db.pool, async (client) => {
        await client.query("INSERT INTO t VALUES (1, 'a')");
        await client.query('SELECT pg_terminate_backend(pg_backend_pid())');
      }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect((await query(db.pool, 'SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 0 }]);
  });

  test('a transaction refused as read-only (25006, a demoted primary) is 503 and its connection is not reused', async () => {
    const one = createPool(db.url, { max: 1 });
    try {
      const backend = async (): Promise<number> =>
        withTransaction(
          one,
          async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? -1,
        );
      const before = await backend();
      await expect(
        withTransaction(one, async (client) => {
          await client.query('SET TRANSACTION READ ONLY');
          await client.query("INSERT INTO t VALUES (1, 'a')");
        }),
      ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      // The only pooled connection went to the read-only server: the next transaction gets a new one.
      expect(await backend()).not.toBe(before);
    } finally {
      await one.end();
    }
  });

  describe('PostgreSQL unreachable', () => {
    let dead: Pool;
    beforeAll(() => {
      // Port 1: nothing listens there, the connection is refused at once.
      dead = createPool('postgres://postgres@127.0.0.1:1/none', { connectionTimeoutMs: 2000 });
    });
    afterAll(async () => {
      await dead.end();
    });

    test('query and withTransaction are UNAVAILABLE', async () => {
      await expect(query(dead, 'SELECT 1')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await expect(withTransaction(dead, () => Promise.resolve(1))).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
    });

    test('the HTTP layer answers 503 UNAVAILABLE with Retry-After, never a 500', async () => {
      const app = express();
      app.get('/x', async (_req, res) => {
        res.json((await query(dead, 'SELECT 1')).rows);
      });
      app.use(errorHandler);
      const answer = await request(app).get('/x');
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.body).toMatchObject({ status: 'error', error: { code: 'UNAVAILABLE' } });
    });
  });
});
