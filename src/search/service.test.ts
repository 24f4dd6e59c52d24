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
