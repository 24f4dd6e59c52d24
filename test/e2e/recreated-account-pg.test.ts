/**
 * Issue 22's defect 2 across processes (SPEC 14, issue 24): two servers on one PostgreSQL, A with
 * ROLE=api (it applies no job) and B applying every job with an embedder that holds a batch of
 * `acme` mid-flight. A deletes `acme` and creates it again with the same admin meanwhile; B's batch
 * then completes. No process ever returns the old tenant's record to the new `acme` — on either
 * process, with the in-memory caches and on PostgreSQL alone, and after both restart — and the new
 * tenant's own writes are indexed as usual. B's in-process purge fence cannot help (the purge ran on
 * A): only the (account_id, epoch) fence of the records write does.
 */
import { GatedEmbedder } from '../helpers/gated-embedder.js';
import { fullApp, searchUris, type Client, type FullApp } from '../helpers/full-app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const GATE = 'gatetokenpg';
const MODES = ['vector', 'fulltext', 'hybrid'] as const;
const SECRET = 'viking://resources/plans/secret.md';
const FRESH = 'viking://resources/new.md';

let db: TestDatabase;
const started: FullApp[] = [];

beforeEach(async () => {
  db = await createTestDatabase({ migrated: false });
});
afterEach(async () => {
  for (const t of started.splice(0)) await t.close();
  await db.drop();
});

/** Process A (HTTP only) or B (applies the jobs); both embed alike, so they share one index. */
async function start(role: 'api' | 'all', memory: string, embedder = new GatedEmbedder()): Promise<FullApp> {
  const t = await fullApp({
    env: { DATABASE_URL: db.url, ROLE: role, SEARCH_MEMORY_MB: memory },
    embedder,
  });
  started.push(t);
  return t;
}

async function stop(t: FullApp): Promise<void> {
  started.splice(started.indexOf(t), 1);
  await t.close();
}

const as = (t: FullApp, key: string): Client =>
  t.root().set('X-API-Key', key).set('X-OpenViking-Account', 'acme').set('X-OpenViking-User', 'admin');

const write = (client: Client, uri: string, content: string, wait: boolean) =>
  client.post('/api/v1/content/write').send({ uri, content, wait }).expect(200);

/** Creates `acme` with admin `admin` on `t`; returns the admin's key. */
async function createAcme(t: FullApp): Promise<string> {
  const created = await t
    .root()
    .post('/api/v1/admin/accounts')
    .send({ account_id: 'acme', admin_user_id: 'admin' })
    .expect(200);
  return (created.body as { result: { user_key: string } }).result.user_key;
}

/** Waits until `t` knows `key` (registry changes reach every process within 1 s). */
async function known(t: FullApp, key: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await as(t, key).get('/api/v1/fs/ls').query({ uri: 'viking://resources' })).status !== 200) {
    if (Date.now() > deadline) throw new Error('the new key never reached the other process');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** URIs every search mode finds for `query` on `t` as the admin of `key`, one list per mode. */
async function findAll(t: FullApp, key: string, query: string): Promise<string[][]> {
  await t.services.store.caughtUp();
  const found: string[][] = [];
  for (const mode of MODES) found.push(await searchUris(as(t, key), { query, mode, limit: 20 }));
  return found;
}

/** acme's live records of the old file in PostgreSQL. */
async function secretRecords(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM index_records WHERE account_id = 'acme' AND uri = $1 AND NOT deleted",
    [SECRET],
  );
  return rows[0]?.n ?? -1;
}

describe.each([
  ['with the in-memory caches', '64'],
  ['on PostgreSQL alone', '0'],
])('%s', (_label, memory) => {
  test('a batch in flight on B when A deletes and re-creates the account never reaches the new tenant', async () => {
    const gated = new GatedEmbedder();
    const a = await start('api', memory);
    const b = await start('all', memory, gated);
    try {
      const oldKey = await createAcme(a);
      await a.services.pipeline.waitForAccount('acme', 10_000);
      gated.close(GATE);
      await write(as(a, oldKey), SECRET, `zebracorp old secret ${GATE}`, false);
      await gated.reached(GATE); // B read the old file and is embedding it

      await a.root().delete('/api/v1/admin/accounts/acme').expect(200);
      const key = await createAcme(a);
      await known(b, key);
      // B's batch completes; nothing after it runs yet (the jobs of the delete and creation wait).
      const paused = b.services.pipeline.pause();
      gated.open(GATE);
      const resume = await paused;
      for (const t of [a, b]) expect(await findAll(t, key, 'zebracorp')).toEqual([[], [], []]);
      expect(await secretRecords()).toBe(0);
      resume();

      await write(as(a, key), FRESH, 'zebracorp fresh start', true);
      const fresh = [FRESH];
      for (const t of [a, b]) expect(await findAll(t, key, 'zebracorp')).toEqual([fresh, fresh, fresh]);

      await stop(a);
      await stop(b);
      const [a2, b2] = [await start('api', memory), await start('all', memory)];
      for (const t of [a2, b2]) expect(await findAll(t, key, 'zebracorp')).toEqual([fresh, fresh, fresh]);
      expect(await secretRecords()).toBe(0);
    } finally {
      gated.open(GATE);
    }
  });
});
