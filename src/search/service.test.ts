import { createBuiltinEmbedder } from '../index/embedders/builtin.js';
import { logger } from '../log.js';
import { DEFAULT_POLICY, type RequestContext } from '../policy/index.js';
import { SearchService, type IndexHit, type SearchIndex } from './service.js';

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
