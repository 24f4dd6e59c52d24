/** The indexing pipeline end to end: files on disk, hooks, the worker, and a real LanceDB. */
import { canonicalUri } from '../../src/policy/index.js';
import { IndexFixture } from '../helpers/index-fixture.js';

let f: IndexFixture;

beforeEach(async () => {
  f = await new IndexFixture().start();
});

afterEach(async () => {
  await f.close();
});

const long = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');

test('a written file is chunked into records with owner fields from its URI', async () => {
  f.policies.set('acme', { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: false });
  const uri = 'viking://user/alice/agent/bot/memories/long.md';
  await f.write('acme', uri, long);
  await f.pipeline.fileWritten('acme', canonicalUri(uri));
  await f.pipeline.waitIdle();
  const rows = await f.rows('acme');
  expect(rows.length).toBeGreaterThan(3);
  expect(rows.map((r) => r.chunk_index)).toEqual(rows.map((_, i) => i));
  for (const r of rows) {
    expect(r).toMatchObject({
      account_id: 'acme',
      uri,
      scope: 'user',
      owner_user_id: 'alice',
      owner_agent_id: 'bot',
      context_type: 'memory',
      level: 2,
    });
  }
  expect(rows[0]?.text.startsWith('word0 word1')).toBe(true);
  expect(rows.at(-1)?.text.endsWith('word599')).toBe(true);
});

test('re-writing a file with less text drops the chunks it no longer has', async () => {
  const uri = 'viking://resources/doc.md';
  await f.write('acme', uri, long);
  await f.pipeline.fileWritten('acme', canonicalUri(uri));
  await f.pipeline.waitIdle();
  expect((await f.rows('acme')).length).toBeGreaterThan(3);
  await f.write('acme', uri, 'short now');
  await f.pipeline.fileWritten('acme', canonicalUri(uri));
  await f.pipeline.waitIdle();
  const rows = await f.rows('acme');
  expect(rows.map((r) => [r.uri, r.text])).toEqual([[uri, 'short now']]);
});

test('folder abstract and overview are indexed as level 0 and 1 records of the folder', async () => {
  await f.write('acme', 'viking://resources/docs/.abstract.md', 'Docs about turbines');
  await f.write('acme', 'viking://resources/docs/.overview.md', 'A long overview');
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/docs/.abstract.md'));
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/docs/.overview.md'));
  await f.pipeline.waitIdle();
  const rows = await f.rows('acme');
  expect(rows.map((r) => [r.uri, r.level, r.text])).toEqual([
    ['viking://resources/docs', 0, 'Docs about turbines'],
    ['viking://resources/docs', 1, 'A long overview'],
  ]);
  await f.remove('acme', 'viking://resources/docs/.abstract.md');
  await f.pipeline.removed('acme', canonicalUri('viking://resources/docs/.abstract.md'));
  await f.pipeline.waitIdle();
  expect((await f.rows('acme')).map((r) => r.level)).toEqual([1]);
});

test('binary files and files that are not UTF-8 are not indexed', async () => {
  await f.write('acme', 'viking://resources/img.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
  await f.write('acme', 'viking://resources/latin1.txt', Uint8Array.from([0x63, 0x61, 0x66, 0xe9]));
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/img.png'));
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/latin1.txt'));
  await f.pipeline.waitIdle();
  expect(await f.rows('acme')).toEqual([]);
});

test('a file that became binary loses its records', async () => {
  await f.write('acme', 'viking://resources/x', 'text first');
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/x'));
  await f.pipeline.waitIdle();
  await f.write('acme', 'viking://resources/x', Uint8Array.from([0, 0, 0]));
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/x'));
  await f.pipeline.waitIdle();
  expect(await f.rows('acme')).toEqual([]);
});

test('removing a subtree removes its records and its folder records, nothing else', async () => {
  for (const uri of [
    'viking://resources/a/x.md',
    'viking://resources/a/b/y.md',
    'viking://resources/a/.abstract.md',
    'viking://resources/ab.md',
  ]) {
    await f.write('acme', uri, `content of ${uri}`);
    await f.pipeline.fileWritten('acme', canonicalUri(uri));
  }
  await f.pipeline.waitIdle();
  expect(await f.rows('acme')).toHaveLength(4);
  await f.remove('acme', 'viking://resources/a');
  await f.pipeline.removed('acme', canonicalUri('viking://resources/a'));
  await f.pipeline.waitIdle();
  expect((await f.rows('acme')).map((r) => r.uri)).toEqual(['viking://resources/ab.md']);
});

test('a move takes the records along, with owners derived from the new URI', async () => {
  await f.write('acme', 'viking://user/alice/notes/n.md', 'note one');
  await f.write('acme', 'viking://user/alice/notes/.overview.md', 'notes overview');
  await f.pipeline.fileWritten('acme', canonicalUri('viking://user/alice/notes/n.md'));
  await f.pipeline.fileWritten('acme', canonicalUri('viking://user/alice/notes/.overview.md'));
  await f.pipeline.waitIdle();
  await f.move('acme', 'viking://user/alice/notes', 'viking://resources/shared/notes');
  await f.pipeline.moved(
    'acme',
    canonicalUri('viking://user/alice/notes'),
    canonicalUri('viking://resources/shared/notes'),
  );
  await f.pipeline.waitIdle();
  const rows = await f.rows('acme');
  expect(rows.map((r) => [r.uri, r.level, r.scope, r.owner_user_id])).toEqual([
    ['viking://resources/shared/notes', 1, 'resources', null],
    ['viking://resources/shared/notes/n.md', 2, 'resources', null],
  ]);
});

test('session messages are indexed one record each; deleting the session removes them', async () => {
  f.messages.set('acme/s1/msg_a', {
    role: 'user',
    role_id: 'alice',
    text: 'first message',
    created_at: '2026-01-02T00:00:00Z',
  });
  f.messages.set('acme/s1/msg_b', { role: 'assistant', role_id: 'bot', text: 'reply', created_at: 7 });
  await f.pipeline.messageAdded('acme', 's1', 'msg_a');
  await f.pipeline.messageAdded('acme', 's1', 'msg_b');
  await f.pipeline.messageAdded('acme', 's1', 'msg_missing');
  await f.pipeline.waitIdle();
  const rows = await f.rows('acme');
  expect(rows.map((r) => [r.uri, r.role, r.role_id, r.session_id, r.message_id, r.context_type])).toEqual([
    ['viking://session/s1/messages/msg_a', 'user', 'alice', 's1', 'msg_a', 'session'],
    ['viking://session/s1/messages/msg_b', 'assistant', 'bot', 's1', 'msg_b', 'session'],
  ]);
  await f.pipeline.removed('acme', canonicalUri('viking://session/s1'));
  await f.pipeline.waitIdle();
  expect(await f.rows('acme')).toEqual([]);
});

test('deleting an account removes all its records and only its records', async () => {
  for (const account of ['acme', 'other']) {
    await f.write(account, 'viking://resources/r.md', 'shared words');
    await f.write(account, 'viking://agent/bot/skills/s.md', 'a skill');
    await f.pipeline.fileWritten(account, canonicalUri('viking://resources/r.md'));
    await f.pipeline.fileWritten(account, canonicalUri('viking://agent/bot/skills/s.md'));
  }
  await f.pipeline.waitIdle();
  await f.remove('acme', 'viking://');
  await f.pipeline.accountDeleted('acme');
  await f.pipeline.waitIdle();
  expect(await f.rows('acme')).toEqual([]);
  expect(await f.rows('other')).toHaveLength(2);
  expect((await f.pipeline.status()).queue_depth).toBe(0);
});

test('a file deleted before its job runs leaves no records', async () => {
  await f.write('acme', 'viking://resources/gone.md', 'soon gone');
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/gone.md'));
  await f.pipeline.waitIdle();
  await f.remove('acme', 'viking://resources/gone.md');
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/gone.md'));
  await f.pipeline.waitIdle();
  expect(await f.rows('acme')).toEqual([]);
});

test('status reports depth, lag, drain rate, records and the embedder', async () => {
  await f.write('acme', 'viking://resources/s.md', 'status');
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/s.md'));
  await f.pipeline.waitIdle();
  expect(await f.pipeline.status()).toEqual({
    queue_depth: 0,
    index_lag_s: 0,
    drain_rate: expect.any(Number) as number,
    records: 1,
    embedder: { id: 'test:hash-64', dimension: 64 },
    failed_jobs: 0,
    indexing_paused: null,
  });
});

test('a job that keeps failing is dropped after bounded retries; the others in its batch are done', async () => {
  f.failing.add('broken');
  await f.write('broken', 'viking://resources/b.md', 'cannot index');
  await f.write('acme', 'viking://resources/ok.md', 'can index');
  await f.pipeline.fileWritten('broken', canonicalUri('viking://resources/b.md'));
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/ok.md'));
  await f.pipeline.waitIdle();
  expect((await f.rows('acme')).map((r) => r.uri)).toEqual(['viking://resources/ok.md']);
  expect(await f.rows('broken')).toEqual([]);
  const status = await f.pipeline.status();
  expect(status).toMatchObject({ queue_depth: 0, failed_jobs: 1 });
  // The worker is still alive.
  await f.write('acme', 'viking://resources/later.md', 'later');
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/later.md'));
  await f.pipeline.waitIdle();
  expect(await f.rows('acme')).toHaveLength(2);
});

test('many concurrent writes are batched and all indexed by the time waitIdle resolves', async () => {
  const uris = Array.from({ length: 40 }, (_, i) => `viking://resources/many/f${i}.md`);
  await Promise.all(uris.map((uri, i) => f.write('acme', uri, `file ${i}`)));
  await Promise.all(uris.map((uri) => f.pipeline.fileWritten('acme', canonicalUri(uri))));
  await f.pipeline.waitIdle();
  expect((await f.rows('acme')).map((r) => r.uri).sort()).toEqual([...uris].sort());
  expect(f.embedder.calls).toBeLessThan(10);
});

test('after stop() the hooks refuse new jobs with UNAVAILABLE', async () => {
  await f.pipeline.stop();
  await expect(f.pipeline.fileWritten('acme', canonicalUri('viking://resources/x.md'))).rejects.toMatchObject(
    {
      code: 'UNAVAILABLE',
    },
  );
  await f.pipeline.start();
  await f.write('acme', 'viking://resources/x.md', 'back again');
  await f.pipeline.fileWritten('acme', canonicalUri('viking://resources/x.md'));
  await f.pipeline.waitIdle();
  expect(await f.rows('acme')).toHaveLength(1);
});
