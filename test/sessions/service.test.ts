/** SessionService against a real temp DATA_DIR: lifecycle, sharing, permissions and message rules. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Role } from '../../src/policy/index.js';
import { batchSchema, createSessionSchema, messageBodySchema } from '../../src/sessions/schema.js';
import type { AuthMode } from '../../src/sessions/service.js';
import { parseInput } from '../../src/validate.js';
import { ctxOf, sessionFixture, sessionPath, type Fixture } from '../helpers/sessions.js';

let fx: Fixture;
afterEach(async () => fx.cleanup());

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

async function liveLines(dataDir: string, account: string, s: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(sessionPath(dataDir, account, s, 'messages.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('create / list / get', () => {
  beforeEach(async () => (fx = await sessionFixture()));

  test('create with an id returns it and the caller; the meta records the creator', async () => {
    const result = await fx.service.create(ctxOf('user', 'alice', 'bot'), { session_id: 's1' });
    expect(result).toEqual({
      session_id: 's1',
      uri: 'viking://session/s1',
      user: { account_id: 'acme', user_id: 'alice', agent_id: 'bot' },
    });
    const meta = await readJson(sessionPath(fx.dataDir, 'acme', 's1', '.meta.json'));
    expect(meta).toMatchObject({
      session_id: 's1',
      created_by_user_id: 'alice',
      participant_user_ids: ['alice'],
      participant_agent_ids: [],
      message_count: 0,
      commit_count: 0,
    });
  });

  test.each([undefined, {}, { session_id: null }])('create without an id makes a uuid (%j)', async (body) => {
    const { session_id } = await fx.service.create(ctxOf('user'), parseInput(createSessionSchema, body));
    expect(session_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test('an existing id is 409, also for another user of the account', async () => {
    await fx.service.create(ctxOf('user', 'alice'), { session_id: 's1' });
    await expect(fx.service.create(ctxOf('user', 'bob'), { session_id: 's1' })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
  });

  test.each(['a/b', '', '..', 'x'.repeat(129), 'a b', 'é'])('invalid session id %j is 400', async (id) => {
    await expect(fx.service.create(ctxOf('user'), { session_id: id })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(fx.service.get(ctxOf('user'), id)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      fx.service.addMessage(ctxOf('user'), id, { role: 'user', content: 'x' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  // Bodies are parsed by the door (HTTP route, MCP tool) with the schema the service's input comes from.
  test.each([[{ session_id: 5 }], ['text'], [[]]])('malformed create body %j is 400', (body) => {
    expect(() => parseInput(createSessionSchema, body)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  test('sessions are shared by the account and invisible to other accounts', async () => {
    await fx.service.create(ctxOf('user', 'alice'), { session_id: 's1' });
    await fx.service.addMessage(ctxOf('user', 'alice'), 's2', { role: 'user', content: 'hi' });
    const expected = [
      { session_id: 's1', uri: 'viking://session/s1', is_dir: true },
      { session_id: 's2', uri: 'viking://session/s2', is_dir: true },
    ];
    expect(await fx.service.list(ctxOf('user', 'bob', 'other-agent'))).toEqual(expected);
    expect(await fx.service.list(ctxOf('admin', 'carol'))).toEqual(expected);
    const bobView = await fx.service.get(ctxOf('user', 'bob', 'x'), 's2');
    expect(bobView).toMatchObject({ session_id: 's2', message_count: 1, created_by_user_id: 'alice' });
    expect(bobView.user).toEqual({ account_id: 'acme', user_id: 'bob', agent_id: 'x' });

    const outsider = ctxOf('user', 'dave', 'bot', 'other');
    expect(await fx.service.list(outsider)).toEqual([]);
    await expect(fx.service.get(outsider, 's1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(fx.service.context(outsider, 's2')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(fx.service.commit(outsider, 's2')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await fx.service.read('other', 's2', 'msg_x')).toBeNull();
    // Creating the same id in another account is independent.
    await expect(fx.service.create(outsider, { session_id: 's1' })).resolves.toMatchObject({
      session_id: 's1',
    });
  });

  test('get of a missing session is 404', async () => {
    await expect(fx.service.get(ctxOf('root'), 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('delete', () => {
  test.each<[Role, AuthMode, boolean]>([
    ['user', 'api_key', false],
    ['user', 'trusted', false],
    ['admin', 'api_key', true],
    ['root', 'api_key', true],
    ['root', 'dev', true],
  ])('%s caller in %s mode may delete: %s', async (role, mode, allowed) => {
    fx = await sessionFixture(mode);
    await fx.service.addMessage(ctxOf('root'), 's1', { role: 'user', content: 'hi' });
    const result = fx.service.delete(ctxOf(role, 'bob'), 's1');
    if (!allowed) {
      await expect(result).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      await expect(fx.service.get(ctxOf('user'), 's1')).resolves.toMatchObject({ message_count: 1 });
      expect(fx.hooks.calls.filter((c) => c.startsWith('removed'))).toEqual([]);
      return;
    }
    await expect(result).resolves.toEqual({ session_id: 's1', deleted: true });
    await expect(fx.service.get(ctxOf('user'), 's1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await fx.service.list(ctxOf('user'))).toEqual([]);
    expect(fx.hooks.calls).toContain('removed acme viking://session/s1');
    // Idempotent, and the id can be reused afterwards with a fresh count.
    await expect(fx.service.delete(ctxOf(role), 's1')).resolves.toEqual({ session_id: 's1', deleted: true });
    await expect(
      fx.service.addMessage(ctxOf('root'), 's1', { role: 'user', content: 'again' }),
    ).resolves.toEqual({
      session_id: 's1',
      message_count: 1,
    });
  });

  test('delete validates the id', async () => {
    fx = await sessionFixture();
    await expect(fx.service.delete(ctxOf('admin'), 'a/b')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('messages', () => {
  beforeEach(async () => (fx = await sessionFixture()));

  test('a stored message has the documented shape and triggers messageAdded', async () => {
    const result = await fx.service.addMessage(ctxOf('user', 'alice', 'bot'), 's1', {
      role: 'user',
      content: 'Hello there',
      created_at: '2026-03-01T10:00:00+02:00',
      peer_id: 'carol',
    });
    expect(result).toEqual({ session_id: 's1', message_count: 1 });
    const [stored] = await liveLines(fx.dataDir, 'acme', 's1');
    expect(stored).toEqual({
      id: expect.stringMatching(/^msg_[0-9a-f]{32}$/) as unknown,
      role: 'user',
      role_id: 'alice',
      peer_id: 'carol',
      parts: [{ type: 'text', text: 'Hello there' }],
      created_at: '2026-03-01T08:00:00.000Z',
      actor_context: { user_id: 'alice', agent_id: 'bot' },
    });
    expect(fx.hooks.calls).toEqual([`messageAdded acme s1 ${String(stored?.['id'])}`]);
  });

  test('parts win over content; tool URIs are the session tool URIs', async () => {
    const body = parseInput(messageBodySchema, {
      role: 'assistant',
      content: 'ignored',
      parts: [
        { type: 'text', text: 'Let me look.' },
        { type: 'context', uri: 'viking://resources/docs', context_type: 'resource', abstract: 'Docs' },
        {
          type: 'tool',
          tool_id: 'call_1',
          tool_name: 'search',
          tool_uri: 'viking://user/alice/sessions/s1/tools/call_1',
          tool_input: { q: 'x' },
          tool_status: 'completed',
          tool_output: 'found',
        },
      ],
    });
    await fx.service.addMessage(ctxOf('user'), 's1', body);
    const [stored] = await liveLines(fx.dataDir, 'acme', 's1');
    expect(stored?.['role_id']).toBe('bot');
    expect(stored?.['parts']).toEqual([
      { type: 'text', text: 'Let me look.' },
      { type: 'context', uri: 'viking://resources/docs', context_type: 'resource', abstract: 'Docs' },
      {
        type: 'tool',
        tool_id: 'call_1',
        tool_name: 'search',
        tool_uri: 'viking://session/s1/tools/call_1',
        skill_uri: '',
        tool_input: { q: 'x' },
        tool_status: 'completed',
        tool_output: 'found',
      },
    ]);
  });

  test('a user key may not send role_id, even null; nothing is written', async () => {
    for (const role_id of ['alice', null, 'bob']) {
      await expect(
        fx.service.addMessage(ctxOf('user'), 's1', { role: 'user', role_id, content: 'x' }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(fx.service.get(ctxOf('user'), 's1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(fx.hooks.calls).toEqual([]);
  });

  test('an admin may name a registered user, not an unknown one', async () => {
    await fx.service.addMessage(ctxOf('admin', 'carol'), 's1', {
      role: 'user',
      role_id: 'bob',
      content: 'x',
    });
    await expect(
      fx.service.addMessage(ctxOf('admin', 'carol'), 's1', { role: 'user', role_id: 'ghost', content: 'x' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // dave is registered, but in another account.
    await expect(
      fx.service.addMessage(ctxOf('admin', 'carol'), 's1', { role: 'user', role_id: 'dave', content: 'x' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const meta = await fx.service.get(ctxOf('user'), 's1');
    expect(meta).toMatchObject({ message_count: 1, created_by_user_id: 'carol' });
    expect(meta.participant_user_ids).toEqual(['carol', 'bob']);
  });

  test('root may name any valid user id; trusted callers too', async () => {
    await fx.service.addMessage(ctxOf('root'), 's1', { role: 'user', role_id: 'ghost', content: 'x' });
    const trusted = await sessionFixture('trusted');
    try {
      await trusted.service.addMessage(ctxOf('user', 'eve'), 's1', {
        role: 'user',
        role_id: 'zed',
        content: 'x',
      });
      const [stored] = await liveLines(trusted.dataDir, 'acme', 's1');
      expect(stored?.['role_id']).toBe('zed');
    } finally {
      await trusted.cleanup();
    }
    const [stored] = await liveLines(fx.dataDir, 'acme', 's1');
    expect(stored?.['role_id']).toBe('ghost');
  });

  test.each(['root', 'admin'] as const)(
    'a %s sending peer_id without role_id: role_id still comes from the effective identity',
    async (role) => {
      await fx.service.addMessage(ctxOf(role, 'alice', 'bot'), 's1', {
        role: 'user',
        content: 'x',
        peer_id: 'carol',
      });
      await fx.service.addMessage(ctxOf(role, 'alice', 'bot'), 's1', {
        role: 'assistant',
        content: 'y',
        peer_id: 'carol',
      });
      const lines = await liveLines(fx.dataDir, 'acme', 's1');
      expect(lines.map((m) => [m['role_id'], m['peer_id']])).toEqual([
        ['alice', 'carol'],
        ['bot', 'carol'],
      ]);
      const meta = await fx.service.get(ctxOf(role), 's1');
      expect(meta.participant_user_ids).toEqual(['alice']);
      expect(meta.participant_agent_ids).toEqual(['bot']);
      const context = await fx.service.context(ctxOf(role), 's1');
      expect(context.messages.map((m) => m.peer_id)).toEqual(['carol', 'carol']);
    },
  );

  test('a batch is validated whole before anything is written, and is appended in order', async () => {
    const ctx = ctxOf('user', 'alice', 'bot');
    const bad = [
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b', role_id: 'alice' },
    ] as const;
    await expect(fx.service.addMessages(ctx, 's1', { messages: [...bad] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { index: 1 },
    });
    expect(() => parseInput(batchSchema, { messages: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(existsSync(sessionPath(fx.dataDir, 'acme', 's1', 'messages.jsonl'))).toBe(false);
    const texts = Array.from({ length: 100 }, (_, i) => `m${i}`);
    const result = await fx.service.addMessages(ctx, 's1', {
      messages: texts.map((content) => ({ role: 'user' as const, content })),
    });
    expect(result).toEqual({ session_id: 's1', message_count: 100, added: 100 });
    const lines = await liveLines(fx.dataDir, 'acme', 's1');
    expect(lines.map((m) => (m['parts'] as Array<{ text: string }>)[0]?.text)).toEqual(texts);
    expect(fx.hooks.calls).toHaveLength(100);
  });

  test('implicit creation records the effective user; participants grow per message', async () => {
    await fx.service.addMessage(ctxOf('user', 'bob', 'helper'), 's1', { role: 'assistant', content: 'a' });
    await fx.service.addMessage(ctxOf('user', 'alice', 'bot'), 's1', { role: 'user', content: 'b' });
    await fx.service.addMessage(ctxOf('user', 'alice', 'bot'), 's1', { role: 'assistant', content: 'c' });
    await fx.service.addMessage(ctxOf('admin', 'carol'), 's1', {
      role: 'assistant',
      role_id: 'x1',
      content: 'd',
    });
    await fx.service.addMessage(ctxOf('admin', 'carol'), 's1', {
      role: 'system',
      role_id: 'sys',
      content: 'e',
    });
    const meta = await fx.service.get(ctxOf('user'), 's1');
    expect(meta).toMatchObject({
      created_by_user_id: 'bob',
      participant_user_ids: ['bob', 'alice'],
      participant_agent_ids: ['helper', 'bot', 'x1'],
      message_count: 5,
      total_message_count: 5,
    });
    const lines = await liveLines(fx.dataDir, 'acme', 's1');
    expect(lines.map((l) => l['role_id'])).toEqual(['helper', 'alice', 'bot', 'x1', null]);
  });

  test('adding to an existing session keeps its creator', async () => {
    await fx.service.create(ctxOf('user', 'alice'), { session_id: 's1' });
    await fx.service.addMessage(ctxOf('user', 'bob'), 's1', { role: 'user', content: 'x' });
    const meta = await fx.service.get(ctxOf('user'), 's1');
    expect(meta).toMatchObject({ created_by_user_id: 'alice', participant_user_ids: ['alice', 'bob'] });
  });
});
