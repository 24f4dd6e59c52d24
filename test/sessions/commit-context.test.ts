/** Commit into history/archive_NNN, the context endpoint and reading single messages back. */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { indexedMessages } from '../../src/sessions/reader.js';
import { contextQuerySchema, messageBodySchema } from '../../src/sessions/schema.js';
import { sessionReader } from '../../src/sessions/service.js';
import { parseInput } from '../../src/validate.js';
import { ctxOf, sessionFixture, sessionPath, type Fixture } from '../helpers/sessions.js';

let fx: Fixture;
beforeEach(async () => (fx = await sessionFixture()));
afterEach(async () => fx.cleanup());

async function say(user: string, role: 'user' | 'assistant', text: string): Promise<void> {
  await fx.service.addMessage(ctxOf('user', user, 'bot'), 's1', { role, content: text });
}

function liveIds(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (JSON.parse(l) as { id: string }).id);
}

test('committing with no live messages archives nothing', async () => {
  await fx.service.create(ctxOf('user'), { session_id: 's1' });
  await expect(fx.service.commit(ctxOf('user'), 's1')).resolves.toEqual({
    session_id: 's1',
    status: 'accepted',
    task_id: null,
    archived: false,
    archive_uri: null,
    extraction: 'nothing',
  });
  expect(await fx.service.get(ctxOf('user'), 's1')).toMatchObject({ commit_count: 0 });
  expect(fx.hooks.calls).toEqual([]);
});

test('commit of a missing session is 404; invalid id 400', async () => {
  await expect(fx.service.commit(ctxOf('user'), 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(fx.service.commit(ctxOf('user'), 'a.b')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
});

test('commit moves live messages into archive_001 with extractive summaries', async () => {
  await say('alice', 'user', 'How do I deploy the billing service? It is urgent.');
  await say('alice', 'assistant', 'Use the staged rollout. Verify auth first.');
  const live = sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl');
  const ids = liveIds(await readFile(live, 'utf8'));
  fx.hooks.calls.length = 0;

  const result = await fx.service.commit(ctxOf('user', 'bob'), 's1');
  expect(result).toEqual({
    session_id: 's1',
    status: 'accepted',
    task_id: null,
    archived: true,
    archive_uri: 'viking://session/s1/history/archive_001',
    extraction: 'skipped',
  });
  const archive = sessionPath(fx.dataDir, 'acme', 's1', 'history', 'archive_001');
  expect((await readdir(archive)).sort()).toEqual(['.abstract.md', '.overview.md', 'messages.jsonl']);
  expect(liveIds(await readFile(`${archive}/messages.jsonl`, 'utf8'))).toEqual(ids);
  const overview = await readFile(`${archive}/.overview.md`, 'utf8');
  expect(overview).toContain('**user (alice)**: How do I deploy the billing service?');
  expect(overview).toContain('**assistant (bot)**: Use the staged rollout.');
  const abstract = await readFile(`${archive}/.abstract.md`, 'utf8');
  expect(abstract).toContain('2 messages between users alice and agents bot.');
  expect(await readFile(live, 'utf8')).toBe('');
  expect(await fx.service.get(ctxOf('user'), 's1')).toMatchObject({
    message_count: 0,
    total_message_count: 2,
    commit_count: 1,
  });
  expect(fx.hooks.calls).toEqual([
    'fileWritten acme viking://session/s1/history/archive_001/messages.jsonl',
    'fileWritten acme viking://session/s1/history/archive_001/.overview.md',
    'fileWritten acme viking://session/s1/history/archive_001/.abstract.md',
  ]);

  // Archived messages stay readable by id; counts restart from zero.
  const text = await fx.service.read('acme', 's1', ids[0] ?? '');
  expect(JSON.parse(text ?? 'null')).toMatchObject({ id: ids[0], role: 'user', role_id: 'alice' });
  await expect(
    fx.service.addMessage(ctxOf('user'), 's1', { role: 'user', content: 'next' }),
  ).resolves.toEqual({
    session_id: 's1',
    message_count: 1,
  });
  const second = await fx.service.commit(ctxOf('user'), 's1');
  expect(second.archive_uri).toBe('viking://session/s1/history/archive_002');
  expect(await fx.service.get(ctxOf('user'), 's1')).toMatchObject({
    commit_count: 2,
    total_message_count: 3,
  });
});

test('context returns live messages, the latest overview and older abstracts within the budget', async () => {
  await say('alice', 'user', 'First topic. Details.');
  await fx.service.commit(ctxOf('user'), 's1');
  await say('alice', 'user', 'Second topic. Details.');
  await fx.service.commit(ctxOf('user'), 's1');
  await say('alice', 'user', 'live one');
  await say('alice', 'assistant', 'live two');

  const full = await fx.service.context(ctxOf('user', 'bob'), 's1', { token_budget: 100000 });
  expect(full.messages.map((m) => m.parts[0])).toEqual([
    { type: 'text', text: 'live one' },
    { type: 'text', text: 'live two' },
  ]);
  expect(full.latest_archive_overview).toContain('Second topic.');
  expect(full.latest_archive_overview).not.toContain('First topic.');
  expect(full.pre_archive_abstracts).toHaveLength(1);
  expect(full.pre_archive_abstracts[0]?.archive_id).toBe('archive_001');
  expect(full.pre_archive_abstracts[0]?.abstract).toContain('First topic.');
  expect(full.stats).toMatchObject({ totalArchives: 2, includedArchives: 2, droppedArchives: 0 });
  expect(full.estimatedTokens).toBe(full.stats.activeTokens + full.stats.archiveTokens);

  const tiny = await fx.service.context(ctxOf('user'), 's1', { token_budget: 2 });
  expect(tiny.messages.map((m) => m.parts[0])).toEqual([{ type: 'text', text: 'live two' }]);
  expect(tiny.latest_archive_overview).toBe('');
  expect(tiny.estimatedTokens).toBeLessThanOrEqual(2);

  const none = await fx.service.context(ctxOf('user'), 's1', { token_budget: 0 });
  expect(none).toMatchObject({ messages: [], latest_archive_overview: '', estimatedTokens: 0 });

  const byDefault = await fx.service.context(ctxOf('user'), 's1');
  expect(byDefault.messages).toHaveLength(2);
});

// The query is parsed by the door (the route) with the schema the service's input comes from.
test.each(['-1', 'abc', '1.5', ['1', '2']])('token_budget %j is 400', (token_budget) => {
  expect(() => parseInput(contextQuerySchema, { token_budget }, 'query')).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
  );
});

test('read and readMessageRecord find live and archived messages, null otherwise', async () => {
  const body = parseInput(messageBodySchema, {
    role: 'assistant',
    role_id: 'helper',
    parts: [
      { type: 'text', text: 'part one' },
      { type: 'context', uri: 'viking://resources/x', abstract: 'ctx' },
      { type: 'text', text: 'part two' },
    ],
    created_at: '2026-02-02T00:00:00Z',
  });
  await fx.service.addMessage(ctxOf('admin', 'carol'), 's1', body);
  const [id] = liveIds(await readFile(sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl'), 'utf8'));
  const expected = {
    role: 'assistant',
    role_id: 'helper',
    peer_id: null,
    text: 'part one\npart two',
    created_at: '2026-02-02T00:00:00.000Z',
  };
  expect(await fx.service.readMessageRecord('acme', 's1', id ?? '')).toEqual(expected);
  await fx.service.commit(ctxOf('user'), 's1');
  expect(await fx.service.readMessageRecord('acme', 's1', id ?? '')).toEqual(expected);
  expect(JSON.parse((await fx.service.read('acme', 's1', id ?? '')) ?? 'null')).toMatchObject({
    id,
    role: 'assistant',
  });

  expect(await fx.service.read('acme', 's1', `msg_${'f'.repeat(32)}`)).toBeNull();
  expect(await fx.service.read('acme', 'missing', id ?? '')).toBeNull();
  expect(await fx.service.read('other', 's1', id ?? '')).toBeNull();
  expect(await fx.service.read('acme', 's1', '../.meta.json')).toBeNull();
  expect(await fx.service.read('../acme', 's1', id ?? '')).toBeNull();
  expect(await fx.service.readMessageRecord('acme', 's1', 'nope')).toBeNull();
});

test('sessionReader over the same DATA_DIR reads what the service wrote', async () => {
  await fx.service.addMessage(ctxOf('user'), 's1', { role: 'user', content: 'stand-alone' });
  const [id] = liveIds(await readFile(sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl'), 'utf8'));
  const reader = sessionReader(fx.dataDir);
  expect(await reader.readMessageRecord('acme', 's1', id ?? '')).toMatchObject({
    role_id: 'alice',
    text: 'stand-alone',
  });
  expect(await reader.read('acme', 's1', id ?? '')).toBe(await fx.service.read('acme', 's1', id ?? ''));
});

test("indexedMessages: the indexer's view of single messages and of a message log", async () => {
  await fx.service.addMessage(ctxOf('user'), 's1', { role: 'user', content: 'for the index' });
  const log = await readFile(sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl'), 'utf8');
  const [id] = liveIds(log);
  const source = indexedMessages(sessionReader(fx.dataDir));
  const expected = { role: 'user', role_id: 'alice', text: 'for the index' };
  expect(await source.message('acme', 's1', id ?? '')).toMatchObject(expected);
  expect(await source.message('acme', 's1', 'nope')).toBeNull();
  const inLog = source.messagesIn(`${log}not a message\n`, 'test log');
  expect(inLog).toEqual([{ id, message: expect.objectContaining(expected) as unknown }]);
});

test('peersOf finds the peer_id of several messages, archived and live, in one lookup', async () => {
  const add = (content: string, peer_id?: string) =>
    fx.service.addMessage(ctxOf('user'), 's1', { role: 'user', content, ...(peer_id ? { peer_id } : {}) });
  await add('archived, with a peer', 'web-client');
  await add('archived, without one');
  const archived = liveIds(await readFile(sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl'), 'utf8'));
  await fx.service.commit(ctxOf('user'), 's1');
  await add('live, with a peer', 'cli');
  const [live] = liveIds(await readFile(sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl'), 'utf8'));
  const ids = [...archived, live ?? '', `msg_${'f'.repeat(32)}`, '../escape'];
  const peers = await sessionReader(fx.dataDir).peersOf('acme', 's1', ids);
  expect(peers).toEqual(
    new Map([
      [archived[0], 'web-client'],
      [live, 'cli'],
    ]),
  );
  expect(await fx.service.peersOf('other', 's1', ids)).toEqual(new Map());
});

test('peersOf reads a session once: later lookups come from what it read, new messages are still found', async () => {
  const add = (content: string, peer_id?: string) =>
    fx.service.addMessage(ctxOf('user'), 's1', { role: 'user', content, ...(peer_id ? { peer_id } : {}) });
  await add('first', 'web-client');
  await add('second');
  const log = sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl');
  const [first, second] = liveIds(await readFile(log, 'utf8'));
  const reader = sessionReader(fx.dataDir);
  const ids = [first ?? '', second ?? ''];
  expect(await reader.peersOf('acme', 's1', ids)).toEqual(new Map([[first, 'web-client']]));
  // The log is unreadable now; both messages are known, so it is not read again.
  await writeFile(log, 'not a message log\n');
  expect(await reader.peersOf('acme', 's1', ids)).toEqual(new Map([[first, 'web-client']]));
  await writeFile(log, '');
  await add('third', 'cli');
  const [third] = liveIds(await readFile(log, 'utf8'));
  expect(await reader.peersOf('acme', 's1', [...ids, third ?? ''])).toEqual(
    new Map([
      [first, 'web-client'],
      [third, 'cli'],
    ]),
  );
});
