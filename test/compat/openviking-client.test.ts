/**
 * Wire compatibility with OpenViking's HTTP clients: each test sends a request exactly as
 * OpenViking's Python client (openviking_cli/client/http.py) or its OpenClaw plugin
 * (examples/openclaw-plugin/client.ts) builds it, through the fully wired app, and reads the
 * response fields those clients read.
 */
import { z } from 'zod';
import { errorCodeOf, fullApp, type Client, type FullApp } from '../helpers/full-app.js';

/** The `result` of an envelope. */
const resultOf = (res: { body: unknown }): unknown =>
  z.object({ result: z.unknown() }).parse(res.body).result;

let t: FullApp;
let alice: Client;

beforeAll(async () => {
  t = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
  alice = t.client({ account: 'acme', user: 'alice', agent: 'bot' });
});
afterAll(() => t.close());

describe('GET /api/v1/system/status (openviking/server/routers/system.py)', () => {
  test('reports the caller as `user`, which the OpenClaw plugin reads to build canonical roots', async () => {
    const res = await alice.get('/api/v1/system/status').expect(200);
    expect(resultOf(res)).toMatchObject({ initialized: true, user: 'alice' });
  });
});

describe('POST /api/v1/search/find (openviking/server/routers/search.py FindRequest)', () => {
  const uris = (res: { body: { result: Record<string, { uri: string }[]> } }) =>
    ['memories', 'resources', 'skills', 'sessions']
      .flatMap((g) => res.body.result[g] ?? [])
      .map((h) => h.uri);

  beforeAll(async () => {
    for (const name of ['one', 'two', 'three']) {
      await alice
        .post('/api/v1/content/write')
        .send({
          uri: `viking://resources/${name}/doc.md`,
          content: `compatword notes in ${name}`,
          wait: true,
        })
        .expect(200);
    }
  });

  test('node_limit overrides limit, as the client sends it', async () => {
    const res = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', limit: 10, node_limit: 1 })
      .expect(200);
    expect(uris(res)).toHaveLength(1);
  });

  test('target_uri may be a list of subtrees; an empty string or list means no target', async () => {
    const two = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', target_uri: ['viking://resources/one', 'viking://resources/two'] })
      .expect(200);
    expect(uris(two).sort()).toEqual(['viking://resources/one/doc.md', 'viking://resources/two/doc.md']);
    for (const target_uri of ['', [], ['']]) {
      const all = await alice
        .post('/api/v1/search/find')
        .send({ query: 'compatword', target_uri })
        .expect(200);
      expect(uris(all)).toHaveLength(3);
    }
  });

  test('every listed target is checked: one invisible target is 403, one malformed is 400', async () => {
    const hidden = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', target_uri: ['viking://resources/one', 'viking://user/bob'] });
    expect(hidden.status).toBe(403);
    expect(errorCodeOf(hidden)).toBe('PERMISSION_DENIED');
    const bad = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', target_uri: ['viking://resources/one', 'viking://tmp/x'] });
    expect(bad.status).toBe(400);
  });

  test('since/until accept relative durations (7d, 2h) and date-only bounds', async () => {
    const recent = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', since: '1h' })
      .expect(200);
    expect(uris(recent)).toHaveLength(3);
    const old = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', until: '1h' })
      .expect(200);
    expect(uris(old)).toHaveLength(0);
    // A date-only `until` is inclusive of the whole day.
    const today = new Date().toISOString().slice(0, 10);
    const byDay = await alice
      .post('/api/v1/search/find')
      .send({ query: 'compatword', until: today })
      .expect(200);
    expect(uris(byDay)).toHaveLength(3);
    const bad = await alice.post('/api/v1/search/find').send({ query: 'compatword', since: '7y' });
    expect(bad.status).toBe(400);
  });

  test('/search/search takes the same body plus session_id', async () => {
    const res = await alice
      .post('/api/v1/search/search')
      .send({ query: 'compatword', target_uri: '', session_id: null, node_limit: 2, telemetry: false })
      .expect(200);
    expect(uris(res)).toHaveLength(2);
  });
});

describe('sessions (openviking/server/routers/sessions.py, session/session.py)', () => {
  const meta = z.object({ session_id: z.string(), message_count: z.number(), commit_count: z.number() });
  const commit = z.object({
    session_id: z.string(),
    status: z.literal('accepted'),
    task_id: z.null(),
    archived: z.boolean(),
    archive_uri: z.string().nullable(),
  });
  const say = (sid: string, text: string) =>
    alice.post(`/api/v1/sessions/${sid}/messages`).send({ role: 'user', content: text }).expect(200);

  test('GET ?auto_create=true creates a missing session (the client get_session(auto_create=True))', async () => {
    expect((await alice.get('/api/v1/sessions/auto1')).status).toBe(404);
    const res = await alice.get('/api/v1/sessions/auto1').query({ auto_create: 'true' }).expect(200);
    expect(meta.parse(resultOf(res))).toMatchObject({ session_id: 'auto1', message_count: 0 });
    await alice.get('/api/v1/sessions/auto1').expect(200);
    // An existing session is returned unchanged.
    await say('auto1', 'hello');
    const again = await alice.get('/api/v1/sessions/auto1').query({ auto_create: 'true' }).expect(200);
    expect(meta.parse(resultOf(again)).message_count).toBe(1);
  });

  test('a part without `type` is a text part, as part_from_dict reads it', async () => {
    await alice
      .post('/api/v1/sessions/typeless/messages')
      .send({ role: 'assistant', parts: [{ text: 'typeless words' }] })
      .expect(200);
    const res = await alice.get('/api/v1/sessions/typeless/context').expect(200);
    const context = z.object({ messages: z.array(z.object({ parts: z.array(z.unknown()) })) });
    expect(context.parse(resultOf(res)).messages[0]?.parts).toEqual([
      { type: 'text', text: 'typeless words' },
    ]);
  });

  test('commit answers task_id: null (no background task to poll) with the client body', async () => {
    await say('c1', 'one');
    const res = await alice
      .post('/api/v1/sessions/c1/commit')
      .send({ keep_recent_count: 0, telemetry: false })
      .expect(200);
    expect(commit.parse(resultOf(res))).toMatchObject({ archived: true, task_id: null });
  });

  test('commit keeps the newest keep_recent_count messages live', async () => {
    for (const text of ['m1', 'm2', 'm3', 'm4']) await say('c2', text);
    const res = await alice.post('/api/v1/sessions/c2/commit').send({ keep_recent_count: 3 }).expect(200);
    expect(commit.parse(resultOf(res))).toMatchObject({
      archived: true,
      archive_uri: 'viking://session/c2/history/archive_001',
    });
    const got = meta.parse(resultOf(await alice.get('/api/v1/sessions/c2').expect(200)));
    expect(got).toMatchObject({ message_count: 3, commit_count: 1 });
    const archived = await alice
      .get('/api/v1/content/read')
      .query({ uri: 'viking://session/c2/history/archive_001/messages.jsonl' })
      .expect(200);
    expect(String(resultOf(archived))).toContain('m1');
    expect(String(resultOf(archived))).not.toContain('m2');
    const context = z.object({
      messages: z.array(z.object({ parts: z.array(z.object({ text: z.string() })) })),
    });
    const live = context.parse(resultOf(await alice.get('/api/v1/sessions/c2/context').expect(200)));
    expect(live.messages.map((m) => m.parts[0]?.text)).toEqual(['m2', 'm3', 'm4']);
    // Everything already fits the keep window: nothing to archive.
    const none = await alice.post('/api/v1/sessions/c2/commit').send({ keep_recent_count: 5 }).expect(200);
    expect(commit.parse(resultOf(none))).toMatchObject({ archived: false, archive_uri: null });
    expect((await alice.post('/api/v1/sessions/c2/commit').send({ keep_recent_count: -1 })).status).toBe(400);
  });
});

describe('filesystem and content (openviking/server/routers/filesystem.py, content.py)', () => {
  test('content/write mode "create" makes a new file and refuses an existing one (storage/content_write.py)', async () => {
    const uri = 'viking://resources/created/new.md';
    const body = { uri, content: 'fresh', mode: 'create', wait: false, timeout: null, telemetry: false };
    await alice.post('/api/v1/content/write').send(body).expect(200);
    const again = await alice.post('/api/v1/content/write').send({ ...body, content: 'overwritten' });
    expect(again.status).toBe(409);
    expect(errorCodeOf(again)).toBe('ALREADY_EXISTS');
    const read = await alice.get('/api/v1/content/read').query({ uri, offset: 0, limit: -1 }).expect(200);
    expect(resultOf(read)).toBe('fresh');
  });

  test('fs/mv answers from and to, as OpenViking does', async () => {
    await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://resources/mv/a.md', content: 'a' })
      .expect(200);
    const res = await alice
      .post('/api/v1/fs/mv')
      .send({ from_uri: 'viking://resources/mv/a.md', to_uri: 'viking://resources/mv/b.md' })
      .expect(200);
    expect(resultOf(res)).toMatchObject({
      from: 'viking://resources/mv/a.md',
      to: 'viking://resources/mv/b.md',
    });
  });
});

describe('error details (openviking_cli/client/http.py _raise_exception)', () => {
  const details = (res: { body: unknown }) =>
    z.object({ error: z.object({ details: z.record(z.string(), z.unknown()) }) }).parse(res.body).error
      .details;

  test('NOT_FOUND names the resource and its type; INVALID_URI gives the uri and a reason', async () => {
    const missing = await alice
      .get('/api/v1/fs/stat')
      .query({ uri: 'viking://resources/none.md' })
      .expect(404);
    expect(details(missing)).toMatchObject({
      uri: 'viking://resources/none.md',
      resource: 'viking://resources/none.md',
    });
    expect(typeof details(missing).type).toBe('string');
    const session = await alice.get('/api/v1/sessions/nosuch').expect(404);
    expect(details(session)).toMatchObject({ resource: 'nosuch', type: 'session' });
    const bad = await alice.get('/api/v1/fs/stat').query({ uri: 'viking://tmp/x' }).expect(400);
    expect(details(bad)).toMatchObject({ uri: 'viking://tmp/x' });
    expect(details(bad).reason).toEqual(expect.any(String));
  });
});
