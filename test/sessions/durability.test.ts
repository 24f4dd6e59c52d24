/** Concurrency and crash safety of the message log: no lost or interleaved lines, torn-line recovery. */
import { appendFile, copyFile, mkdir, readFile } from 'node:fs/promises';
import { ctxOf, sessionFixture, sessionPath, type Fixture } from '../helpers/sessions.js';

let fx: Fixture;
beforeEach(async () => (fx = await sessionFixture()));
afterEach(async () => fx.cleanup());

test('20 concurrent writers × 50 messages: every message exactly once, 1,000 whole lines', async () => {
  const writers = Array.from({ length: 20 }, (_, w) => w);
  await Promise.all(
    writers.map(async (w) => {
      const ctx = ctxOf(w % 2 === 0 ? 'user' : 'admin', w % 2 === 0 ? 'alice' : 'bob', `agent-${w}`);
      for (let i = 0; i < 50; i += 1) {
        await fx.service.addMessage(ctx, 'busy', { role: 'assistant', content: `writer ${w} message ${i}` });
      }
    }),
  );
  const text = await readFile(sessionPath(fx.dataDir, 'acme', 'busy', 'messages.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(lines).toHaveLength(1000);
  const parsed = lines.map((l) => JSON.parse(l) as { id: string; parts: { text: string }[] });
  const texts = parsed.map((m) => m.parts[0]?.text);
  expect(new Set(texts).size).toBe(1000);
  for (const w of writers) {
    for (let i = 0; i < 50; i += 1) expect(texts).toContain(`writer ${w} message ${i}`);
  }
  expect(new Set(parsed.map((m) => m.id)).size).toBe(1000);
  // Each writer's own messages stay in its order.
  const mine = texts.filter((t) => t?.startsWith('writer 7 '));
  expect(mine).toEqual(Array.from({ length: 50 }, (_, i) => `writer 7 message ${i}`));

  const meta = await fx.service.get(ctxOf('user'), 'busy');
  expect(meta.message_count).toBe(1000);
  expect(meta.participant_agent_ids).toHaveLength(20);
  expect(fx.hooks.calls.filter((c) => c.startsWith('messageAdded acme busy'))).toHaveLength(1000);
});

test('concurrent implicit creation by several users creates one session with one creator', async () => {
  const users = ['alice', 'bob', 'carol'];
  await Promise.all(
    users.map((u) => fx.service.addMessage(ctxOf('user', u), 's1', { role: 'user', content: u })),
  );
  const meta = await fx.service.get(ctxOf('user'), 's1');
  expect(meta.message_count).toBe(3);
  expect(users).toContain(meta.created_by_user_id);
  expect([...meta.participant_user_ids].sort()).toEqual(users);
});

test('a torn last line is skipped by readers and never glued onto by the next append', async () => {
  const first = await fx.service.addMessage(ctxOf('user'), 's1', {
    role: 'user',
    content: 'before the crash',
  });
  expect(first.message_count).toBe(1);
  const path = sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl');
  // A crash in the middle of an append leaves half a line without a newline.
  await appendFile(path, '{"id":"msg_torn","role":"user","parts":[{"type":"te');

  const restarted = fx.restart();
  const ctx = await restarted.context(ctxOf('user'), 's1');
  expect(ctx.messages.map((m) => m.parts[0])).toEqual([{ type: 'text', text: 'before the crash' }]);

  const after = await restarted.addMessage(ctxOf('user'), 's1', { role: 'user', content: 'after the crash' });
  expect(after.message_count).toBe(2);
  const lines = (await readFile(path, 'utf8')).split('\n');
  expect(lines).toHaveLength(4); // good, torn, good, '' after the final newline
  expect(lines[1]).toBe('{"id":"msg_torn","role":"user","parts":[{"type":"te');
  expect((JSON.parse(lines[2] ?? '') as { parts: { text: string }[] }).parts[0]?.text).toBe(
    'after the crash',
  );

  const context = await restarted.context(ctxOf('user'), 's1');
  expect(context.messages.map((m) => m.parts[0])).toEqual([
    { type: 'text', text: 'before the crash' },
    { type: 'text', text: 'after the crash' },
  ]);
  expect((await restarted.get(ctxOf('user'), 's1')).message_count).toBe(2);
  // A commit archives only the readable messages.
  await restarted.commit(ctxOf('user'), 's1');
  const archived = await readFile(
    sessionPath(fx.dataDir, 'acme', 's1', 'history', 'archive_001', 'messages.jsonl'),
    'utf8',
  );
  expect(archived.trim().split('\n')).toHaveLength(2);
});

test('a message appended before a crash but missing from the meta is counted after restart', async () => {
  await fx.service.addMessage(ctxOf('user', 'alice'), 's1', { role: 'user', content: 'one' });
  const path = sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl');
  // Simulate: the line reached the log, the process died before the meta was replaced.
  const orphan = {
    id: `msg_${'a'.repeat(32)}`,
    role: 'user',
    role_id: 'bob',
    parts: [{ type: 'text', text: 'two' }],
    created_at: new Date().toISOString(),
  };
  await appendFile(path, `${JSON.stringify(orphan)}\n`);
  const restarted = fx.restart();
  const result = await restarted.addMessage(ctxOf('user', 'alice'), 's1', { role: 'user', content: 'three' });
  expect(result.message_count).toBe(3);
  const meta = await restarted.get(ctxOf('user'), 's1');
  expect(meta).toMatchObject({ message_count: 3, total_message_count: 3 });
  expect(meta.participant_user_ids).toEqual(['alice', 'bob']);
  expect(await restarted.read('acme', 's1', orphan.id)).not.toBeNull();
});

test('a commit interrupted after the archive was written does not archive messages twice', async () => {
  await fx.service.addMessage(ctxOf('user'), 's1', { role: 'user', content: 'one' });
  await fx.service.addMessage(ctxOf('user'), 's1', { role: 'user', content: 'two' });
  const live = sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl');
  // The crash: archive_001 is in place, the live log still holds its messages, the meta is old.
  const archive = sessionPath(fx.dataDir, 'acme', 's1', 'history', 'archive_001');
  await mkdir(archive, { recursive: true });
  await copyFile(live, `${archive}/messages.jsonl`);

  const restarted = fx.restart();
  await expect(restarted.commit(ctxOf('user'), 's1')).resolves.toMatchObject({
    archived: false,
    archive_uri: null,
  });
  expect(await readFile(live, 'utf8')).toBe('');
  expect(await restarted.get(ctxOf('user'), 's1')).toMatchObject({ message_count: 0, commit_count: 1 });

  await restarted.addMessage(ctxOf('user'), 's1', { role: 'user', content: 'three' });
  await expect(restarted.commit(ctxOf('user'), 's1')).resolves.toMatchObject({
    archive_uri: 'viking://session/s1/history/archive_002',
  });
  const second = await readFile(
    sessionPath(fx.dataDir, 'acme', 's1', 'history', 'archive_002', 'messages.jsonl'),
    'utf8',
  );
  expect(second.trim().split('\n')).toHaveLength(1);
  expect(second).toContain('three');
});
