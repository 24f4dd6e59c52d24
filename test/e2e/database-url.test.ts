/**
 * Distributed mode end to end (SPEC 14): the whole HTTP app built with DATABASE_URL on a fresh
 * database (the server migrates it at start) serves the admin API, files and sessions from
 * PostgreSQL, and writes nothing of the store under DATA_DIR — no pid lock, no `fs/` (files, registry,
 * session logs and archives). A second start on another, empty DATA_DIR finds everything again.
 */
import { readdir } from 'node:fs/promises';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { logger } from '../../src/log.js';
import { serve } from '../../src/serve.js';
import { openStorages } from '../../src/wiring/storages.js';
import { fullApp, ROOT_KEY, type FullApp } from '../helpers/full-app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
});
afterAll(() => db.drop());

const start = (accounts = [{ account_id: 'acme', users: ['alice'] }]) =>
  fullApp({ env: { DATABASE_URL: db.url }, accounts });

const lsUris = z.object({ result: z.array(z.string()) });
const textResult = z.object({ result: z.string() });

/** How many rows `sql` finds. */
async function count(sql: string): Promise<number> {
  return (await db.pool.query(sql)).rowCount ?? 0;
}

test('admin API, files and sessions are served from PostgreSQL; DATA_DIR holds none of the store', async () => {
  let t: FullApp | undefined = await start();
  try {
    const alice = t.client({ account: 'acme', user: 'alice' });
    await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/notes/pg.md', content: 'stored in postgres' })
      .expect(200);
    const read = await alice.get('/api/v1/content/read').query({ uri: 'viking://resources/notes/pg.md' });
    expect(textResult.parse(read.body).result).toBe('stored in postgres');

    await alice
      .post('/api/v1/sessions/s1/messages')
      .send({ role: 'user', content: 'first turn' })
      .expect(200);
    await alice
      .post('/api/v1/sessions/s1/messages')
      .send({ role: 'user', content: 'second turn' })
      .expect(200);
    await alice.post('/api/v1/sessions/s1/commit').send({}).expect(200);

    // The archive exists only in PostgreSQL; the filesystem serves it from there.
    const history = await alice
      .get('/api/v1/fs/ls')
      .query({ uri: 'viking://session/s1/history', simple: true })
      .expect(200);
    expect(lsUris.parse(history.body).result).toEqual(['viking://session/s1/history/archive_001']);
    const archived = await alice
      .get('/api/v1/content/read')
      .query({ uri: 'viking://session/s1/history/archive_001/messages.jsonl' })
      .expect(200);
    expect(textResult.parse(archived.body).result).toContain('second turn');
    const sessions = await alice.get('/api/v1/fs/ls').query({ uri: 'viking://session', simple: true });
    expect(lsUris.parse(sessions.body).result).toEqual(['viking://session/s1']);

    expect(
      await count("SELECT 1 FROM files WHERE account_id = 'acme' AND uri = 'viking://resources/notes/pg.md'"),
    ).toBe(1);
    expect(await count("SELECT 1 FROM messages WHERE account_id = 'acme' AND session_id = 's1'")).toBe(2);
    expect(await count("SELECT 1 FROM users WHERE account_id = 'acme'")).toBe(2);
    // Caches only: no account tree, no registry, no session files, no pid lock.
    const entries = await readdir(t.dataDir);
    expect(entries).not.toContain('fs');
    expect(entries).not.toContain('.vikingscope.lock');

    // Backups in this mode are PostgreSQL's: a clear refusal, never a 500.
    const backup = await t
      .root()
      .post('/api/v1/system/backup')
      .send({ dest: `${t.dataDir}-backup` });
    expect(backup.status).toBe(412);
    expect(JSON.stringify(backup.body)).toMatch(/FAILED_PRECONDITION.*pg_dump/);

    const key = t.keys.get('acme/alice');
    await t.close();
    t = undefined;

    // Another process on an empty DATA_DIR: the key, the file and the session are all there.
    t = await start([]);
    const again = t
      .root()
      .set('X-API-Key', key ?? '')
      .set('X-OpenViking-Account', 'acme')
      .set('X-OpenViking-User', 'alice');
    const reread = await again.get('/api/v1/content/read').query({ uri: 'viking://resources/notes/pg.md' });
    expect(textResult.parse(reread.body).result).toBe('stored in postgres');
    const messages = await again.get('/api/v1/sessions/s1').expect(200);
    expect(JSON.stringify(messages.body)).toContain('"total_message_count":2');
  } finally {
    await t?.close();
  }
});

test('DATABASE_POOL_MAX bounds the pooled connections of the process', async () => {
  const storages = await openStorages(loadConfig({ DATABASE_URL: db.url, DATABASE_POOL_MAX: '3' }), logger);
  try {
    expect(storages.pool?.options.max).toBe(3);
  } finally {
    await storages.close();
  }
});

test('/ready checks the database', async () => {
  const t = await start([]);
  try {
    const ready = await t.root().get('/ready').expect(200);
    expect(JSON.stringify(ready.body)).toContain('"database":"ok"');
  } finally {
    await t.close();
  }
});

test('ROLE=worker serves only /health and /ready', async () => {
  const t = await fullApp({ env: { DATABASE_URL: db.url, ROLE: 'worker', PORT: '0', HOST: '127.0.0.1' } });
  const served = await serve(t.services);
  try {
    const address = served.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('not listening on a port');
    const { port } = address;
    const get = (path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'X-API-Key': ROOT_KEY } });
    expect((await get('/health')).status).toBe(200);
    expect((await get('/ready')).status).toBe(200);
    for (const path of ['/api/v1/system/status', '/api/v1/admin/accounts', '/metrics', '/console/']) {
      expect([path, (await get(path)).status]).toEqual([path, 404]);
    }
  } finally {
    await served.drain(1000);
    await t.close();
  }
});
