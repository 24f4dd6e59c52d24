/** Rebuilding the index from the filesystem: journaled jobs, one account per batch. */
import { GatedEmbedder } from '../helpers/gated-embedder.js';
import { IndexFixture } from '../helpers/index-fixture.js';

let f: IndexFixture;

beforeEach(async () => {
  f = await new IndexFixture().start();
});

afterEach(async () => {
  await f.close();
});

const message = (id: string, role: string, text: string): string =>
  JSON.stringify({
    id,
    role,
    role_id: 'alice',
    parts: [
      { type: 'text', text },
      { type: 'context', uri: 'viking://resources/x' },
    ],
    created_at: '2026-01-01T00:00:00Z',
  });

test('reindex rebuilds files, folder records and session messages, and skips internal state', async () => {
  await f.write('acme', 'viking://resources/docs/a.md', 'alpha');
  await f.write('acme', 'viking://resources/docs/.abstract.md', 'docs abstract');
  await f.write('acme', 'viking://resources/docs/.vs-tmp-a.md-123', 'temporary');
  await f.write('acme', 'viking://resources/bin.dat', Uint8Array.from([1, 0, 2]));
  await f.write('acme', '_system/setting.json', '{"namespace":{}}');
  await f.write('acme', 'viking://session/s1/.meta.json', '{"session_id":"s1"}');
  await f.write(
    'acme',
    'viking://session/s1/messages.jsonl',
    `${message('msg_1', 'user', 'live one')}\n{torn`,
  );
  await f.write(
    'acme',
    'viking://session/s1/history/archive_001/messages.jsonl',
    `${message('msg_0', 'user', 'archived')}\n`,
  );
  await f.write('acme', 'viking://session/s1/history/archive_001/.overview.md', 'archive overview');
  await f.write('other', 'viking://resources/o.md', 'other account');
  await f.pipeline.rebuild(['acme', 'other'], 'test');
  await f.pipeline.waitIdle();
  const rows = await f.rows('acme');
  expect(rows.map((r) => [r.uri, r.level, r.text])).toEqual([
    ['viking://resources/docs', 0, 'docs abstract'],
    ['viking://resources/docs/a.md', 2, 'alpha'],
    ['viking://session/s1/history/archive_001', 1, 'archive overview'],
    ['viking://session/s1/messages/msg_0', 2, 'archived'],
    ['viking://session/s1/messages/msg_1', 2, 'live one'],
  ]);
  expect(rows.find((r) => r.message_id === 'msg_1')).toMatchObject({
    role: 'user',
    role_id: 'alice',
    session_id: 's1',
  });
  expect(await f.rows('other')).toHaveLength(1);

  // Records the filesystem no longer backs disappear; the account is rebuilt, the other untouched.
  await f.remove('acme', 'viking://resources/docs');
  await f.pipeline.rebuild(['acme'], 'test');
  await f.pipeline.waitIdle();
  expect(await f.rows('acme')).toHaveLength(3);
  expect((await f.rows('acme')).every((r) => r.uri.startsWith('viking://session/'))).toBe(true);
  expect(await f.rows('other')).toHaveLength(1);
});

test('a rebuild is tracked per account, survives a restart of the pipeline and is never dropped', async () => {
  await f.close();
  const gated = new GatedEmbedder();
  f = new IndexFixture();
  await f.write('acme', 'viking://resources/a.md', 'gatedword acme');
  await f.write('other', 'viking://resources/o.md', 'gatedother');
  await f.write('broken', 'viking://resources/b.md', 'poisonword');
  gated.close('gatedword');
  gated.close('gatedother');
  gated.poison('poisonword');
  await f.start({ embedder: gated });
  await f.pipeline.rebuild(['acme', 'other', 'broken'], 'test');
  await gated.reached('gatedword');
  expect(['acme', 'other', 'broken', 'nobody'].map((a) => f.pipeline.rebuilding(a))).toEqual([
    true,
    true,
    true,
    false,
  ]);
  expect((await f.pipeline.status()).rebuild).toEqual({ accounts_done: 0, accounts_left: 3 });

  // Stopped with the first account's job in progress: it finishes, the others stay journaled.
  const stopped = f.pipeline.stop();
  gated.open('gatedword');
  await stopped;
  await f.pipeline.start();
  await gated.reached('gatedother');
  expect([f.pipeline.rebuilding('acme'), f.pipeline.rebuilding('other')]).toEqual([false, true]);
  expect(await f.rows('acme')).toHaveLength(1);
  gated.open('gatedother');

  // A rebuild that keeps failing is counted and journaled again: its account stays incomplete.
  while ((await f.pipeline.status()).failed_jobs === 0) await new Promise((r) => setTimeout(r, 10));
  expect(await f.rows('other')).toHaveLength(1);
  expect(f.pipeline.rebuilding('broken')).toBe(true);
  expect((await f.pipeline.status()).rebuild).toMatchObject({ accounts_left: 1 });
});
