/**
 * Memories from a shared session (SPEC 15), against a local OpenAI-compatible chat server whose
 * "model" cites messages the way a real one would — including memories mixing two users, ids that
 * are not in the session, and categories that do not exist. In each of the four policies, after one
 * commit by either user: every memory lies exactly in the namespace its cited messages determine, no
 * user reads or finds another's memory, and the committer gains nothing from the others' messages.
 * Then: a model that fails leaves the archive intact and the task failed; a crash before extraction
 * is resumed at start; running again merges instead of repeating.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fullApp, type Client, type FullApp } from '../helpers/full-app.js';
import { callOk, httpClient, listen } from '../helpers/mcp.js';
import { startFakeModelServer, type ChatRequest, type FakeModelServer } from '../helpers/openai-server.js';

const shownSchema = z.object({
  messages: z.array(
    z.object({ message_id: z.string(), role: z.string(), role_id: z.string().nullable(), text: z.string() }),
  ),
});

/** The fake model: one memory per message (user → preferences, assistant → cases), and the tricky ones. */
function modelAnswer(request: ChatRequest): string {
  const prompt = request.messages.find((m) => m.role === 'user')?.content ?? '{}';
  const { messages } = shownSchema.parse(JSON.parse(prompt));
  const memories = messages.map((m) => ({
    category: m.role === 'user' ? 'preferences' : 'cases',
    abstract: m.text,
    content: `memory: ${m.text}`,
    source_message_ids: [m.message_id],
  }));
  const users = messages.filter((m) => m.role === 'user');
  memories.push(
    // Mixing both users' statements: one copy each, each citing only its owner's message.
    {
      category: 'events',
      abstract: 'joint',
      content: 'they met',
      source_message_ids: users.map((m) => m.message_id),
    },
    // The model may not decide an owner, nor cite what is not there.
    {
      category: 'preferences',
      abstract: 'x',
      content: 'invented',
      source_message_ids: ['msg_' + '0'.repeat(32)],
    },
    {
      category: 'secrets',
      abstract: 'x',
      content: 'unknown category',
      source_message_ids: [users[0]?.message_id ?? ''],
    },
    // A user category citing only an assistant message has no fitting owner.
    {
      category: 'profile',
      abstract: 'x',
      content: 'assistant said so',
      source_message_ids: messages.filter((m) => m.role === 'assistant').map((m) => m.message_id),
    },
  );
  return JSON.stringify({
    memories,
    abstract: `model abstract of ${messages.length} messages`,
    overview: '## Model overview\n- tea and coffee',
  });
}

const POLICIES = [
  { u: false, a: false },
  { u: true, a: false },
  { u: false, a: true },
  { u: true, a: true },
] as const;

let model: FakeModelServer;
beforeAll(async () => {
  model = await startFakeModelServer();
});
afterAll(async () => {
  await model.close();
});
beforeEach(() => {
  model.chat = modelAnswer;
  model.failures = [];
});

const llmEnv = () => ({ LLM_BASE_URL: model.baseUrl, LLM_MODEL: 'chat-test' });

async function waitTask(client: Client, taskId: string) {
  for (let i = 0; i < 200; i++) {
    const res = await client.get(`/api/v1/tasks/${taskId}`).expect(200);
    const task = z.object({ result: z.object({ status: z.string() }).passthrough() }).parse(res.body).result;
    if (task.status === 'completed' || task.status === 'failed') return task as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`task ${taskId} did not finish`);
}

/** Alice (agent a1) and Bob (agent a2) each say something and get an answer in session s1. */
async function converse(app: FullApp) {
  const alice = app.client({ account: 'acme', user: 'alice', agent: 'a1' });
  const bob = app.client({ account: 'acme', user: 'bob', agent: 'a2' });
  const say = (c: Client, role: string, content: string) =>
    c.post('/api/v1/sessions/s1/messages').send({ role, content }).expect(200);
  await say(alice, 'user', 'alice likes green tea');
  await say(alice, 'assistant', 'a1 brewed green tea');
  await say(bob, 'user', 'bob prefers black coffee');
  await say(bob, 'assistant', 'a2 ground coffee');
  return { alice, bob };
}

function roots(policy: { u: boolean; a: boolean }) {
  return {
    alice: policy.u ? 'viking://user/alice/agent/a1' : 'viking://user/alice',
    bob: policy.u ? 'viking://user/bob/agent/a2' : 'viking://user/bob',
    a1: policy.a ? 'viking://agent/a1/user/alice' : 'viking://agent/a1',
    a2: policy.a ? 'viking://agent/a2/user/bob' : 'viking://agent/a2',
  };
}

async function treeUris(client: Client, uri: string): Promise<string[]> {
  const res = await client.get('/api/v1/fs/tree').query({ uri, level_limit: 10 });
  if (res.status !== 200) return [];
  const entries = z.object({
    result: z.array(z.object({ uri: z.string(), isDir: z.boolean().optional() }).passthrough()),
  });
  return entries
    .parse(res.body)
    .result.map((e) => e.uri)
    .filter((u) => u.endsWith('.md'));
}

describe.each(POLICIES)('policy user-split=$u agent-split=$a', (policy) => {
  test.each(['alice', 'bob'] as const)(
    'a commit by %s puts each memory where its messages say',
    async (committer) => {
      const app = await fullApp({
        env: llmEnv(),
        accounts: [
          {
            account_id: 'acme',
            users: ['alice', 'bob'],
            isolate_user_scope_by_agent: policy.u,
            isolate_agent_scope_by_user: policy.a,
          },
        ],
      });
      try {
        const { alice, bob } = await converse(app);
        const by = committer === 'alice' ? alice : bob;
        const committed = await by.post('/api/v1/sessions/s1/commit').send({}).expect(200);
        const commit = z
          .object({ result: z.object({ task_id: z.string(), extraction: z.literal('started') }) })
          .parse(committed.body).result;
        const task = await waitTask(by, commit.task_id);
        expect(task).toMatchObject({ status: 'completed' });
        const result = task.result as {
          memories: number;
          per_owner: Record<string, number>;
          dropped: { reason: string }[];
        };
        const r = roots(policy);
        // alice: preferences + events; bob: preferences + events; a1, a2: one case each.
        expect(result.per_owner).toEqual({ [r.alice]: 2, [r.bob]: 2, [r.a1]: 1, [r.a2]: 1 });
        expect(result.dropped.map((d) => d.reason).sort()).toEqual([
          'no_fitting_message',
          'unknown_category',
          'unknown_message_ids',
        ]);
        await app.services.pipeline.waitForAccount('acme', 20_000);

        const admin = app.client({ account: 'acme', user: 'admin', root: true });
        const aliceFiles = await treeUris(admin, r.alice);
        const bobFiles = await treeUris(admin, r.bob);
        const texts = async (uris: string[]) =>
          Promise.all(
            uris.map(async (u) => {
              const res = await app
                .client({ account: 'acme', user: 'alice', root: true })
                .get('/api/v1/content/read')
                .query({ uri: u });
              return String((res.body as { result: unknown }).result);
            }),
          );
        const aliceText = (await texts(aliceFiles)).join('\n');
        const bobText = (await texts(bobFiles)).join('\n');
        expect(aliceText).toContain('green tea');
        expect(aliceText).not.toContain('coffee');
        expect(bobText).toContain('coffee');
        expect(bobText).not.toContain('green tea');
        // The mixed memory became one copy per owner, each citing only that owner's message.
        expect(aliceText).toContain('they met');
        expect(bobText).toContain('they met');
        expect(`${aliceText}${bobText}`).not.toContain('invented');

        // The model's summary replaced the archive's extractive one.
        const archive = await by.get('/api/v1/sessions/s1/archives/archive_001').expect(200);
        expect(archive.body).toMatchObject({
          result: {
            abstract: 'model abstract of 4 messages\n',
            overview: expect.stringContaining('Model overview'),
          },
        });
        // The session's memory listing shows each caller only what it may read: its own and its agent's.
        for (const [client, own] of [
          [bob, [r.bob, r.a2]],
          [alice, [r.alice, r.a1]],
        ] as const) {
          const listed = await client.get('/api/v1/sessions/s1/memories').expect(200);
          const archives = (listed.body as { result: { archives: { status: string; memories: object }[] } })
            .result.archives;
          expect(archives).toHaveLength(1);
          expect(archives[0]?.status).toBe('completed');
          expect(Object.keys(archives[0]?.memories ?? {}).sort()).toEqual([...own].sort());
        }
        // Bob can neither read nor find alice's memories, and the reverse.
        for (const uri of aliceFiles) {
          const res = await bob.get('/api/v1/content/read').query({ uri });
          expect([403, 404]).toContain(res.status);
        }
        const found = await bob
          .post('/api/v1/search/find')
          .send({ query: 'green tea memory', limit: 50 })
          .expect(200);
        const memoryHits = (found.body as { result: { memories: { uri: string }[] } }).result.memories;
        expect(memoryHits.filter((h) => h.uri.startsWith('viking://user/alice'))).toEqual([]);
        const mine = await alice
          .post('/api/v1/search/find')
          .send({ query: 'green tea memory', limit: 50 })
          .expect(200);
        const aliceHits = (mine.body as { result: { memories: { uri: string }[] } }).result.memories;
        expect(aliceHits.some((h) => h.uri.startsWith(`${r.alice}/memories/`))).toBe(true);
        expect(aliceHits.filter((h) => h.uri.startsWith('viking://user/bob'))).toEqual([]);
      } finally {
        await app.close();
      }
    },
  );
});

test('a failing model leaves the archive and fails the task with the reason; extract runs on live messages', async () => {
  const app = await fullApp({ env: llmEnv(), accounts: [{ account_id: 'acme', users: ['alice', 'bob'] }] });
  try {
    const { alice } = await converse(app);
    model.chat = () => 'Sure! Here are the memories you asked for.';
    const committed = await alice.post('/api/v1/sessions/s1/commit').send({}).expect(200);
    const taskId = (committed.body as { result: { task_id: string } }).result.task_id;
    const task = await waitTask(alice, taskId);
    expect(task).toMatchObject({ status: 'failed', error: expect.stringContaining('not the JSON') });
    const archive = await alice.get('/api/v1/sessions/s1/archives/archive_001').expect(200);
    expect(JSON.stringify(archive.body)).toContain('alice likes green tea');
    // The extractive summary stays when the model fails.
    expect(JSON.stringify(archive.body)).not.toContain('model abstract');
    // 500s past the retries: failed, naming the setting.
    await alice
      .post('/api/v1/sessions/s1/messages')
      .send({ role: 'user', content: 'alice likes jasmine' })
      .expect(200);
    model.chat = modelAnswer;
    model.failures = [500, 500, 500, 500, 500];
    const extracted = await alice.post('/api/v1/sessions/s1/extract').expect(200);
    const failed = await waitTask(alice, (extracted.body as { result: { task_id: string } }).result.task_id);
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringContaining('LLM_BASE_URL') });
    model.failures = [];
    const again = await alice.post('/api/v1/sessions/s1/extract').expect(200);
    const done = await waitTask(alice, (again.body as { result: { task_id: string } }).result.task_id);
    expect(done).toMatchObject({ status: 'completed', result: { per_owner: { 'viking://user/alice': 2 } } });
  } finally {
    await app.close();
  }
}, 120_000);

test('without a model, commit reports extraction skipped and extract says what to set', async () => {
  const app = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice', 'bob'] }] });
  try {
    const { alice } = await converse(app);
    const committed = await alice.post('/api/v1/sessions/s1/commit').send({}).expect(200);
    expect(committed.body).toMatchObject({
      result: { task_id: null, extraction: 'skipped', archived: true },
    });
    const extract = await alice.post('/api/v1/sessions/s1/extract').expect(412);
    expect(JSON.stringify(extract.body)).toContain('LLM_BASE_URL');
  } finally {
    await app.close();
  }
});

test('an extraction a crash interrupted runs at the next start, once; running again merges', async () => {
  const app = await fullApp({ env: llmEnv(), accounts: [{ account_id: 'acme', users: ['alice', 'bob'] }] });
  const dataDir = app.dataDir;
  const marker = join(dataDir, 'fs', 'acme', 'session', 's1', 'history', 'archive_001', '.extraction.json');
  let reopened: FullApp | null = null;
  try {
    const { alice } = await converse(app);
    const committed = await alice.post('/api/v1/sessions/s1/commit').send({}).expect(200);
    await waitTask(alice, (committed.body as { result: { task_id: string } }).result.task_id);
    const before = await treeUris(
      app.client({ account: 'acme', user: 'admin', root: true }),
      'viking://user/alice',
    );
    // As if the process had died between the archive and its extraction.
    await writeFile(marker, '{"status":"pending"}\n');
    await app.close({ keepData: true });
    const calls = model.requests.length;
    reopened = await fullApp({ env: llmEnv(), dataDir });
    for (let i = 0; i < 200 && (await readFile(marker, 'utf8')).includes('pending'); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(JSON.parse(await readFile(marker, 'utf8'))).toMatchObject({
      status: 'completed',
      result: { created: 0 },
    });
    expect(model.requests.length).toBe(calls + 1);
    await reopened.services.pipeline.waitForAccount('acme', 20_000);
    const after = await treeUris(
      reopened.client({ account: 'acme', user: 'admin', root: true }),
      'viking://user/alice',
    );
    expect(after.sort()).toEqual(before.sort());
  } finally {
    await (reopened ?? app).close();
  }
}, 120_000);

test('the MCP tools commit and extract as the caller, with the same attribution', async () => {
  const app = await fullApp({ env: llmEnv(), accounts: [{ account_id: 'acme', users: ['alice', 'bob'] }] });
  const server = await listen(app.app);
  const key = app.keys.get('acme/bob') ?? '';
  const mcp = await httpClient(server.url, { Authorization: `Bearer ${key}`, 'X-OpenViking-Agent': 'a2' });
  try {
    const { bob } = await converse(app);
    const extracted = z
      .object({ task_id: z.string() })
      .parse(await callOk(mcp, 'extract_memories', { session_id: 's1' }));
    const task = await waitTask(bob, extracted.task_id);
    expect(task).toMatchObject({
      status: 'completed',
      result: { per_owner: { 'viking://user/alice': 2, 'viking://user/bob': 2 } },
    });
    const committed = z
      .object({ task_id: z.string(), archived: z.literal(true) })
      .parse(await callOk(mcp, 'commit_session', { session_id: 's1' }));
    // The same messages again: every memory merges into the file it already has.
    expect(await waitTask(bob, committed.task_id)).toMatchObject({ result: { created: 0, unchanged: 6 } });
  } finally {
    await mcp.close();
    await server.close();
    await app.close();
  }
});
