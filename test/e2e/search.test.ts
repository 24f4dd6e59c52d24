/**
 * Issue 7 end to end: search through the fully wired service — grouping, one hit per URI, limit,
 * score threshold, context types, target subtrees (403/400), the namespace filter in every mode,
 * explain, and time ranges.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, subtree } from '../../src/policy/index.js';
import {
  allHits,
  errorCodeOf,
  fullApp,
  searchResultOf,
  searchUris,
  type Client,
  type FullApp,
  type Hit,
  type SearchResult,
} from '../helpers/full-app.js';

const MODES = ['vector', 'fulltext', 'hybrid'] as const;
const LONG_URI = 'viking://resources/long.md';
const BOB_SECRET = 'viking://user/bob/memories/secret.md';

let t: FullApp;
let alice: Client;
let bob: Client;
let zed: Client;

const write = (client: Client, uri: string, content: string) =>
  client.post('/api/v1/content/write').send({ uri, content }).expect(200);
const readHit = (client: Client, hit: Hit) => {
  const route = ['abstract', 'overview', 'read'][hit.level] ?? 'read';
  return client.get(`/api/v1/content/${route}`).query({ uri: hit.uri });
};
const search = async (client: Client, body: Record<string, unknown>): Promise<SearchResult> =>
  searchResultOf(await client.post('/api/v1/search/find').send(body));
const scoresOf = (hits: readonly { score: number }[]) => hits.map((h) => h.score);

/** A text of about `paragraphs` × 500 characters with `token` in every paragraph. */
function longText(token: string, paragraphs: number): string {
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod '.repeat(6);
  return Array.from({ length: paragraphs }, (_, i) => `Paragraph ${i} ${token} ${filler}`).join('\n\n');
}

beforeAll(async () => {
  t = await fullApp({
    accounts: [
      { account_id: 'acme', users: ['alice', 'bob'] },
      { account_id: 'other', users: ['zed'] },
      { account_id: 'iso', isolate_user_scope_by_agent: true, users: ['ivy'] },
    ],
  });
  alice = t.client({ account: 'acme', user: 'alice', agent: 'bot' });
  bob = t.client({ account: 'acme', user: 'bob', agent: 'bot' });
  zed = t.client({ account: 'other', user: 'zed', agent: 'bot' });
  await write(alice, 'viking://resources/alice/doc.md', 'Shared searchtoken notes about alice.');
  await write(alice, 'viking://resources/al/doc.md', 'Shared searchtoken notes in al.');
  await write(alice, 'viking://user/memories/m.md', 'A searchtoken memory of alice.');
  await write(alice, 'viking://agent/skills/s.md', 'A searchtoken skill of bot.');
  await alice
    .post('/api/v1/sessions/s1/messages')
    .send({ role: 'user', content: 'A searchtoken message in a session.' })
    .expect(200);
  await write(alice, LONG_URI, longText('chunkytoken', 12));
  await write(bob, 'viking://user/memories/secret.md', 'Bob private leakytoken diary.');
  await write(zed, 'viking://resources/zed.md', 'Other account leakytoken data.');
  await t.root().post('/api/v1/system/wait').send({}).expect(200);
});
afterAll(() => t.close());

test('results are grouped by context type, each group sorted, with the total', async () => {
  const result = await search(alice, { query: 'searchtoken', mode: 'fulltext' });
  expect(result.memories.map((h) => h.uri)).toEqual(['viking://user/alice/memories/m.md']);
  expect(result.skills.map((h) => h.uri)).toEqual(['viking://agent/bot/skills/s.md']);
  expect(result.resources.map((h) => h.uri).sort()).toEqual([
    'viking://resources/al/doc.md',
    'viking://resources/alice/doc.md',
  ]);
  expect(result.sessions).toHaveLength(1);
  expect(result.sessions[0]?.uri).toMatch(/^viking:\/\/session\/s1\/messages\/msg_/);
  expect(result.total).toBe(5);
  for (const [group, type] of [
    ['memories', 'memory'],
    ['resources', 'resource'],
    ['skills', 'skill'],
    ['sessions', 'session'],
  ] as const) {
    for (const hit of result[group]) expect(hit.context_type).toBe(type);
    const scores = scoresOf(result[group]);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  }
});

test.each(MODES)('a file matching in several chunks is one hit (%s)', async (mode) => {
  const chunks = await t.services.store.scan(and(eq('account_id', 'acme'), eq('uri', LONG_URI)));
  expect(chunks.filter((r) => r.text.includes('chunkytoken')).length).toBeGreaterThan(2);
  const result = await search(alice, { query: 'chunkytoken', mode, limit: 50 });
  const uris = allHits(result).map((h) => h.uri);
  expect(uris.filter((u) => u === LONG_URI)).toHaveLength(1);
  expect(new Set(uris).size).toBe(uris.length);
});

test('limit caps the hits across all groups, keeping the best', async () => {
  const all = allHits(await search(alice, { query: 'searchtoken', mode: 'fulltext' }));
  const best = scoresOf(all).sort((a, b) => b - a);
  const limited = await search(alice, { query: 'searchtoken', mode: 'fulltext', limit: 2 });
  expect(limited.total).toBe(2);
  expect(allHits(limited)).toHaveLength(2);
  expect(scoresOf(allHits(limited)).sort((a, b) => b - a)).toEqual(best.slice(0, 2));
  const hybrid = await search(alice, { query: 'searchtoken', limit: 3 });
  expect(allHits(hybrid)).toHaveLength(3);
  expect(hybrid.total).toBe(3);
});

test.each(['vector', 'fulltext'] as const)(
  'score_threshold drops hits scoring below it (%s)',
  async (mode) => {
    const all = scoresOf(allHits(await search(alice, { query: 'searchtoken', mode, limit: 50 })));
    expect(all.length).toBeGreaterThan(2);
    const sorted = [...all].sort((a, b) => b - a);
    const threshold = sorted[Math.floor(sorted.length / 2)] ?? 0;
    const kept = allHits(
      await search(alice, { query: 'searchtoken', mode, limit: 50, score_threshold: threshold }),
    );
    expect(kept.length).toBe(all.filter((s) => s >= threshold).length);
    expect(kept.length).toBeLessThan(all.length);
    for (const hit of kept) expect(hit.score).toBeGreaterThanOrEqual(threshold);
    const none = await search(alice, { query: 'searchtoken', mode, score_threshold: (sorted[0] ?? 0) + 1 });
    expect(none.total).toBe(0);
  },
);

// Issue 28: the fused rank score says where a hit ranks, not how relevant it is; in hybrid mode the
// threshold is the cosine similarity the vector path needs, and the full-text word matches stay.
test('in hybrid mode score_threshold is a cosine similarity; word matches stay', async () => {
  const all = allHits(await search(alice, { query: 'searchtoken', limit: 50 }));
  const vectorOnly = all.filter((h) => h.match_reason === 'vector');
  const words = all.filter((h) => h.match_reason.includes('fulltext')).map((h) => h.uri);
  expect(vectorOnly.length).toBeGreaterThan(0);
  expect(words.length).toBeGreaterThan(0);
  // Above any cosine: only the word matches are left (a threshold on the fused score left none).
  const strict = allHits(await search(alice, { query: 'searchtoken', limit: 50, score_threshold: 1.01 }));
  expect(strict.map((h) => h.uri).sort()).toEqual([...words].sort());
  // At the lowest cosine: nothing is dropped.
  const loose = await search(alice, { query: 'searchtoken', limit: 50, score_threshold: -1 });
  expect(
    allHits(loose)
      .map((h) => h.uri)
      .sort(),
  ).toEqual(all.map((h) => h.uri).sort());
  // The vector path's own measure decides for its hits: the same cut as in vector mode.
  const vector = allHits(await search(alice, { query: 'searchtoken', mode: 'vector', limit: 50 }));
  const cut = [...scoresOf(vector)].sort((a, b) => b - a)[Math.floor(vector.length / 2)] ?? 0;
  const kept = allHits(await search(alice, { query: 'searchtoken', limit: 50, score_threshold: cut }));
  const similar = vector.filter((h) => h.score >= cut).map((h) => h.uri);
  expect(kept.map((h) => h.uri).sort()).toEqual([...new Set([...words, ...similar])].sort());
});

test('context_type narrows to the chosen groups', async () => {
  const memories = await search(alice, { query: 'searchtoken', context_type: 'memory', limit: 50 });
  expect(allHits(memories).map((h) => h.context_type)).toEqual(['memory']);
  const two = await search(alice, { query: 'searchtoken', context_type: ['skill', 'session'], limit: 50 });
  expect(
    allHits(two)
      .map((h) => h.context_type)
      .sort(),
  ).toEqual(['session', 'skill']);
  expect(two.memories.concat(two.resources)).toEqual([]);
});

describe('target_uri', () => {
  test('restricts to a subtree, segment-wise', async () => {
    const al = await searchUris(alice, { query: 'searchtoken', target_uri: 'viking://resources/al' });
    expect(al).toEqual(['viking://resources/al/doc.md']);
    const alice2 = await searchUris(alice, { query: 'searchtoken', target_uri: 'resources/alice/' });
    expect(alice2).toEqual(['viking://resources/alice/doc.md']);
    const file = await searchUris(alice, { query: 'chunkytoken', target_uri: LONG_URI });
    expect(file).toEqual([LONG_URI]);
  });

  test('shorthand is expanded to the caller’s scope root', async () => {
    const result = await search(alice, {
      query: 'searchtoken',
      target_uri: 'viking://user/memories',
      explain: true,
    });
    expect(allHits(result).map((h) => h.uri)).toEqual(['viking://user/alice/memories/m.md']);
    expect(result.explain?.target_uri).toBe('viking://user/alice/memories');
  });

  test.each([
    ['acme', 'alice', 'viking://user/bob', 403, 'PERMISSION_DENIED'],
    ['acme', 'alice', 'viking://agent/other-agent/skills', 403, 'PERMISSION_DENIED'],
    ['acme', 'alice', 'viking://tmp/x', 400, 'INVALID_URI'],
    ['acme', 'alice', 'viking://resources/../x', 400, 'INVALID_URI'],
    ['iso', 'ivy', 'viking://user/ivy/memories', 400, 'INVALID_URI'],
  ] as const)('%s/%s → %s is %d', async (account, user, target_uri, status, code) => {
    const client = t.client({ account, user, agent: 'bot' });
    const res = await client.post('/api/v1/search/find').send({ query: 'searchtoken', target_uri });
    expect(res.status).toBe(status);
    expect(errorCodeOf(res)).toBe(code);
  });
});

describe.each(MODES)('namespace filter in %s mode', (mode) => {
  const find = (client: Client) => searchUris(client, { query: 'leakytoken', mode, limit: 100 });

  test('alice sees nothing of bob’s scope or another account', async () => {
    const uris = await find(alice);
    expect(uris).not.toContain(BOB_SECRET);
    expect(uris.filter((u) => u.startsWith('viking://user/bob'))).toEqual([]);
    expect(uris).not.toContain('viking://resources/zed.md');
    if (mode === 'fulltext') expect(uris).toEqual([]);
  });

  test('bob and ROOT acting as bob find it; ROOT stays in the account it acts in', async () => {
    expect(await find(bob)).toContain(BOB_SECRET);
    const root = t.client({ account: 'acme', user: 'bob', agent: 'bot', root: true });
    const rootUris = await find(root);
    expect(rootUris).toContain(BOB_SECRET);
    expect(rootUris).not.toContain('viking://resources/zed.md');
  });

  test('the other account finds only its own record', async () => {
    const uris = await find(zed);
    expect(uris).toContain('viking://resources/zed.md');
    expect(uris.filter((u) => u.startsWith('viking://user/bob'))).toEqual([]);
  });
});

test('explain shows the canonical target and a filter naming only the caller’s account', async () => {
  for (const client of [alice, t.client({ account: 'acme', user: 'bob', root: true })]) {
    const result = await search(client, {
      query: 'searchtoken',
      target_uri: 'resources/alice//',
      explain: true,
    });
    expect(result.explain).toMatchObject({ target_uri: 'viking://resources/alice', mode: 'hybrid' });
    const filter = result.explain?.filter ?? '';
    expect(filter).toContain("'acme'");
    expect(filter).not.toContain("'other'");
    expect(filter).not.toContain("'iso'");
  }
  const plain = await search(alice, { query: 'searchtoken' });
  expect(plain.explain).toBeUndefined();
});

test('since and until narrow by updated time', async () => {
  await write(alice, 'viking://resources/time/early.md', 'Early timetoken note.');
  await t.root().post('/api/v1/system/wait').send({}).expect(200);
  await sleep(50);
  const between = Date.now();
  await sleep(50);
  await write(alice, 'viking://resources/time/late.md', 'Late timetoken note.');
  await t.root().post('/api/v1/system/wait').send({}).expect(200);
  const find = (extra: Record<string, unknown>) =>
    searchUris(alice, { query: 'timetoken', mode: 'fulltext', ...extra });
  expect(await find({})).toEqual(['viking://resources/time/early.md', 'viking://resources/time/late.md']);
  expect(await find({ since: between })).toEqual(['viking://resources/time/late.md']);
  expect(await find({ until: new Date(between).toISOString() })).toEqual([
    'viking://resources/time/early.md',
  ]);
  expect(await find({ since: between, until: between })).toEqual([]);
  const rows = await t.services.store.scan(and(eq('account_id', 'acme'), subtree('viking://resources/time')));
  expect(rows.every((r) => r.updated_at > 0)).toBe(true);
});

test('an invalid mode or time is a 400', async () => {
  for (const body of [
    { query: 'x', mode: 'semantic' },
    { query: 'x', since: 'not a date' },
    { query: 'x', limit: 0 },
    { query: '' },
  ]) {
    const res = await alice.post('/api/v1/search/find').send(body);
    expect([res.status, errorCodeOf(res)]).toEqual([400, 'INVALID_ARGUMENT']);
  }
});

test("OpenViking's level narrows to record levels, and time_field picks the time since/until compare", async () => {
  await alice
    .post('/api/v1/fs/mkdir')
    .send({ uri: 'viking://resources/lvl', description: 'Leveltoken folder abstract.' })
    .expect(200);
  await write(alice, 'viking://resources/lvl/doc.md', 'Leveltoken document.');
  await t.root().post('/api/v1/system/wait').send({}).expect(200);
  const levels = async (extra: Record<string, unknown>) =>
    allHits(await search(alice, { query: 'leveltoken', mode: 'fulltext', ...extra }))
      .map((h) => h.level)
      .sort();
  expect(await levels({})).toEqual([0, 2]);
  expect(await levels({ level: 0 })).toEqual([0]);
  expect(await levels({ level: [2] })).toEqual([2]);
  expect(await levels({ level: '0, 2' })).toEqual([0, 2]);
  expect(await levels({ level: '1' })).toEqual([]);
  const explained = await search(alice, {
    query: 'leveltoken',
    time_field: 'created_at',
    since: '2000-01-01',
    explain: true,
  });
  expect(explained.explain?.filter).toMatch(/created_at >= /);
  expect(explained.explain?.filter).not.toMatch(/updated_at/);
  expect(await levels({ time_field: 'created_at', since: '2000-01-01' })).toEqual([0, 2]);
  expect(await levels({ time_field: 'created_at', since: Date.now() + 86_400_000 })).toEqual([]);
  for (const bad of [{ level: 3 }, { level: '0;1' }, { level: ['x'] }, { time_field: 'deleted_at' }]) {
    const res = await alice.post('/api/v1/search/find').send({ query: 'x', ...bad });
    expect([bad, res.status, errorCodeOf(res)]).toEqual([bad, 400, 'INVALID_ARGUMENT']);
  }
});

describe('every hit reads back through the filesystem for the caller who got it', () => {
  beforeAll(async () => {
    const ivy = t.client({ account: 'iso', user: 'ivy', agent: 'bot' });
    await write(ivy, 'viking://user/memories/i.md', 'Ivy searchtoken memory.');
    const rootIso = t.client({ account: 'iso', user: 'ivy', root: true });
    await rootIso
      .post('/api/v1/fs/mkdir')
      .send({ uri: 'viking://resources/topic', description: 'Abstract searchtoken of a topic.' })
      .expect(200);
    await write(rootIso, 'viking://resources/topic/.overview.md', 'Overview searchtoken of a topic.');
    await t.root().post('/api/v1/system/wait').send({}).expect(200);
  });

  test.each([
    ['acme', 'alice', 'bot', false],
    ['acme', 'bob', 'helper', false],
    ['acme', 'alice', 'bot', true],
    ['other', 'zed', 'bot', false],
    ['iso', 'ivy', 'bot', false],
    ['iso', 'ivy', 'helper', false],
    ['iso', 'ivy', 'bot', true],
  ] as const)('%s/%s/%s (root: %s)', async (account, user, agent, root) => {
    const client = t.client({ account, user, agent, root });
    const hits = allHits(
      await search(client, { query: 'searchtoken leakytoken', mode: 'vector', limit: 200 }),
    );
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) {
      const res = await readHit(client, hit);
      expect([hit.uri, hit.level, res.status]).toEqual([hit.uri, hit.level, 200]);
    }
    if (account === 'iso' && !root) {
      const uris = hits.map((h) => h.uri);
      // Its abstract (level 0) and overview (level 1) are one hit: one per URI.
      expect(hits.filter((h) => h.uri === 'viking://resources/topic')).toHaveLength(1);
      expect(uris.includes('viking://user/ivy/agent/bot/memories/i.md')).toBe(agent === 'bot');
    }
  });

  test('no hit was dropped by the post-retrieval check and no job failed', async () => {
    const res = await t.root().get('/api/v1/system/status').expect(200);
    expect(res.body).toMatchObject({ result: { integrity_errors: 0, failed_jobs: 0, queue_depth: 0 } });
  });
});

describe('hostile names and queries', () => {
  const DIRS = ['a_c', 'abc', '50%_off', '50xyoff', "it's", 'it'];

  beforeAll(async () => {
    for (const dir of DIRS)
      await write(alice, `viking://resources/odd/${dir}/f.md`, `Odd wildtoken in ${dir}.`);
    await t.root().post('/api/v1/system/wait').send({}).expect(200);
  });

  test.each(DIRS)('target_uri viking://resources/odd/%s matches only itself', async (dir) => {
    const target_uri = `viking://resources/odd/${dir}`;
    for (const mode of MODES) {
      const uris = await searchUris(alice, { query: 'wildtoken', target_uri, mode, limit: 50 });
      expect(uris).toEqual([`${target_uri}/f.md`]);
    }
  });

  test.each([
    "'; DROP TABLE records; --",
    "leakytoken' OR '1'='1",
    'leakytoken OR account_id',
    'owner_user_id:bob leakytoken',
    '"leakytoken"',
    '* leakytoken ~ ^ ( )',
    '\\',
  ])('the query %j neither fails nor leaks', async (query) => {
    for (const mode of MODES) {
      const res = await alice.post('/api/v1/search/find').send({ query, mode, limit: 100 });
      const uris = allHits(searchResultOf(res)).map((h) => h.uri);
      expect(uris.filter((u) => u.startsWith('viking://user/bob') || u.endsWith('zed.md'))).toEqual([]);
    }
    expect(await t.services.store.countRows()).toBeGreaterThan(0);
  });
});
