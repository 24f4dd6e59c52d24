/**
 * SPEC 3.5 / 9.2 end to end: for each of the four namespace policies, a USER's shorthand writes land
 * at the canonical URI and the stored records carry the owner fields and context type that URI
 * derives under the account's policy — and search honours them for another agent of the same user.
 */
import { and, eq } from '../../src/policy/index.js';
import { fullApp, searchUris, type FullApp } from '../helpers/full-app.js';

interface Case {
  readonly account: string;
  readonly userByAgent: boolean;
  readonly agentByUser: boolean;
  readonly memory: { uri: string; owner_user_id: string | null; owner_agent_id: string | null };
  readonly skill: { uri: string; owner_user_id: string | null; owner_agent_id: string | null };
}

const CASES: readonly Case[] = [
  {
    account: 'pol-ff',
    userByAgent: false,
    agentByUser: false,
    memory: { uri: 'viking://user/alice/memories/m.md', owner_user_id: 'alice', owner_agent_id: null },
    skill: { uri: 'viking://agent/bot/skills/s.md', owner_user_id: null, owner_agent_id: 'bot' },
  },
  {
    account: 'pol-tf',
    userByAgent: true,
    agentByUser: false,
    memory: {
      uri: 'viking://user/alice/agent/bot/memories/m.md',
      owner_user_id: 'alice',
      owner_agent_id: 'bot',
    },
    skill: { uri: 'viking://agent/bot/skills/s.md', owner_user_id: null, owner_agent_id: 'bot' },
  },
  {
    account: 'pol-ft',
    userByAgent: false,
    agentByUser: true,
    memory: { uri: 'viking://user/alice/memories/m.md', owner_user_id: 'alice', owner_agent_id: null },
    skill: {
      uri: 'viking://agent/bot/user/alice/skills/s.md',
      owner_user_id: 'alice',
      owner_agent_id: 'bot',
    },
  },
  {
    account: 'pol-tt',
    userByAgent: true,
    agentByUser: true,
    memory: {
      uri: 'viking://user/alice/agent/bot/memories/m.md',
      owner_user_id: 'alice',
      owner_agent_id: 'bot',
    },
    skill: {
      uri: 'viking://agent/bot/user/alice/skills/s.md',
      owner_user_id: 'alice',
      owner_agent_id: 'bot',
    },
  },
];

let t: FullApp;
beforeAll(async () => {
  t = await fullApp({
    accounts: CASES.map((c) => ({
      account_id: c.account,
      isolate_user_scope_by_agent: c.userByAgent,
      isolate_agent_scope_by_user: c.agentByUser,
      users: ['alice', 'bob'],
    })),
  });
});
afterAll(() => t.close());

describe.each(CASES)('policy of $account', (c) => {
  const token = `ownertoken${c.account.replace('-', '')}`;

  beforeAll(async () => {
    const alice = t.client({ account: c.account, user: 'alice', agent: 'bot' });
    const wrote = await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://user/memories/m.md', content: `Memory ${token}.` })
      .expect(200);
    expect(wrote.body).toMatchObject({ result: { uri: c.memory.uri } });
    const skill = await alice
      .post('/api/v1/content/write')
      .send({ uri: 'viking://agent/skills/s.md', content: `Skill ${token}.`, wait: true })
      .expect(200);
    expect(skill.body).toMatchObject({ result: { uri: c.skill.uri } });
  });

  test.each([
    ['memory', 'user'],
    ['skill', 'agent'],
  ] as const)('the %s record has the owner fields of its canonical URI', async (kind, scope) => {
    const expected = c[kind];
    const rows = await t.services.store.scan(and(eq('account_id', c.account), eq('uri', expected.uri)));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row).toMatchObject({
        scope,
        context_type: kind,
        level: 2,
        owner_user_id: expected.owner_user_id,
        owner_agent_id: expected.owner_agent_id,
      });
    }
  });

  test('nothing else in the account carries the token', async () => {
    const rows = await t.services.store.scan(eq('account_id', c.account));
    const uris = rows.filter((r) => r.text.includes(token)).map((r) => r.uri);
    expect(uris.sort()).toEqual([c.memory.uri, c.skill.uri].sort());
  });

  test('search follows the policy for another agent and another user', async () => {
    const find = (user: string, agent: string) =>
      searchUris(t.client({ account: c.account, user, agent }), { query: token, mode: 'fulltext' });
    expect(await find('alice', 'bot')).toEqual([c.memory.uri, c.skill.uri].sort());
    // Another agent of alice: the memory only if the user scope is not split by agent.
    expect(await find('alice', 'helper')).toEqual(c.userByAgent ? [] : [c.memory.uri]);
    // Bob with the same agent: the skill only if the agent scope is not split by user.
    expect(await find('bob', 'bot')).toEqual(c.agentByUser ? [] : [c.skill.uri]);
  });
});
