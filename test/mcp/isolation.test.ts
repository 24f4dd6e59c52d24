/**
 * MCP sees exactly what HTTP sees (issue 15). Under each of the four namespace policies, USER keys
 * acting as different agents search, read and list through MCP and through HTTP; the answers must be
 * identical, and must match the policy: another user's (or, when isolated, another agent's) memory
 * never appears. ROOT with identity headers behaves as that identity on both doors.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import request from 'supertest';
import { fullApp, ROOT_KEY, type Caller, type FullApp } from '../helpers/full-app.js';
import { call, httpClient, listen, type Listening, type ToolOutcome } from '../helpers/mcp.js';

const POLICIES = [
  { account_id: 'p00', isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
  { account_id: 'p01', isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: true },
  { account_id: 'p10', isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: false },
  { account_id: 'p11', isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: true },
] as const;
type Policy = (typeof POLICIES)[number];

const WRITERS = [
  { user: 'alice', agent: 'bot1' },
  { user: 'alice', agent: 'bot2' },
  { user: 'bob', agent: 'bot1' },
] as const;

interface Written {
  readonly uri: string;
  readonly scope: 'user' | 'agent' | 'resources';
  readonly user: string;
  readonly agent: string;
}

let env: FullApp;
let server: Listening;
const written = new Map<string, Written[]>();
const clients: Client[] = [];

function envelope(body: unknown): ToolOutcome {
  const b = body as {
    status: string;
    result: unknown;
    error: { code: string; message: string; details: unknown };
  };
  return b.status === 'ok' ? { ok: true, result: b.result } : { ok: false, error: b.error };
}

/** Through HTTP, as the caller: `[method, path, body or query]`. */
async function http(caller: Caller, method: 'get' | 'post', path: string, input: Record<string, unknown>) {
  const client = env.client(caller);
  const res = method === 'get' ? await client.get(path).query(input) : await client.post(path).send(input);
  return envelope(res.body);
}

/** The same question through MCP: only codes are compared for errors (messages may differ in wording). */
function comparable(outcome: ToolOutcome): unknown {
  return outcome.ok ? outcome : { ok: false, code: outcome.error.code };
}

async function mcpFor(caller: Caller): Promise<Client> {
  const key = caller.root === true ? ROOT_KEY : env.keys.get(`${caller.account}/${caller.user}`);
  const headers: Record<string, string> = { Authorization: `Bearer ${key ?? ''}` };
  if (caller.agent !== undefined) headers['X-OpenViking-Agent'] = caller.agent;
  if (caller.root === true) {
    headers['X-OpenViking-Account'] = caller.account;
    headers['X-OpenViking-User'] = caller.user;
  }
  const client = await httpClient(server.url, headers);
  clients.push(client);
  return client;
}

async function seed(policy: Policy): Promise<void> {
  const account = policy.account_id;
  const list: Written[] = [];
  const write = async (caller: Caller, uri: string, content: string) => {
    const res = await env.client(caller).post('/api/v1/content/write').send({ uri, content }).expect(200);
    return (res.body as { result: { uri: string } }).result.uri;
  };
  for (const { user, agent } of WRITERS) {
    const caller = { account, user, agent, root: true };
    const note = await write(
      caller,
      `viking://user/memories/events/note-${agent}.md`,
      `kumquat note of ${user} ${agent}`,
    );
    list.push({ uri: note, scope: 'user', user, agent });
    const skill = await write(
      caller,
      `viking://agent/skills/skill-${user}.md`,
      `kumquat skill of ${user} ${agent}`,
    );
    list.push({ uri: skill, scope: 'agent', user, agent });
  }
  const shared = await write(
    { account, user: 'alice', root: true },
    'viking://resources/kumquat.md',
    'kumquat for all',
  );
  list.push({ uri: shared, scope: 'resources', user: '', agent: '' });
  written.set(account, list);
}

/** What the policy lets a non-ROOT `caller` read (SPEC 4; ROOT reads the whole account). */
function readable(policy: Policy, caller: { user: string; agent: string }, w: Written): boolean {
  switch (w.scope) {
    case 'resources':
      return true;
    case 'user':
      return w.user === caller.user && (!policy.isolate_user_scope_by_agent || w.agent === caller.agent);
    case 'agent':
      return w.agent === caller.agent && (!policy.isolate_agent_scope_by_user || w.user === caller.user);
  }
}

beforeAll(async () => {
  env = await fullApp({ accounts: POLICIES.map((p) => ({ ...p, users: ['alice', 'bob'] })) });
  server = await listen(env.app);
  for (const policy of POLICIES) await seed(policy);
  await request(env.app).post('/api/v1/system/wait').set('X-API-Key', ROOT_KEY).send({}).expect(200);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
  await env.close();
});

const CASES = POLICIES.flatMap((policy) =>
  WRITERS.flatMap((who) =>
    [false, true].map((root) => ({
      policy,
      who,
      root,
      name: `${policy.account_id} ${who.user}/${who.agent}${root ? ' via ROOT headers' : ''}`,
    })),
  ),
);

test.each(CASES)('$name: MCP finds and reads exactly what HTTP does', async ({ policy, who, root }) => {
  const caller: Caller = { account: policy.account_id, ...who, root };
  const mcp = await mcpFor(caller);
  for (const mode of ['fulltext', 'hybrid'] as const) {
    const question = { query: 'kumquat', mode, limit: 50 };
    const viaHttp = await http(caller, 'post', '/api/v1/search/find', question);
    expect(comparable(await call(mcp, 'find', question))).toEqual(comparable(viaHttp));
    if (mode === 'hybrid')
      expect(comparable(await call(mcp, 'search', question))).toEqual(comparable(viaHttp));
    if (mode === 'fulltext' && viaHttp.ok) {
      // Full-text finds every written file the caller may read, and nothing else.
      const found = JSON.stringify(viaHttp.result);
      for (const w of written.get(policy.account_id) ?? []) {
        expect({ uri: w.uri, found: found.includes(`"${w.uri}"`) }).toEqual({
          uri: w.uri,
          found: root || readable(policy, who, w),
        });
      }
    }
  }
  for (const w of written.get(policy.account_id) ?? []) {
    const viaHttp = await http(caller, 'get', '/api/v1/content/read', { uri: w.uri });
    expect({ uri: w.uri, ok: viaHttp.ok }).toEqual({ uri: w.uri, ok: root || readable(policy, who, w) });
    expect(comparable(await call(mcp, 'read', { uri: w.uri }))).toEqual(comparable(viaHttp));
  }
  // The whole tree (every level) and a recursive listing cover every folder the caller may list.
  const tree = { uri: 'viking://', level_limit: 10 };
  const viaHttpTree = await http(caller, 'get', '/api/v1/fs/tree', tree);
  expect(comparable(await call(mcp, 'tree', tree))).toEqual(comparable(viaHttpTree));
  const ls = { uri: 'viking://', simple: true, recursive: true };
  const viaHttpLs = await http(caller, 'get', '/api/v1/fs/ls', ls);
  expect(comparable(await call(mcp, 'ls', ls))).toEqual(comparable(viaHttpLs));
});
