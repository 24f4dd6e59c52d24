/**
 * Issue 6 end to end: content and session changes made over HTTP reach the index of the fully wired
 * service (writes, waits, status, rm, mv, account deletion, session messages, delete and commit).
 */

import { z } from 'zod';
import { and, eq, subtree } from '../../src/policy/index.js';
import {
  allHits,
  errorCodeOf,
  fullApp,
  searchResultOf,
  searchUris,
  type Client,
  type FullApp,
  type Hit,
} from '../helpers/full-app.js';

let t: FullApp;
let alice: Client;
let bob: Client;
let admin: Client;

beforeAll(async () => {
  t = await fullApp({
    accounts: [
      { account_id: 'acme', users: ['alice', 'bob'] },
      { account_id: 'other', users: ['zed'] },
      { account_id: 'doomed', users: ['dora'] },
    ],
  });
  alice = t.client({ account: 'acme', user: 'alice', agent: 'bot' });
  bob = t.client({ account: 'acme', user: 'bob', agent: 'bot' });
  admin = t.client({ account: 'acme', user: 'admin', agent: 'bot' });
});
afterAll(() => t.close());

const write = (client: Client, uri: string, content: string, wait?: boolean) =>
  client
    .post('/api/v1/content/write')
    .send(wait === undefined ? { uri, content } : { uri, content, wait })
    .expect(200);
const drain = () => t.root().post('/api/v1/system/wait').send({}).expect(200);
/** Exact matches of a token: full-text mode only returns records containing it. */
const find = (client: Client, query: string, extra: Record<string, unknown> = {}) =>
  searchUris(client, { query, mode: 'fulltext', ...extra });
/** The best hit of a default (hybrid) search. */
const top = async (client: Client, query: string) =>
  allHits(searchResultOf(await client.post('/api/v1/search/find').send({ query })))
    .sort((a, b) => b.score - a.score)
    .at(0)?.uri;
/** Reads a hit back the way SPEC 10 says: chunks and messages by content/read, folders by summary. */
const readHit = (client: Client, hit: Hit) => {
  const route = ['abstract', 'overview', 'read'][hit.level] ?? 'read';
  return client.get(`/api/v1/content/${route}`).query({ uri: hit.uri });
};
const recordsUnder = (account: string, uri: string) =>
  t.services.store.scan(and(eq('account_id', account), eq('uri', uri)));

test('a write with wait: true is searchable as soon as it returns', async () => {
  await write(alice, 'viking://resources/notes/waited.md', 'The quokkazulu7 protocol.', true);
  expect(await top(alice, 'quokkazulu7')).toBe('viking://resources/notes/waited.md');
  expect(await find(alice, 'quokkazulu7')).toEqual(['viking://resources/notes/waited.md']);
});

test('a write without wait is searchable after POST /system/wait', async () => {
  await write(alice, 'viking://resources/notes/later.md', 'Remember marmotxeno42.');
  const waited = await drain();
  expect(waited.body).toMatchObject({ status: 'ok', result: { drained: true } });
  expect(await top(bob, 'marmotxeno42')).toBe('viking://resources/notes/later.md');
  expect(await find(bob, 'marmotxeno42')).toEqual(['viking://resources/notes/later.md']);
});

test('GET /system/status reports the queue, the record count and the embedder', async () => {
  await drain();
  const res = await t.root().get('/api/v1/system/status').expect(200);
  const status = z
    .object({
      queue_depth: z.number(),
      records: z.number(),
      embedder: z.object({ id: z.string(), dimension: z.number() }),
    })
    .parse(z.object({ result: z.unknown() }).parse(res.body).result);
  expect(status.queue_depth).toBe(0);
  expect(status.records).toBe(await t.services.store.countRows());
  expect(status.records).toBeGreaterThan(0);
  expect(status.embedder).toEqual({ id: t.services.embedder.id, dimension: t.services.embedder.dimension });
});

test("ROOT's status breaks the server's memory down; a USER's does not show it", async () => {
  const mb = z.number().nonnegative();
  const root = z
    .object({
      process_memory: z.strictObject({
        rss_mb: mb,
        heap_used_mb: mb,
        heap_total_mb: mb,
        external_mb: mb,
        array_buffers_mb: mb,
        allocator: z.record(z.string(), z.string().nullable()),
      }),
      search_memory: z.object({ memory_mb: mb, budget_mb: mb, lancedb_cache_mb: mb }).loose(),
    })
    .parse(
      z.object({ result: z.unknown() }).parse((await t.root().get('/api/v1/system/status')).body).result,
    );
  expect(root.process_memory.rss_mb).toBeGreaterThan(root.process_memory.heap_used_mb);
  const mine = z
    .object({ result: z.record(z.string(), z.unknown()) })
    .parse((await bob.get('/api/v1/system/status').expect(200)).body).result;
  expect(mine).not.toHaveProperty('process_memory');
  expect(mine).not.toHaveProperty('search_memory');
});

test('rm removes a subtree from search', async () => {
  await write(alice, 'viking://resources/gone/a.md', 'Ephemeral wombatyodel9 one.');
  await write(alice, 'viking://resources/gone/deep/b.md', 'Ephemeral wombatyodel9 two.', true);
  expect(await find(alice, 'wombatyodel9')).toHaveLength(2);
  await alice.delete('/api/v1/fs').query({ uri: 'viking://resources/gone', recursive: true }).expect(200);
  await drain();
  expect(await find(alice, 'wombatyodel9')).toEqual([]);
  expect(
    await t.services.store.countRows(
      and(eq('account_id', 'acme'), eq('uri', 'viking://resources/gone/a.md')),
    ),
  ).toBe(0);
});

test('mv: found at the new URI only, owned by the same user', async () => {
  const from = 'viking://user/alice/memories/events/trip.md';
  const to = 'viking://user/alice/memories/entities/trip.md';
  await write(alice, 'viking://user/memories/events/trip.md', 'Trip to lemurvortex3 island.', true);
  await alice.post('/api/v1/fs/mv').send({ from_uri: from, to_uri: to }).expect(200);
  await drain();
  expect(await find(alice, 'lemurvortex3')).toEqual([to]);
  expect(await find(bob, 'lemurvortex3')).toEqual([]);
  expect(await recordsUnder('acme', from)).toEqual([]);
  const moved = await recordsUnder('acme', to);
  expect(moved.length).toBeGreaterThan(0);
  for (const r of moved) {
    expect(r).toMatchObject({ scope: 'user', owner_user_id: 'alice', owner_agent_id: null });
    expect(r.context_type).toBe('memory');
  }
});

test('deleting an account removes its records and leaves the others alone', async () => {
  const dora = t.client({ account: 'doomed', user: 'dora' });
  const zed = t.client({ account: 'other', user: 'zed' });
  await write(dora, 'viking://resources/x.md', 'Doomed narwhalquill5 data.');
  await write(dora, 'viking://user/memories/m.md', 'Private narwhalquill5 memory.');
  await write(zed, 'viking://resources/y.md', 'Surviving narwhalquill5 data.', true);
  expect(await t.services.store.countRows(eq('account_id', 'doomed'))).toBeGreaterThan(0);
  const others = {
    acme: await t.services.store.countRows(eq('account_id', 'acme')),
    other: await t.services.store.countRows(eq('account_id', 'other')),
  };
  await t.root().delete('/api/v1/admin/accounts/doomed').expect(200);
  await drain();
  expect(await t.services.store.countRows(eq('account_id', 'doomed'))).toBe(0);
  expect(await t.services.store.countRows(eq('account_id', 'acme'))).toBe(others.acme);
  expect(await t.services.store.countRows(eq('account_id', 'other'))).toBe(others.other);
  expect(await find(zed, 'narwhalquill5')).toEqual(['viking://resources/y.md']);
});

describe('session messages', () => {
  const post = (client: Client, session: string, content: string) =>
    client.post(`/api/v1/sessions/${session}/messages`).send({ role: 'user', content }).expect(200);
  const hitsOf = async (client: Client, body: Record<string, unknown>) =>
    searchResultOf(await client.post('/api/v1/search/find').send({ mode: 'fulltext', ...body }));

  test('are found in `sessions` with their fields, and their URI is readable', async () => {
    await post(alice, 's-find', 'Let us discuss the capybarafjord8 plan.');
    await drain();
    const result = await hitsOf(bob, { query: 'capybarafjord8' });
    expect(result.total).toBe(1);
    expect(result.sessions).toHaveLength(1);
    const [hit] = result.sessions;
    expect(hit).toMatchObject({
      context_type: 'session',
      level: 2,
      session_id: 's-find',
      role: 'user',
      role_id: 'alice',
    });
    expect(hit?.message_id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(hit?.uri).toBe(`viking://session/s-find/messages/${hit?.message_id}`);
    expect(hit?.abstract).toContain('capybarafjord8');
    expect(await top(bob, 'capybarafjord8')).toBe(hit?.uri);
    const read = await bob.get('/api/v1/content/read').query({ uri: hit?.uri }).expect(200);
    expect(JSON.stringify(read.body)).toContain('capybarafjord8');
  });

  test('a session DELETE (ADMIN) removes its hits; a USER may not delete', async () => {
    await post(bob, 's-del', 'The okapinebula6 topic.');
    await drain();
    expect(await find(alice, 'okapinebula6')).toHaveLength(1);
    const refused = await alice.delete('/api/v1/sessions/s-del').expect(403);
    expect(errorCodeOf(refused)).toBe('PERMISSION_DENIED');
    await admin.delete('/api/v1/sessions/s-del').expect(200);
    await drain();
    expect(await find(alice, 'okapinebula6')).toEqual([]);
    const left = and(eq('account_id', 'acme'), subtree('viking://session/s-del'));
    expect(await t.services.store.countRows(left)).toBe(0);
  });

  test('commit keeps messages findable, and every hit still reads back', async () => {
    await post(alice, 's-commit', 'Archive the tapirglyph4 decision.');
    await drain();
    const [before] = (await hitsOf(alice, { query: 'tapirglyph4' })).sessions;
    expect(before?.message_id).toBeDefined();
    const committed = await alice.post('/api/v1/sessions/s-commit/commit').expect(200);
    expect(committed.body).toMatchObject({ result: { archived: true } });
    await drain();
    const after = allHits(await hitsOf(alice, { query: 'tapirglyph4', context_type: 'session' }));
    expect(after.map((h) => h.uri)).toContain(before?.uri);
    for (const hit of after) {
      const res = await readHit(bob, hit);
      expect([hit.uri, res.status]).toEqual([hit.uri, 200]);
      expect(JSON.stringify(res.body)).toContain('tapirglyph4');
    }
  });
});

describe('changes to existing content', () => {
  test('replacing a long file with a short one leaves no stale chunks', async () => {
    const uri = 'viking://resources/shrink.md';
    const para = (i: number) => `Part ${i} stalechunk ${'filler words for the chunker '.repeat(20)}`;
    await write(alice, uri, Array.from({ length: 8 }, (_, i) => para(i)).join('\n\n'), true);
    const before = await recordsUnder('acme', uri);
    expect(before.length).toBeGreaterThan(2);
    await write(alice, uri, 'Now only freshchunk text.', true);
    const after = await recordsUnder('acme', uri);
    expect(after.map((r) => r.text)).toEqual(['Now only freshchunk text.']);
    expect(await find(alice, 'stalechunk')).toEqual([]);
    expect(await find(alice, 'freshchunk')).toEqual([uri]);
  });

  test('append re-indexes the whole file', async () => {
    const uri = 'viking://resources/log.md';
    await write(alice, uri, 'First line ibexfirst.\n', true);
    await alice
      .post('/api/v1/content/write')
      .send({ uri, content: 'Second line ibexsecond.\n', mode: 'append', wait: true })
      .expect(200);
    expect(await find(alice, 'ibexfirst')).toEqual([uri]);
    expect(await find(alice, 'ibexsecond')).toEqual([uri]);
  });

  test('moving a folder moves every record below it', async () => {
    await write(alice, 'viking://resources/proj/a.md', 'Project dingofolder a.');
    await write(alice, 'viking://resources/proj/sub/b.md', 'Project dingofolder b.', true);
    await alice
      .post('/api/v1/fs/mv')
      .send({ from_uri: 'viking://resources/proj', to_uri: 'viking://resources/old/proj' })
      .expect(200);
    await drain();
    expect(await find(bob, 'dingofolder')).toEqual([
      'viking://resources/old/proj/a.md',
      'viking://resources/old/proj/sub/b.md',
    ]);
    const left = and(eq('account_id', 'acme'), subtree('viking://resources/proj'));
    expect(await t.services.store.countRows(left)).toBe(0);
  });

  test('a folder description is a level-0 hit read back with content/abstract', async () => {
    await alice
      .post('/api/v1/fs/mkdir')
      .send({ uri: 'viking://resources/described', description: 'Folder about the gerenukdesc topic.' })
      .expect(200);
    await drain();
    const [hit] = allHits(
      searchResultOf(await bob.post('/api/v1/search/find').send({ query: 'gerenukdesc', mode: 'fulltext' })),
    );
    expect(hit).toMatchObject({ uri: 'viking://resources/described', level: 0, context_type: 'resource' });
    const read = await readHit(bob, hit as Hit).expect(200);
    expect(JSON.stringify(read.body)).toContain('gerenukdesc');
  });

  test('an assistant message carries the agent as role_id', async () => {
    await alice
      .post('/api/v1/sessions/s-agent/messages')
      .send({ role: 'assistant', content: 'Answer with the dikdikreply token.' })
      .expect(200);
    await drain();
    const result = searchResultOf(
      await alice.post('/api/v1/search/find').send({ query: 'dikdikreply', mode: 'fulltext' }),
    );
    expect(result.sessions).toEqual([
      expect.objectContaining({ session_id: 's-agent', role: 'assistant', role_id: 'bot' }),
    ]);
  });
});

describe('account lifecycle', () => {
  test('writes still queued when their account is deleted leave no records', async () => {
    await t
      .root()
      .post('/api/v1/admin/accounts')
      .send({ account_id: 'racy', admin_user_id: 'rita' })
      .expect(200);
    const rita = t.client({ account: 'racy', user: 'rita', root: true });
    for (let i = 0; i < 10; i++) await write(rita, `viking://resources/r${i}.md`, `Racy quaggarace${i}.`);
    await t.root().delete('/api/v1/admin/accounts/racy').expect(200);
    await drain();
    expect(await t.services.store.countRows(eq('account_id', 'racy'))).toBe(0);
  });

  test('a re-created account starts empty and its old keys are gone', async () => {
    const created = await t
      .root()
      .post('/api/v1/admin/accounts')
      .send({ account_id: 'phoenix', admin_user_id: 'pam' })
      .expect(200);
    const oldKey = z.object({ result: z.object({ user_key: z.string() }) }).parse(created.body)
      .result.user_key;
    const asPam = (key: string) =>
      t.client({ account: 'phoenix', user: 'pam', root: true }).set('X-API-Key', key);
    await write(asPam(oldKey), 'viking://resources/old.md', 'Old ashtoken data.', true);
    await t.root().delete('/api/v1/admin/accounts/phoenix').expect(200);
    const again = await t
      .root()
      .post('/api/v1/admin/accounts')
      .send({ account_id: 'phoenix', admin_user_id: 'pam' })
      .expect(200);
    const newKey = z.object({ result: z.object({ user_key: z.string() }) }).parse(again.body).result.user_key;
    await asPam(oldKey).get('/api/v1/fs/ls').query({ uri: 'viking://' }).expect(401);
    await write(asPam(newKey), 'viking://resources/new.md', 'New ashtoken data.', true);
    expect(await find(asPam(newKey), 'ashtoken')).toEqual(['viking://resources/new.md']);
    await asPam(newKey).get('/api/v1/content/read').query({ uri: 'viking://resources/old.md' }).expect(404);
  });

  test('ROOT acting in an account that does not exist is refused', async () => {
    const ghost = t.client({ account: 'ghost', user: 'casper', root: true });
    const res = await ghost
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/boo.md', content: 'boo' });
    expect(res.status).toBe(404);
    expect(errorCodeOf(res)).toBe('NOT_FOUND');
  });
});

test('concurrent writes with wait: true are each searchable when their own call returns', async () => {
  const uris = Array.from({ length: 16 }, (_, i) => `viking://resources/par/f${i}.md`);
  await Promise.all(
    uris.map(async (uri, i) => {
      await write(i % 2 === 0 ? alice : bob, uri, `Parallel elandpar${i} file.`, true);
      expect(await find(alice, `elandpar${i}`)).toEqual([uri]);
    }),
  );
});

test('a session target restricts search to that session', async () => {
  await alice.post('/api/v1/sessions/s-one/messages').send({ role: 'user', content: 'Kudusess one.' });
  await alice.post('/api/v1/sessions/s-two/messages').send({ role: 'user', content: 'Kudusess two.' });
  await drain();
  const all = await find(alice, 'kudusess');
  expect(all).toHaveLength(2);
  const one = await find(alice, 'kudusess', { target_uri: 'viking://session/s-one' });
  expect(one).toHaveLength(1);
  expect(one[0]).toMatch(/^viking:\/\/session\/s-one\/messages\/msg_/);
});
