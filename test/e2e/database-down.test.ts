/**
 * PostgreSQL unreachable in distributed mode (SPEC 14): requests that need it answer 503 UNAVAILABLE
 * with Retry-After — a file read, a file write, a session append — never a 500; `/ready` is 503
 * naming the database; once PostgreSQL answers again the same process serves again by itself.
 * The database is cut off by a TCP relay in front of it (test/helpers/pg-proxy.ts).
 */
import { z } from 'zod';
import { fullApp, type FullApp } from '../helpers/full-app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { startPgProxy, type PgProxy } from '../helpers/pg-proxy.js';

let db: TestDatabase;
let proxy: PgProxy;
let t: FullApp;

beforeAll(async () => {
  db = await createTestDatabase();
  proxy = await startPgProxy();
  t = await fullApp({
    env: { DATABASE_URL: proxy.url(db.name) },
    accounts: [{ account_id: 'acme', users: ['alice'] }],
  });
});
afterAll(async () => {
  await proxy.start().catch(() => undefined);
  await t.close();
  await proxy.close();
  await db.drop();
});

const errorBody = z.object({ error: z.object({ code: z.string() }) });
const URI = 'viking://resources/kept.md';

test('while PostgreSQL is unreachable: 503 UNAVAILABLE with Retry-After; afterwards it serves again', async () => {
  const alice = () => t.client({ account: 'acme', user: 'alice' });
  await alice().post('/api/v1/content/write').send({ uri: URI, content: 'acknowledged' }).expect(200);
  await alice().post('/api/v1/sessions/s1/messages').send({ role: 'user', content: 'before' }).expect(200);

  await proxy.stop();
  const answers = [
    await alice().get('/api/v1/content/read').query({ uri: URI }),
    await alice().post('/api/v1/content/write').send({ uri: 'viking://resources/new.md', content: 'x' }),
    await alice().post('/api/v1/sessions/s1/messages').send({ role: 'user', content: 'during' }),
  ];
  for (const res of answers) {
    expect([res.status, errorBody.parse(res.body).error.code, res.headers['retry-after']]).toEqual([
      503,
      'UNAVAILABLE',
      '1',
    ]);
  }
  const ready = await t.root().get('/ready');
  expect(ready.status).toBe(503);
  expect(JSON.stringify(ready.body)).toContain('"database":"unavailable"');

  await proxy.start();
  const read = await alice().get('/api/v1/content/read').query({ uri: URI }).expect(200);
  expect(read.body).toMatchObject({ result: 'acknowledged' });
  await alice().post('/api/v1/sessions/s1/messages').send({ role: 'user', content: 'after' }).expect(200);
  await t.root().get('/ready').expect(200);
});
