/**
 * Issue 14, item 5: a damaged `.meta.json` (truncated, emptied, deleted) does not break its session;
 * it is rebuilt from `messages.jsonl` and the archives and stored again, valid and atomically.
 */
import { readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { sessionMetaSchema } from '../../src/sessions/schema.js';
import { sessionsApp } from '../helpers/sessions-app.js';
import { ctxOf, sessionFixture, sessionPath, type Fixture } from '../helpers/sessions.js';

let fx: Fixture;
beforeEach(async () => (fx = await sessionFixture()));
afterEach(async () => fx.cleanup());

const metaPath = (session: string): string => sessionPath(fx.dataDir, 'acme', session, '.meta.json');

async function storedMeta(session: string) {
  return sessionMetaSchema.parse(JSON.parse(await readFile(metaPath(session), 'utf8')));
}

/** A session created by alice with a user message from bob and an answer from the agent `bot`. */
async function conversation(session: string): Promise<void> {
  await fx.service.create(ctxOf('user', 'alice'), { session_id: session });
  await fx.service.addMessage(ctxOf('user', 'bob'), session, { role: 'user', content: 'question' });
  await fx.service.addMessage(ctxOf('user', 'alice', 'bot'), session, {
    role: 'assistant',
    content: 'answer',
  });
}

const damage: ReadonlyArray<readonly [string, (path: string) => Promise<void>]> = [
  ['truncated mid-way', async (path) => truncate(path, 40)],
  ['emptied', async (path) => truncate(path, 0)],
  ['not a meta', async (path) => writeFile(path, '{"session_id": 42}')],
  ['deleted', async (path) => rm(path)],
];

test.each(damage)('a meta %s is rebuilt: reads, appends and the list work again', async (_how, harm) => {
  await conversation('s1');
  await harm(metaPath('s1'));

  const meta = await fx.service.get(ctxOf('user', 'carol'), 's1');
  expect(meta).toMatchObject({
    session_id: 's1',
    message_count: 2,
    total_message_count: 2,
    commit_count: 0,
    participant_user_ids: expect.arrayContaining(['bob']) as string[],
    participant_agent_ids: ['bot'],
  });
  // Stored again, valid, with no temporary file beside it.
  expect((await storedMeta('s1')).message_count).toBe(2);
  expect(
    (await readdir(sessionPath(fx.dataDir, 'acme', 's1'))).filter((n) => n.startsWith('.vs-tmp-')),
  ).toEqual([]);

  expect(await fx.service.list(ctxOf('user'))).toEqual([
    { session_id: 's1', uri: 'viking://session/s1', is_dir: true },
  ]);
  expect((await fx.service.context(ctxOf('user'), 's1')).messages).toHaveLength(2);
  await harm(metaPath('s1'));
  const added = await fx.service.addMessage(ctxOf('user', 'carol'), 's1', { role: 'user', content: 'more' });
  expect(added.message_count).toBe(3);
  expect(await storedMeta('s1')).toMatchObject({ message_count: 3, total_message_count: 3 });
});

test('a rebuilt meta counts archived messages and commits', async () => {
  await conversation('s2');
  await fx.service.commit(ctxOf('user'), 's2');
  await fx.service.addMessage(ctxOf('user', 'carol'), 's2', { role: 'user', content: 'after the commit' });
  const before = await storedMeta('s2');
  await truncate(metaPath('s2'), 10);

  await fx.service.commit(ctxOf('user'), 's2', { keep_recent_count: 1 });
  expect(await storedMeta('s2')).toMatchObject({
    message_count: 1,
    total_message_count: before.total_message_count,
    commit_count: before.commit_count,
    participant_user_ids: expect.arrayContaining(['bob', 'carol']) as string[],
  });
});

test('a new session is still created with its caller, and an existing damaged one is not replaced', async () => {
  await conversation('s3');
  await truncate(metaPath('s3'), 5);
  await expect(fx.service.create(ctxOf('user', 'carol'), { session_id: 's3' })).rejects.toMatchObject({
    code: 'ALREADY_EXISTS',
  });
  expect((await storedMeta('s3')).message_count).toBe(2);
  await fx.service.create(ctxOf('user', 'carol'), { session_id: 's4' });
  expect((await storedMeta('s4')).created_by_user_id).toBe('carol');
});

test('over HTTP a session with a truncated meta answers 200 on reads and appends, not 500', async () => {
  const h = await sessionsApp({});
  try {
    await request(h.app)
      .post('/api/v1/sessions/s1/messages')
      .send({ role: 'user', content: 'one' })
      .expect(200);
    await truncate(join(h.dataDir, 'fs/default/session/s1/.meta.json'), 30);
    const meta = await request(h.app).get('/api/v1/sessions/s1').expect(200);
    expect(meta.body).toMatchObject({ result: { session_id: 's1', message_count: 1 } });
    await request(h.app).get('/api/v1/sessions/s1/context').expect(200);
    const added = await request(h.app)
      .post('/api/v1/sessions/s1/messages')
      .send({ role: 'user', content: 'two' })
      .expect(200);
    expect(added.body).toMatchObject({ result: { message_count: 2 } });
  } finally {
    await h.cleanup();
  }
});
