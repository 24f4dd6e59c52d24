/**
 * `limit` distinct URIs whenever that many match (issue 22, defect 5): one 60,000-character file
 * whose ~75 chunks all match better than 20 small matching files must not crowd them out — in every
 * mode, with the in-memory mirror and with LanceDB alone. And the score threshold still bounds the
 * answer without fetching the whole account.
 */
import { fileRecords, type IndexRecord } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import { logger } from '../../src/log.js';
import { DEFAULT_POLICY, type RequestContext } from '../../src/policy/index.js';
import { SearchService, type SearchResult } from '../../src/search/service.js';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { tempDir } from '../helpers/temp-dir.js';

const embedder = new HashEmbedder(32);
const times = { created_at: 1000, updated_at: 2000 };
const ctx: RequestContext = {
  role: 'user',
  policy: DEFAULT_POLICY,
  effective: { account_id: 'acme', user_id: 'alice', agent_id: 'bot' },
};
const BIG = 'viking://resources/big.md';

/** In `account`: a file of `chars` characters of the query word, and `small` files mentioning it once. */
function records(account: string, chars: number, small: number): IndexRecord[] {
  const files: Array<[string, string]> = [[BIG, 'zebracorp '.repeat(chars / 10)]];
  for (let i = 0; i < small; i++)
    files.push([`viking://resources/small-${i}.md`, `zebracorp notes number ${i} about lunch and tea`]);
  return files.flatMap(([uri, text]) =>
    fileRecords(account, uri, text, DEFAULT_POLICY, times).map((d) => ({
      ...d,
      vector: embedder.vector(d.text),
    })),
  );
}

const uris = (r: SearchResult) =>
  [...r.memories, ...r.resources, ...r.skills, ...r.sessions].map((h) => h.uri);

describe.each([
  ['with the in-memory mirror', 64 * 2 ** 20],
  ['LanceDB alone (SEARCH_MEMORY_MB=0)', 0],
])('%s', (_name, memoryBudgetBytes) => {
  const dir = tempDir('vs-limit-');
  let store: IndexStore;
  let service: SearchService;
  /** The k of every vector query. */
  const asked: number[] = [];

  beforeAll(async () => {
    store = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes });
    await store.whenLoaded();
    const all = records('acme', 60_000, 20);
    expect(all.filter((r) => r.uri === BIG).length).toBeGreaterThanOrEqual(70);
    await store.upsert([...all, ...records('beta', 20_000, 60)]);
    const index = {
      vectorSearch: (...args: Parameters<IndexStore['vectorSearch']>) => {
        asked.push(args[2]);
        return store.vectorSearch(...args);
      },
      fullTextSearch: store.fullTextSearch.bind(store),
    };
    service = new SearchService({ index, embedder, log: logger.child({}, { level: 'silent' }) });
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  test.each(['vector', 'fulltext', 'hybrid'] as const)(
    'limit 10 gives 10 distinct URIs (%s)',
    async (mode) => {
      const result = await service.search(ctx, { query: 'zebracorp', limit: 10, mode });
      expect(result.total).toBe(10);
      const found = uris(result);
      expect(new Set(found).size).toBe(10);
      expect(found).toContain(BIG);
    },
  );

  test.each(['vector', 'fulltext', 'hybrid'] as const)(
    'limit 30 gives all 21 matching URIs (%s)',
    async (mode) => {
      const result = await service.search(ctx, { query: 'zebracorp', limit: 30, mode });
      expect(new Set(uris(result)).size).toBe(21);
      expect(result.total).toBe(21);
    },
  );

  test('a score threshold only the big file passes gives that one hit', async () => {
    const result = await service.search(ctx, {
      query: 'zebracorp',
      limit: 10,
      mode: 'vector',
      score_threshold: 0.99,
    });
    expect(uris(result)).toEqual([BIG]);
  });

  test('no deeper fetch once the records fetched fall below the threshold', async () => {
    // 25 chunks of the big file pass, the small files do not: the first 40 records end below it.
    const beta = { ...ctx, effective: { ...ctx.effective, account_id: 'beta' } };
    asked.length = 0;
    const query = { query: 'zebracorp', limit: 10, mode: 'vector' as const };
    expect(uris(await service.search(beta, { ...query, score_threshold: 0.99 }))).toEqual([BIG]);
    expect(asked).toEqual([40]);
    asked.length = 0;
    expect((await service.search(beta, query)).total).toBe(10);
    expect(asked).toEqual([40]);
  });
});
