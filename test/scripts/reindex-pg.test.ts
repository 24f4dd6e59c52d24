/**
 * `npm run reindex` in distributed mode (SPEC 14, issue 24): the compiled script in a child process
 * with DATABASE_URL, beside a server running on the same database. It journals the rebuild in
 * PostgreSQL and waits until it is applied (by the server's worker or its own), so an account whose
 * records were lost gets them back while the server serves; an unknown account is exit 2; `--reset`
 * is refused (exit 2, nothing written) while a server uses the database, and once none does it
 * empties the index and rebuilds every account.
 */
import { join } from 'node:path';
import { eq } from '../../src/policy/index.js';
import { buildProject } from '../helpers/compiled.js';
import { fullApp, ROOT_KEY } from '../helpers/full-app.js';
import { runScript } from '../helpers/offline-scripts.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { tempDir } from '../helpers/temp-dir.js';

const work = tempDir('vs-reindex-pg-');
let build: { path: string; remove: () => void };
let db: TestDatabase;

beforeAll(async () => {
  build = buildProject();
  db = await createTestDatabase();
}, 120_000);
afterAll(async () => {
  await db.drop();
  work.remove();
  build.remove();
});

/** The script as an operator runs it on one of the cluster's machines (its own DATA_DIR: caches). */
const reindex = (args: readonly string[]) =>
  runScript(build.path, 'reindex', join(work.path, 'script-cache'), args, {
    DATABASE_URL: db.url,
    ROOT_API_KEY: ROOT_KEY,
  });

/** Live records per account, as PostgreSQL holds them. */
async function liveRecords(): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{ account_id: string; n: number }>(
    'SELECT account_id, count(*)::int AS n FROM index_records WHERE NOT deleted GROUP BY account_id',
  );
  return Object.fromEntries(rows.map((r) => [r.account_id, r.n]));
}

test('reindex rebuilds beside a running server; unknown account exit 2; --reset only once none serves', async () => {
  const t = await fullApp({
    env: { DATABASE_URL: db.url },
    accounts: [
      { account_id: 'acme', users: ['alice'] },
      { account_id: 'globex', users: ['bob'] },
    ],
  });
  let expected: Record<string, number>;
  try {
    for (const [account, user, n] of [['acme', 'alice', 3] as const, ['globex', 'bob', 2] as const]) {
      const client = t.client({ account, user });
      for (let i = 0; i < n; i++)
        await client
          .post('/api/v1/content/write')
          .send({ uri: `viking://resources/docs/d${i}.md`, content: `${account} document ${i}`, wait: true })
          .expect(200);
    }
    expected = await liveRecords();
    expect(expected).toMatchObject({ acme: expect.any(Number), globex: expect.any(Number) });
    // acme's records are lost (the files stay): the rebuild restores them while the server runs.
    await t.services.store.deleteWhere(eq('account_id', 'acme'));
    expect((await liveRecords())['acme']).toBeUndefined();

    const one = await reindex(['acme']);
    expect([one.code, one.stderr]).toEqual([0, '']);
    expect(one.stdout).toMatch(/^reindexed 1 account\(s\); \d+ records with builtin:hash-v1-384\n$/);
    expect(await liveRecords()).toEqual(expected);

    const unknown = await reindex(['initech']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("account 'initech' not found in the database");

    const served = await reindex(['--reset']);
    expect(served.code).toBe(2);
    expect(served.stderr).toContain('other VikingScope process(es) use this database: stop them');
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM index_jobs');
    expect(rows[0]?.n).toBe(0);
  } finally {
    await t.close();
  }

  // A record no file backs (of an account without files): only emptying the index removes it.
  await db.pool.query(
    `INSERT INTO index_records (id, account_id, uri, scope, owner_user_id, owner_agent_id, context_type,
       text, abstract, session_id, message_id, role, role_id, level, chunk_index, created_at,
       updated_at, vector, seq, deleted)
     SELECT 'ghost-record', 'ghost', uri, scope, owner_user_id, owner_agent_id, context_type, text,
       abstract, session_id, message_id, role, role_id, level, chunk_index, created_at, updated_at,
       vector, nextval('index_records_seq'), false
     FROM index_records WHERE NOT deleted LIMIT 1`,
  );
  expect(await liveRecords()).toMatchObject({ ghost: 1 });
  const reset = await reindex(['--reset']);
  expect([reset.code, reset.stderr]).toEqual([0, '']);
  expect(reset.stdout).toMatch(/^reindexed \d+ account\(s\); \d+ records with builtin:hash-v1-384\n$/);
  expect(await liveRecords()).toEqual(expected);
}, 120_000);
