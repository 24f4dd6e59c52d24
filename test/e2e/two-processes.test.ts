/**
 * Two server processes on one PostgreSQL (SPEC 14), simulated by two `buildServices` with their own
 * DATA_DIRs on one database: registry changes made on one take effect on the other within 1 s, files
 * and sessions are one store (a `create` race has one winner, concurrent appends to one session keep
 * every message in one order), and an account deleted on one is refused on the other, which drops
 * what it cached of it (a new account under the same id is initialised afresh there).
 */
import { z } from 'zod';
import { fullApp, type Client, type FullApp } from '../helpers/full-app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let a: FullApp;
let b: FullApp;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  // Both start at once on the fresh database: migrations and the `default` account do not race.
  [a, b] = await Promise.all([
    fullApp({ env: { DATABASE_URL: db.url }, accounts: [{ account_id: 'acme', users: ['alice'] }] }),
    fullApp({ env: { DATABASE_URL: db.url } }),
  ]);
});
afterAll(async () => {
  await a.close();
  await b.close();
  await db.drop();
});

const userKey = z.object({ result: z.object({ user_key: z.string() }) });
const textResult = z.object({ result: z.string() });

/** A client of `t` acting with `key` as `account/user`. */
const as = (t: FullApp, key: string, account: string, user: string): Client =>
  t.root().set('X-API-Key', key).set('X-OpenViking-Account', account).set('X-OpenViking-User', user);

/** Polls `probe` until it is true; the milliseconds it took, or Infinity past `ms`. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started <= ms) {
    if (await probe()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Number.POSITIVE_INFINITY;
}

const status = async (client: Client, uri: string) =>
  (await client.get('/api/v1/fs/stat').query({ uri })).status;

test('a key created on one process authenticates on the other within 1 s', async () => {
  const created = await a
    .root()
    .post('/api/v1/admin/accounts/acme/users')
    .send({ user_id: 'bob', role: 'user' });
  const key = userKey.parse(created.body).result.user_key;
  const took = await within(
    1000,
    async () => (await status(as(b, key, 'acme', 'bob'), 'viking://resources')) === 200,
  );
  expect(took).toBeLessThanOrEqual(1000);
});

test('a file written on one process is read on the other', async () => {
  const alice = a.client({ account: 'acme', user: 'alice' });
  await alice
    .post('/api/v1/content/write')
    .send({ uri: 'viking://resources/shared.md', content: 'one store' })
    .expect(200);
  const read = await as(b, a.keys.get('acme/alice') ?? '', 'acme', 'alice')
    .get('/api/v1/content/read')
    .query({ uri: 'viking://resources/shared.md' })
    .expect(200);
  expect(textResult.parse(read.body).result).toBe('one store');
});

test('a `create` write on both at once: one succeeds, the other is ALREADY_EXISTS', async () => {
  const key = a.keys.get('acme/alice') ?? '';
  const body = (content: string) => ({ uri: 'viking://resources/once.md', content, mode: 'create' });
  const answers = await Promise.all([
    as(a, key, 'acme', 'alice').post('/api/v1/content/write').send(body('from a')),
    as(b, key, 'acme', 'alice').post('/api/v1/content/write').send(body('from b')),
  ]);
  expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
  const loser = answers.find((r) => r.status === 409);
  expect(JSON.stringify(loser?.body)).toContain('ALREADY_EXISTS');
  const winner = answers[0]?.status === 200 ? 'from a' : 'from b';
  const read = await as(a, key, 'acme', 'alice')
    .get('/api/v1/content/read')
    .query({ uri: 'viking://resources/once.md' });
  expect(textResult.parse(read.body).result).toBe(winner);
});

test('appends to one session from both processes keep every message, in one order', async () => {
  const key = a.keys.get('acme/alice') ?? '';
  const N = 15;
  const send = async (t: FullApp, name: string) => {
    for (let i = 0; i < N; i++) {
      await as(t, key, 'acme', 'alice')
        .post('/api/v1/sessions/shared/messages')
        .send({ role: 'user', content: `${name}-${i}` })
        .expect(200);
    }
  };
  await Promise.all([send(a, 'a'), send(b, 'b')]);
  const logOf = async (t: FullApp) => {
    const res = await as(t, key, 'acme', 'alice')
      .get('/api/v1/content/read')
      .query({ uri: 'viking://session/shared/messages.jsonl' })
      .expect(200);
    return textResult
      .parse(res.body)
      .result.trim()
      .split('\n')
      .map((line) => z.object({ parts: z.array(z.object({ text: z.string() })) }).parse(JSON.parse(line)))
      .map((m) => m.parts.map((p) => p.text).join(''));
  };
  const seenByA = await logOf(a);
  expect(await logOf(b)).toEqual(seenByA);
  expect(seenByA).toHaveLength(2 * N);
  // Each process's messages in the order it sent them (each waited for the previous answer).
  for (const name of ['a', 'b']) {
    expect(seenByA.filter((m) => m.startsWith(`${name}-`))).toEqual(
      Array.from({ length: N }, (_, i) => `${name}-${i}`),
    );
  }
});

test('an account deleted on one process is refused on the other within 1 s, which drops its caches', async () => {
  const create = async () => {
    const res = await a
      .root()
      .post('/api/v1/admin/accounts')
      .send({ account_id: 'temp', admin_user_id: 'boss' })
      .expect(200);
    return userKey.parse(res.body).result.user_key;
  };
  const presets = 'viking://user/boss/memories/preferences';
  const oldKey = await create();
  expect(
    await within(1000, async () => (await status(as(b, oldKey, 'temp', 'boss'), presets)) === 200),
  ).toBeLessThanOrEqual(1000);

  await a.root().delete('/api/v1/admin/accounts/temp').expect(200);
  const refused = await within(
    1000,
    async () => (await status(as(b, oldKey, 'temp', 'boss'), 'viking://resources')) === 401,
  );
  expect(refused).toBeLessThanOrEqual(1000);

  // The same id again: process b must set the identity's folders up afresh, not trust its old cache.
  const newKey = await create();
  expect(
    await within(1000, async () => (await status(as(b, newKey, 'temp', 'boss'), presets)) === 200),
  ).toBeLessThanOrEqual(1000);
});
