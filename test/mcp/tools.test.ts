/**
 * The MCP server at /mcp through the SDK's own client over HTTP on a local port: authentication
 * with the same keys and headers as /api/v1, the tool list, each tool's happy path, and the rules the
 * tools keep (role_id for USER keys, forget only in the caller's own scopes, errors as tool errors).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import request from 'supertest';
import { fullApp, ROOT_KEY, type FullApp } from '../helpers/full-app.js';
import { call, callOk, httpClient, listen, type Listening } from '../helpers/mcp.js';

let env: FullApp;
let server: Listening;
let alice: Client;
const clients: Client[] = [];

async function client(headers: Record<string, string>): Promise<Client> {
  const c = await httpClient(server.url, headers);
  clients.push(c);
  return c;
}

function keyOf(user: string): string {
  const key = env.keys.get(`acme/${user}`);
  if (key === undefined) throw new Error(user);
  return key;
}

/** Waits for the account's index jobs (writes through MCP are indexed like any other). */
async function indexed(): Promise<void> {
  await request(env.app).post('/api/v1/system/wait').set('X-API-Key', ROOT_KEY).send({}).expect(200);
}

beforeAll(async () => {
  env = await fullApp({ accounts: [{ account_id: 'acme', admin: 'boss', users: ['alice', 'bob'] }] });
  server = await listen(env.app);
  alice = await client({ Authorization: `Bearer ${keyOf('alice')}` });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
  await env.close();
});

test('lists every tool with its input schema', async () => {
  const { tools } = await alice.listTools();
  expect(tools.map((t) => t.name)).toEqual([
    'find',
    'search',
    'read',
    'ls',
    'tree',
    'grep',
    'glob',
    'write',
    'remember',
    'add_message',
    'commit_session',
    'extract_memories',
    'forget',
    'skills',
  ]);
  const find = tools.find((t) => t.name === 'find');
  expect(Object.keys(find?.inputSchema.properties ?? {})).toEqual(
    expect.arrayContaining(['query', 'target_uri', 'mode', 'limit']),
  );
  expect(tools.find((t) => t.name === 'read')?.annotations?.readOnlyHint).toBe(true);
  expect(tools.find((t) => t.name === 'write')?.annotations?.readOnlyHint).toBe(false);
});

describe('filesystem tools', () => {
  const uri = 'viking://resources/mcp/plan.md';

  beforeAll(async () => {
    await callOk(alice, 'write', { uri, content: 'line one\nthe zebrafish launch plan\nline three' });
    await indexed();
  });

  test('write then read, with a line slice', async () => {
    expect(await callOk(alice, 'read', { uri })).toBe('line one\nthe zebrafish launch plan\nline three');
    expect(await callOk(alice, 'read', { uri, offset: 1, limit: 1 })).toBe('the zebrafish launch plan\n');
    await callOk(alice, 'write', { uri: 'viking://resources/mcp/log.md', content: 'a\n' });
    await callOk(alice, 'write', { uri: 'viking://resources/mcp/log.md', content: 'b\n', mode: 'append' });
    expect(await callOk(alice, 'read', { uri: 'viking://resources/mcp/log.md' })).toBe('a\nb\n');
  });

  test('ls, tree, grep and glob', async () => {
    expect(await callOk(alice, 'ls', { uri: 'viking://resources/mcp', simple: true })).toEqual(
      expect.arrayContaining([uri]),
    );
    expect(await callOk(alice, 'tree', { uri: 'viking://resources' })).toEqual(
      expect.arrayContaining([expect.objectContaining({ uri, rel_path: 'mcp/plan.md' })]),
    );
    expect(
      await callOk(alice, 'grep', {
        uri: 'viking://resources/mcp',
        pattern: 'ZEBRA',
        case_insensitive: true,
      }),
    ).toMatchObject({
      matches: [{ uri, line: 2, content: 'the zebrafish launch plan' }],
    });
    expect(await callOk(alice, 'glob', { pattern: '**/plan.md' })).toMatchObject({ matches: [uri] });
  });

  test('find and search return the file, with target_uri, mode and limit', async () => {
    for (const name of ['find', 'search']) {
      const result = await callOk(alice, name, {
        query: 'zebrafish',
        target_uri: 'viking://resources/mcp',
        mode: 'fulltext',
        limit: 3,
      });
      expect(result).toMatchObject({ resources: [expect.objectContaining({ uri })] });
    }
    const elsewhere = await callOk(alice, 'find', { query: 'zebrafish', target_uri: 'viking://agent' });
    expect(elsewhere).toMatchObject({ resources: [], total: 0 });
  });
});

describe('remember and forget', () => {
  test("remember writes into the caller's own memories; bob cannot read it; forget removes it", async () => {
    const written = (await callOk(alice, 'remember', {
      content: 'alice prefers oolong tea',
      category: 'preferences',
      name: 'tea',
    })) as { uri: string };
    expect(written.uri).toBe('viking://user/alice/memories/preferences/tea.md');
    await indexed();
    const found = await callOk(alice, 'find', { query: 'oolong', context_type: 'memory' });
    expect(found).toMatchObject({ memories: [expect.objectContaining({ uri: written.uri })] });

    const bob = await client({ 'X-API-Key': keyOf('bob') });
    expect(await call(bob, 'read', { uri: written.uri })).toMatchObject({
      ok: false,
      error: { code: 'PERMISSION_DENIED' },
    });
    expect(JSON.stringify(await callOk(bob, 'find', { query: 'oolong' }))).not.toContain(written.uri);
    expect(await call(bob, 'forget', { uri: written.uri })).toMatchObject({
      ok: false,
      error: { code: 'PERMISSION_DENIED' },
    });

    await callOk(alice, 'forget', { uri: 'viking://user/memories/preferences/tea.md' });
    expect(await call(alice, 'read', { uri: written.uri })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });

  test('a memory without a name gets a fresh one', async () => {
    const a = (await callOk(alice, 'remember', { content: 'one' })) as { uri: string };
    const b = (await callOk(alice, 'remember', { content: 'two' })) as { uri: string };
    expect(a.uri).toMatch(/^viking:\/\/user\/alice\/memories\/events\/mem_[0-9]+_[0-9a-f]{8}\.md$/);
    expect(b.uri).not.toBe(a.uri);
  });

  test.each([
    ['viking://resources/mcp/plan.md', 'PERMISSION_DENIED'],
    ['viking://session/s1', 'PERMISSION_DENIED'],
    ['viking://user/alice', 'PERMISSION_DENIED'],
    ['viking://agent/default', 'PERMISSION_DENIED'],
    ['viking://tmp/x', 'INVALID_URI'],
  ])('forget refuses %s outside its own scopes (%s)', async (uri, code) => {
    expect(await call(alice, 'forget', { uri, recursive: true })).toMatchObject({
      ok: false,
      error: { code },
    });
  });

  test('forget removes inside the agent scope too', async () => {
    await callOk(alice, 'write', { uri: 'viking://agent/skills/s.md', content: 'skill' });
    await callOk(alice, 'forget', { uri: 'viking://agent/skills/s.md' });
    expect(await call(alice, 'read', { uri: 'viking://agent/default/skills/s.md' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });
});

describe('add_message', () => {
  /** The session's meta as the user reads it over HTTP. */
  async function standup(user: string): Promise<unknown> {
    const res = await env.client({ account: 'acme', user }).get('/api/v1/sessions/standup').expect(200);
    return (res.body as { result: unknown }).result;
  }

  test("a USER key's messages get role_id from its identity; passing role_id is refused", async () => {
    expect(
      await callOk(alice, 'add_message', { session_id: 'standup', role: 'user', content: 'hello' }),
    ).toEqual({
      session_id: 'standup',
      message_count: 1,
    });
    expect(
      await call(alice, 'add_message', {
        session_id: 'standup',
        role: 'user',
        content: 'x',
        role_id: 'alice',
      }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await standup('alice')).toMatchObject({ message_count: 1, participant_user_ids: ['alice'] });
  });

  test('an ADMIN may set role_id to a registered user, not to an unknown one', async () => {
    const boss = await client({ Authorization: `Bearer ${keyOf('boss')}` });
    await callOk(boss, 'add_message', {
      session_id: 'standup',
      role: 'user',
      content: 'from bob',
      role_id: 'bob',
    });
    expect(
      await call(boss, 'add_message', {
        session_id: 'standup',
        role: 'user',
        content: 'x',
        role_id: 'nobody',
      }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    await callOk(boss, 'add_message', { session_id: 'standup', role: 'assistant', content: 'noted' });
    expect(await standup('boss')).toMatchObject({
      message_count: 3,
      participant_agent_ids: ['default'],
      participant_user_ids: expect.arrayContaining(['alice', 'bob']),
    });
  });
});

describe('authentication', () => {
  test('without a key, or with a wrong one, the client cannot connect (401)', async () => {
    await expect(httpClient(server.url, {})).rejects.toMatchObject({ code: 401 });
    await expect(httpClient(server.url, { 'X-API-Key': 'f'.repeat(64) })).rejects.toMatchObject({
      code: 401,
    });
  });

  test('a USER key may not act as another user (403), like on HTTP', async () => {
    await expect(
      httpClient(server.url, { 'X-API-Key': keyOf('alice'), 'X-OpenViking-User': 'bob' }),
    ).rejects.toMatchObject({ code: 403 });
  });

  test('ROOT must name account and user (400), then acts as that identity', async () => {
    await expect(httpClient(server.url, { 'X-API-Key': ROOT_KEY })).rejects.toMatchObject({ code: 400 });
    const root = await client({
      'X-API-Key': ROOT_KEY,
      'X-OpenViking-Account': 'acme',
      'X-OpenViking-User': 'bob',
    });
    const written = (await callOk(root, 'remember', { content: 'bob likes chess', name: 'chess' })) as {
      uri: string;
    };
    expect(written.uri).toBe('viking://user/bob/memories/events/chess.md');
    expect(await call(alice, 'read', { uri: written.uri })).toMatchObject({ ok: false });
  });

  test('GET /mcp is 405 (stateless: no stream to open)', async () => {
    const res = await request(env.app).get('/mcp').set('X-API-Key', keyOf('alice')).expect(405);
    expect(res.headers.allow).toBe('POST');
  });
});

test('a failing tool answers with our error code and no stack trace', async () => {
  const outcome = await call(alice, 'read', { uri: 'viking://resources/missing.md' });
  expect(outcome).toEqual({
    ok: false,
    error: {
      code: 'NOT_FOUND',
      message: expect.any(String),
      details: expect.objectContaining({ uri: 'viking://resources/missing.md' }),
    },
  });
  expect(JSON.stringify(outcome)).not.toMatch(/at .*\.ts:\d+/);
});

describe('skills tool', () => {
  beforeAll(async () => {
    const data = { name: 'sort-mail', description: 'Sorts the quokka mailbox', content: '# Sort\n' };
    await request(env.app)
      .post('/api/v1/skills')
      .set('Authorization', `Bearer ${keyOf('alice')}`)
      .send({ data, wait: true })
      .expect(200);
  });

  // The account shares an agent's scope between users (policy false/false): another agent sees none.
  test('list, find and get the caller’s own skills; another agent sees none', async () => {
    expect(await callOk(alice, 'skills', { action: 'list' })).toMatchObject({
      total: 1,
      skills: [{ name: 'sort-mail', description: 'Sorts the quokka mailbox' }],
    });
    expect(await callOk(alice, 'skills', { action: 'find', query: 'quokka mailbox' })).toMatchObject({
      skills: [{ name: 'sort-mail' }],
    });
    expect(await callOk(alice, 'skills', { action: 'get', name: 'sort-mail' })).toMatchObject({
      name: 'sort-mail',
      content: expect.stringContaining('# Sort') as unknown,
    });
    const bob = await client({ Authorization: `Bearer ${keyOf('bob')}`, 'X-OpenViking-Agent': 'other' });
    expect(await callOk(bob, 'skills', { action: 'list' })).toMatchObject({ total: 0 });
    expect(await callOk(bob, 'skills', { action: 'find', query: 'quokka mailbox' })).toMatchObject({
      total: 0,
    });
    expect(await call(bob, 'skills', { action: 'get', name: 'sort-mail' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
  });
});
