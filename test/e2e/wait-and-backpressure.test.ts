/**
 * Issue 11 over HTTP: `wait: true` and `POST /system/wait` wait for the caller's own index jobs, with a
 * timeout (504 DEADLINE_EXCEEDED) and an error when the job was dropped; writes get 429 with
 * Retry-After while the index lag is over MAX_INDEX_LAG_S, before anything is written. A gated
 * embedder holds one tenant's content in the indexer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { GatedEmbedder } from '../helpers/gated-embedder.js';
import { errorCodeOf, fullApp, searchUris, type Client, type FullApp } from '../helpers/full-app.js';

const envelope = z.object({
  status: z.string(),
  result: z.unknown(),
  error: z
    .object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) })
    .nullable(),
});
const detailsOf = (res: { body: unknown }) => envelope.parse(res.body).error?.details ?? {};
const statusOf = (res: { body: unknown }) =>
  z.object({ result: z.record(z.string(), z.unknown()) }).parse(res.body).result;

const ACCOUNTS = [
  { account_id: 'acme', users: ['alice'] },
  { account_id: 'other', users: ['zed'] },
];

describe('waits', () => {
  let t: FullApp;
  let gated: GatedEmbedder;
  let alice: Client;
  let zed: Client;

  beforeAll(async () => {
    gated = new GatedEmbedder();
    // A high bound: these tests hold jobs in the indexer on purpose and must not be throttled.
    t = await fullApp({ accounts: ACCOUNTS, embedder: gated, env: { MAX_INDEX_LAG_S: '3600' } });
    alice = t.client({ account: 'acme', user: 'alice' });
    zed = t.client({ account: 'other', user: 'zed' });
  });
  afterAll(async () => {
    for (const token of ['alphagate', 'betagate', 'slowgate']) gated.open(token);
    await t.close();
  });

  test("wait: true returns after the request's own job while another account's jobs are still queued", async () => {
    gated.close('alphagate');
    gated.close('betagate');
    const uri = 'viking://resources/alpha.md';
    const mine = alice
      .post('/api/v1/content/write')
      .send({ uri, content: 'alphagate notes', wait: true })
      .then((res) => res);
    await gated.reached('alphagate');
    await zed
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/beta.md', content: 'betagate notes' })
      .expect(200);
    gated.open('alphagate');
    expect((await mine).status).toBe(200);
    expect(await searchUris(alice, { query: 'alphagate', mode: 'fulltext' })).toEqual([uri]);
    await gated.reached('betagate');
    expect(statusOf(await t.root().get('/api/v1/system/status')).queue_depth).toBe(1);

    // /system/wait: each account waits for its own jobs only; ROOT without an account header for all.
    const own = await alice.post('/api/v1/system/wait').send({}).expect(200);
    expect(own.body).toMatchObject({ status: 'ok', result: { drained: true } });
    const theirs = await zed.post('/api/v1/system/wait').send({ timeout: 0.05 });
    expect(theirs.status).toBe(504);
    expect(errorCodeOf(theirs)).toBe('DEADLINE_EXCEEDED');
    expect((await t.root().post('/api/v1/system/wait').send({ timeout: 0.05 })).status).toBe(504);
    await t.root().set('X-OpenViking-Account', 'acme').post('/api/v1/system/wait').send({}).expect(200);

    gated.open('betagate');
    const all = await t.root().post('/api/v1/system/wait').send({ timeout: null }).expect(200);
    expect(all.body).toMatchObject({ result: { drained: true } });
  });

  test('a write whose index job times out answers 504 DEADLINE_EXCEEDED; the file is saved', async () => {
    gated.close('slowgate');
    const uri = 'viking://resources/slow.md';
    const res = await alice
      .post('/api/v1/content/write')
      .send({ uri, content: 'slowgate', wait: true, timeout: 0.05 });
    expect(res.status).toBe(504);
    expect(errorCodeOf(res)).toBe('DEADLINE_EXCEEDED');
    expect(detailsOf(res)).toMatchObject({ timeout_s: 0.05 });
    await alice.get('/api/v1/content/read').query({ uri }).expect(200);
    const message = await alice
      .post('/api/v1/sessions/s-slow/messages')
      .send({ role: 'user', content: 'slowgate again', wait: true, timeout: 0.05 });
    expect(message.status).toBe(504);
    gated.open('slowgate');
    await alice.post('/api/v1/system/wait').send({}).expect(200);
    expect(await searchUris(alice, { query: 'slowgate', mode: 'fulltext' })).toContain(uri);
  });

  test('a change whose index job was dropped answers an error naming its URI, not 200', async () => {
    gated.poison('poisontoken');
    const uri = 'viking://resources/poisoned.md';
    const res = await alice.post('/api/v1/content/write').send({ uri, content: 'poisontoken', wait: true });
    expect(res.status).toBe(500);
    expect(errorCodeOf(res)).toBe('INTERNAL');
    expect(detailsOf(res)).toMatchObject({ uri, indexed: false });
    const mkdir = await alice
      .post('/api/v1/fs/mkdir')
      .send({ uri: 'viking://resources/pdir', description: 'poisontoken folder', wait: true });
    expect(errorCodeOf(mkdir)).toBe('INTERNAL');
    const message = await alice
      .post('/api/v1/sessions/s-poison/messages')
      .send({ role: 'user', content: 'poisontoken', wait: true });
    expect(errorCodeOf(message)).toBe('INTERNAL');
    expect(detailsOf(message)['uri']).toMatch(/^viking:\/\/session\/s-poison\/messages\/msg_/);
    // Other waits still succeed, and rm and mv wait too.
    await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/fine.md', content: 'fine', wait: true })
      .expect(200);
    await alice
      .post('/api/v1/fs/mv')
      .send({ from_uri: 'viking://resources/fine.md', to_uri: 'viking://resources/moved.md', wait: true })
      .expect(200);
    expect(await searchUris(alice, { query: 'fine', mode: 'fulltext' })).toEqual([
      'viking://resources/moved.md',
    ]);
    await alice.delete('/api/v1/fs').query({ uri: 'viking://resources/moved.md', wait: true }).expect(200);
    expect(await searchUris(alice, { query: 'fine', mode: 'fulltext' })).toEqual([]);
  });
});

describe('backpressure', () => {
  const BOUND_S = 0.2;
  let t: FullApp;
  let gated: GatedEmbedder;
  let alice: Client;

  beforeAll(async () => {
    gated = new GatedEmbedder();
    t = await fullApp({ accounts: ACCOUNTS, embedder: gated, env: { MAX_INDEX_LAG_S: String(BOUND_S) } });
    alice = t.client({ account: 'acme', user: 'alice' });
  });
  afterAll(async () => {
    gated.open('jamgate');
    await t.close();
  });

  test('over MAX_INDEX_LAG_S writes get 429 with Retry-After and nothing is written; reads still work', async () => {
    gated.close('jamgate');
    await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/jam.md', content: 'jamgate' })
      .expect(200);
    await gated.reached('jamgate');
    const lag = async () => z.number().parse(statusOf(await alice.get('/api/v1/system/status')).index_lag_s);
    while ((await lag()) <= BOUND_S) await sleep(20);

    const uri = 'viking://resources/refused.md';
    const refused = await alice.post('/api/v1/content/write').send({ uri, content: 'refused' });
    expect(refused.status).toBe(429);
    expect(errorCodeOf(refused)).toBe('RESOURCE_EXHAUSTED');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    expect(detailsOf(refused)['retry_after_s']).toBe(retryAfter);
    expect(errorCodeOf(await alice.get('/api/v1/content/read').query({ uri }))).toBe('NOT_FOUND');

    const message = await alice.post('/api/v1/sessions/s1/messages').send({ role: 'user', content: 'hi' });
    expect(message.status).toBe(429);
    expect(errorCodeOf(await alice.get('/api/v1/sessions/s1'))).toBe('NOT_FOUND');
    expect(
      (
        await alice
          .post('/api/v1/fs/mv')
          .send({ from_uri: 'viking://resources/jam.md', to_uri: 'viking://resources/j2.md' })
      ).status,
    ).toBe(429);
    expect((await alice.delete('/api/v1/fs').query({ uri: 'viking://resources/jam.md' })).status).toBe(429);

    // Reads, searches, status and account administration are never refused.
    await alice.get('/api/v1/content/read').query({ uri: 'viking://resources/jam.md' }).expect(200);
    await alice.post('/api/v1/search/find').send({ query: 'jam' }).expect(200);
    const mine = statusOf(await alice.get('/api/v1/system/status').expect(200));
    expect(mine).toMatchObject({ queue_depth: 1 });
    expect(Number(mine.index_lag_s)).toBeGreaterThan(BOUND_S);
    expect(mine).not.toHaveProperty('failed_jobs');
    await t
      .root()
      .post('/api/v1/admin/accounts')
      .send({ account_id: 'newco', admin_user_id: 'boss' })
      .expect(200);

    gated.open('jamgate');
    await t.root().post('/api/v1/system/wait').send({}).expect(200);
    expect(statusOf(await t.root().get('/api/v1/system/status'))).toMatchObject({
      queue_depth: 0,
      index_lag_s: 0,
      failed_jobs: 0,
    });
    await alice.post('/api/v1/content/write').send({ uri, content: 'accepted now', wait: true }).expect(200);
    expect(await searchUris(alice, { query: 'accepted', mode: 'fulltext' })).toEqual([uri]);
  });
});
