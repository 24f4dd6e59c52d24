/**
 * Hostile search input: SQL and quotes in queries, ids and target URIs, wrong-account headers, huge
 * queries, bad limits and random bodies — always a 4xx or clean results, never a 500, never a leak.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { logger } from '../../src/log.js';
import { buildServices, type Services } from '../../src/services.js';
import { createAccounts, ROOT_KEY, type Account } from './world.js';

let dir: string;
let services: Services;
let app: Express;
let acme: Account;
let alice: string;

const SECRETS = ['bobsecretzq', 'globexsecretzq', 'helpersecretzq'];

async function write(
  key: string,
  headers: Record<string, string>,
  uri: string,
  content: string,
): Promise<void> {
  const res = await request(app)
    .post('/api/v1/content/write')
    .set('X-API-Key', key)
    .set(headers)
    .send({ uri, content });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vs-hostile-'));
  services = await buildServices(
    loadConfig({ ROOT_API_KEY: ROOT_KEY, DATA_DIR: dir, EMBEDDER: 'builtin' }),
    logger,
  );
  app = createApp(services);
  const [a, g] = await createAccounts(app, [
    { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: false },
    { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false },
  ]);
  acme = a as Account;
  alice = acme.users[0]?.key as string;
  const bob = acme.users[1]?.key as string;
  await write(
    alice,
    { 'X-OpenViking-Agent': 'bot' },
    'viking://user/memories/tea.md',
    "alicetoken likes tea; it's 50% off",
  );
  await write(
    alice,
    { 'X-OpenViking-Agent': 'bot' },
    'viking://resources/docs/guide.md',
    'sharedtoken guide',
  );
  await write(
    bob,
    { 'X-OpenViking-Agent': 'bot' },
    'viking://user/memories/secret.md',
    `${SECRETS[0]} of bob`,
  );
  // Alice's own user scope, but another agent: invisible under isolate_user_scope_by_agent.
  await write(
    alice,
    { 'X-OpenViking-Agent': 'helper' },
    'viking://user/memories/h.md',
    `${SECRETS[2]} of helper`,
  );
  const globexAdmin = (g as Account).admin.key;
  await write(globexAdmin, {}, 'viking://resources/plans.md', `${SECRETS[1]} of globex`);
  await request(app).post('/api/v1/system/wait').set('X-API-Key', ROOT_KEY).send({});
});

afterAll(async () => {
  await services.close();
  await rm(dir, { recursive: true, force: true });
});

function find(body: unknown, headers: Record<string, string> = { 'X-OpenViking-Agent': 'bot' }) {
  return request(app)
    .post('/api/v1/search/find')
    .set('X-API-Key', alice)
    .set(headers)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(body) ?? 'null');
}

/** A clean answer: 200 without secrets and every hit readable by alice, or a 4xx error envelope. */
async function expectClean(res: request.Response): Promise<void> {
  expect(res.status).toBeLessThan(500);
  expect(JSON.stringify(res.body)).not.toMatch(/secretzq|stack|at \//);
  if (res.status !== 200) {
    expect(res.body).toMatchObject({ status: 'error', result: null });
    return;
  }
  const r = (res.body as { result: Record<string, Array<{ uri: string; level: number }>> }).result;
  for (const hit of [...(r['memories'] ?? []), ...(r['resources'] ?? []), ...(r['skills'] ?? [])]) {
    const read = await request(app)
      .get(hit.level === 2 ? '/api/v1/content/read' : '/api/v1/content/abstract')
      .query({ uri: hit.uri })
      .set('X-API-Key', alice)
      .set('X-OpenViking-Agent', 'bot');
    expect(read.status).toBe(200);
  }
}

test.each([
  "' OR 1=1 --",
  "secretzq' OR account_id = 'globex",
  '"); DROP TABLE records; --',
  "account_id = 'globex' OR TRUE",
  SECRETS.join(' '),
  '\\',
  '%_%',
  'a\u0000b',
  '😀 ünï',
  'x'.repeat(8000),
])('query %j: clean results, never another scope', async (query) => {
  for (const mode of ['vector', 'fulltext', 'hybrid']) {
    const res = await find({ query, mode, limit: 50 });
    expect(res.status).toBe(200);
    await expectClean(res);
  }
});

test('the SQL in a query never changes the filter', async () => {
  const res = await find({ query: "x' OR '1'='1", explain: true });
  const explain = (res.body as { result: { explain: { filter: string } } }).result.explain;
  expect(explain.filter).not.toContain("'1'='1");
  expect(explain.filter.startsWith(`(account_id = '${acme.id}' AND `)).toBe(true);
});

test.each([
  [{ query: 'x', target_uri: "viking://resources/' OR '1'='1" }, 200],
  [{ query: 'x', target_uri: 'viking://user/bob' }, 403],
  [{ query: 'x', target_uri: 'viking://user/alice/agent/helper' }, 403],
  [{ query: 'x', target_uri: "viking://user/alice' OR 1=1--" }, 400],
  [{ query: 'x', target_uri: 'viking://user/alice/memories' }, 400],
  [{ query: 'x', target_uri: 'viking://tmp/x' }, 400],
  [{ query: 'x', target_uri: 'viking://resources/../user/bob' }, 400],
  [{ query: 'x', target_uri: 'viking://resources/a\u0000b' }, 400],
  [{ query: 'x', target_uri: `viking://resources/${'y'.repeat(5000)}` }, 400],
  [{ query: 'x', target_uri: 42 }, 400],
  [{ query: 'x', limit: -1 }, 400],
  [{ query: 'x', limit: 0 }, 400],
  [{ query: 'x', limit: 1.5 }, 400],
  [{ query: 'x', limit: 1e9 }, 400],
  [{ query: 'x', limit: '10' }, 400],
  [{ query: 'x', mode: 'sql' }, 400],
  [{ query: 'x', context_type: "memory' OR '1'='1" }, 400],
  [{ query: 'x', since: 'yesterday-ish' }, 400],
  [{ query: 'x', score_threshold: 'high' }, 400],
  [{ query: '' }, 400],
  [{ query: 'x'.repeat(9000) }, 400],
  [{}, 400],
  [[], 400],
])('%j → %i', async (body, status) => {
  const res = await find(body);
  expect(res.status).toBe(status);
  await expectClean(res);
});

test('a wrong-account header is refused for a USER key', async () => {
  const res = await find({ query: 'x' }, { 'X-OpenViking-Account': 'globex', 'X-OpenViking-Agent': 'bot' });
  expect(res.status).toBe(403);
});

test('a body over the size limit is a readable 413', async () => {
  const res = await find({ query: 'x'.repeat(11 * 1024 * 1024) });
  expect(res.status).toBe(413);
});

test('random bodies never produce a 500 or a leak', async () => {
  const body = fc.oneof(
    fc.anything(),
    fc.record(
      {
        query: fc.oneof(fc.string(), fc.constantFrom(...SECRETS), fc.anything()),
        target_uri: fc.oneof(
          fc.string(),
          fc.constantFrom('viking://user/bob', 'viking://resources', 'viking://'),
          fc.anything(),
        ),
        limit: fc.oneof(fc.integer(), fc.double(), fc.anything()),
        mode: fc.oneof(fc.constantFrom('vector', 'fulltext', 'hybrid'), fc.string()),
        context_type: fc.oneof(fc.constantFrom('memory', 'resource', 'skill', 'session'), fc.anything()),
        score_threshold: fc.oneof(fc.double(), fc.anything()),
        since: fc.oneof(fc.integer(), fc.string()),
        explain: fc.anything(),
      },
      { requiredKeys: [] },
    ),
  );
  await fc.assert(
    fc.asyncProperty(body, async (b) => {
      await expectClean(await find(b));
    }),
    { numRuns: 150 },
  );
});
