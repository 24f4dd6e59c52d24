import { createBuiltinEmbedder } from '../embedders/builtin.js';
import { fileRecords, type IndexRecord } from '../indexing/records.js';
import { logger } from '../log.js';
import { and, DEFAULT_POLICY, type RequestContext } from '../policy/index.js';
import { ScanIndex } from './scan-index.js';
import { SearchService, type IndexHit, type SearchIndex, type SearchResult } from './service.js';

const ctx: RequestContext = {
  role: 'user',
  policy: DEFAULT_POLICY,
  effective: { account_id: 'acme', user_id: 'alice', agent_id: 'bot' },
};

test('index queries in flight are bounded; the rest wait their turn', async () => {
  let inFlight = 0;
  let peak = 0;
  const slow = async (): Promise<IndexHit[]> => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 20));
    inFlight -= 1;
    return [];
  };
  const plan = { name: 'memory', matching: 0, stages_ms: {} } as const;
  const index: SearchIndex = {
    vectorSearch: async () => ({ rows: await slow(), plan }),
    fullTextSearch: slow,
  };
  const service = new SearchService({
    index,
    embedder: createBuiltinEmbedder(),
    log: logger,
    maxConcurrentQueries: 2,
  });
  const results = await Promise.all(
    Array.from({ length: 10 }, () => service.search(ctx, { query: 'tea', limit: 5, mode: 'vector' })),
  );
  expect(results.every((r) => r.total === 0)).toBe(true);
  expect(peak).toBe(2);
});

describe('search over the reference index (ScanIndex, no LanceDB)', () => {
  const embedder = createBuiltinEmbedder();
  const silent = logger.child({}, { level: 'silent' });
  const NOW = 1_700_000_000_000;

  async function recordsOf(
    account: string,
    uri: string,
    text: string,
    updated_at = NOW,
  ): Promise<IndexRecord[]> {
    const drafts = fileRecords(account, uri, text, DEFAULT_POLICY, { created_at: updated_at, updated_at });
    const vectors = await embedder.embed(drafts.map((d) => d.text));
    return drafts.map((d, i) => ({ ...d, vector: vectors[i] as Float32Array }));
  }

  async function serviceWith(
    files: ReadonlyArray<readonly [string, string, string, number?]>,
  ): Promise<{ service: SearchService; index: ScanIndex; dropped: number[] }> {
    const index = new ScanIndex();
    for (const [account, uri, text, at] of files) index.put(await recordsOf(account, uri, text, at));
    const dropped: number[] = [];
    const service = new SearchService({
      index,
      embedder,
      log: silent,
      onIntegrityError: (n) => dropped.push(n),
    });
    return { service, index, dropped };
  }

  const root: RequestContext = { ...ctx, role: 'root' };
  const bob: RequestContext = { ...ctx, effective: { ...ctx.effective, user_id: 'bob' } };
  const uris = (r: SearchResult): string[] =>
    [...r.memories, ...r.resources, ...r.skills, ...r.sessions].map((h) => h.uri).sort();

  const corpus = [
    ['acme', 'viking://user/alice/memories/tea.md', 'alice drinks green tea every morning'],
    ['acme', 'viking://user/bob/memories/tea.md', 'bob drinks black tea in the evening'],
    ['acme', 'viking://resources/guides/tea.md', 'a guide to brewing tea'],
    ['acme', 'viking://agent/bot/skills/brew/SKILL.md', 'skill: brew tea for the user'],
    ['other', 'viking://resources/guides/tea.md', 'another account brews tea too'],
  ] as const;

  test.each(['vector', 'fulltext', 'hybrid'] as const)(
    '%s: each identity finds exactly what it may read, never another account',
    async (mode) => {
      const { service } = await serviceWith(corpus);
      const request = { query: 'tea', limit: 20, mode };
      expect(uris(await service.search(ctx, request))).toEqual([
        'viking://agent/bot/skills/brew/SKILL.md',
        'viking://resources/guides/tea.md',
        'viking://user/alice/memories/tea.md',
      ]);
      expect(uris(await service.search(bob, request))).toEqual([
        'viking://agent/bot/skills/brew/SKILL.md',
        'viking://resources/guides/tea.md',
        'viking://user/bob/memories/tea.md',
      ]);
      expect(uris(await service.search(root, request))).toHaveLength(4);
    },
  );

  test('results are grouped by context type; hybrid fuses both paths into one hit per URI', async () => {
    const { service } = await serviceWith(corpus);
    const result = await service.search(ctx, { query: 'tea', limit: 20, mode: 'hybrid' });
    expect(result.memories.map((h) => h.uri)).toEqual(['viking://user/alice/memories/tea.md']);
    expect(result.skills.map((h) => h.uri)).toEqual(['viking://agent/bot/skills/brew/SKILL.md']);
    expect(result.total).toBe(3);
    for (const hit of [...result.memories, ...result.resources, ...result.skills]) {
      expect(hit.match_reason).toBe('vector+fulltext');
    }
  });

  test('target_uri narrows to a subtree; an unreadable target is PERMISSION_DENIED', async () => {
    const { service } = await serviceWith(corpus);
    const found = await service.search(ctx, {
      query: 'tea',
      limit: 20,
      mode: 'vector',
      target_uri: 'viking://resources',
    });
    expect(uris(found)).toEqual(['viking://resources/guides/tea.md']);
    await expect(
      service.search(ctx, { query: 'tea', limit: 5, mode: 'vector', target_uri: 'viking://user/bob' }),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  test('context_type, since/until, limit and score_threshold filter the hits', async () => {
    const { service } = await serviceWith([
      ['acme', 'viking://resources/old.md', 'tea notes from last year', NOW - 1000],
      ['acme', 'viking://resources/new.md', 'tea notes from today', NOW],
      ['acme', 'viking://user/alice/memories/m.md', 'tea memory', NOW],
    ]);
    const base = { query: 'tea notes', limit: 20, mode: 'vector' } as const;
    expect(uris(await service.search(ctx, { ...base, context_type: ['memory'] }))).toEqual([
      'viking://user/alice/memories/m.md',
    ]);
    expect(uris(await service.search(ctx, { ...base, since: NOW - 10, context_type: ['resource'] }))).toEqual(
      ['viking://resources/new.md'],
    );
    expect(uris(await service.search(ctx, { ...base, until: NOW - 10 }))).toEqual([
      'viking://resources/old.md',
    ]);
    expect((await service.search(ctx, { ...base, limit: 1 })).total).toBe(1);
    expect((await service.search(ctx, { ...base, score_threshold: 1.01 })).total).toBe(0);
  });

  test('a hit the index should not have returned is dropped, counted and explained', async () => {
    const { index, dropped } = await serviceWith(corpus);
    // An index that ignores the filter: the service's own check must stop bob's memory.
    const leaky: SearchIndex = {
      vectorSearch: (vector, _filter, k) => index.vectorSearch(vector, and(), k),
      fullTextSearch: (query, _filter, k) => index.fullTextSearch(query, and(), k),
    };
    const service = new SearchService({
      index: leaky,
      embedder,
      log: silent,
      onIntegrityError: (n) => dropped.push(n),
    });
    const result = await service.search(ctx, { query: 'tea', limit: 20, mode: 'fulltext', explain: true });
    expect(uris(result)).toEqual([
      'viking://agent/bot/skills/brew/SKILL.md',
      'viking://resources/guides/tea.md',
      'viking://user/alice/memories/tea.md',
    ]);
    expect(result.explain?.dropped).toBe(2); // bob's memory and the other account's guide
    expect(dropped).toEqual([1, 1]);
    expect(service.integrityErrors).toBe(2); // the count ROOT's system status reports
    expect(result.explain?.filter).toContain("account_id = 'acme'");
  });

  test('explain reports the vector plan with its matching count', async () => {
    const { service } = await serviceWith(corpus);
    const result = await service.search(ctx, { query: 'tea', limit: 2, mode: 'vector', explain: true });
    expect(result.explain?.plan).toMatchObject({ name: 'scan', matching: 3 });
    expect(result.explain?.mode).toBe('vector');
  });
});

test('a record returned twice by one retrieval path counts once, with one reason per path', async () => {
  const row: IndexHit = {
    id: 'r1',
    account_id: 'acme',
    uri: 'viking://resources/a.md',
    scope: 'resources',
    owner_user_id: null,
    owner_agent_id: null,
    context_type: 'resource',
    level: 2,
    chunk_index: 0,
    abstract: 'a',
    session_id: null,
    message_id: null,
    role: null,
    role_id: null,
    created_at: 1,
    updated_at: 1,
  };
  const plan = { name: 'memory', matching: 2, stages_ms: {} } as const;
  const index: SearchIndex = {
    vectorSearch: () =>
      Promise.resolve({
        rows: [
          { ...row, _distance: 0.1 },
          { ...row, _distance: 0.1 },
        ],
        plan,
      }),
    fullTextSearch: () =>
      Promise.resolve([
        { ...row, _score: 2 },
        { ...row, _score: 2 },
      ]),
  };
  const service = new SearchService({ index, embedder: createBuiltinEmbedder(), log: logger });
  const result = await service.search(ctx, { query: 'a', limit: 5, mode: 'hybrid' });
  expect(result.resources).toHaveLength(1);
  expect(result.resources[0]?.match_reason).toBe('vector+fulltext');
  expect(result.resources[0]?.score).toBeLessThanOrEqual(1);
});
