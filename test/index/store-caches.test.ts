/**
 * LanceDB's caches stay within the configured bytes under a steady stream of overwrites, deletes and
 * compactions (each compaction writes new index files; with LanceDB's default caches every old one
 * stays cached), and searches still see the latest data.
 */
import { fileRecords, type IndexRecord } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import { and, eq, type NamespacePolicy } from '../../src/policy/index.js';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { tempDir } from '../helpers/temp-dir.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const embedder = new HashEmbedder();
const MIB = 2 ** 20;

function records(n: number, text: string): IndexRecord[] {
  return fileRecords('acme', `viking://resources/f${n}.md`, text, P, { created_at: 1, updated_at: 2 }).map(
    (d) => ({ ...d, vector: embedder.vector(d.text) }),
  );
}

/** Overwrites a fixed set of files in rounds, compacting and searching after each; the largest cache size seen. */
async function churn(store: IndexStore, rounds: number): Promise<number> {
  let largest = 0;
  for (let round = 0; round < rounds; round++) {
    for (let n = 0; n < 20; n++) {
      await store.deleteWhere(and(eq('account_id', 'acme'), eq('uri', `viking://resources/f${n}.md`)));
      await store.upsert(records(n, `file ${n} round r${round}x${n} words`));
    }
    await store.optimize();
    const hits = await store.fullTextSearch(`r${round}x7`, eq('account_id', 'acme'), 5);
    expect(hits.map((h) => h.uri)).toEqual(['viking://resources/f7.md']);
    largest = Math.max(largest, store.cacheBytes());
  }
  return largest;
}

async function withStore(
  cacheBytes: { index: number; metadata: number } | undefined,
  use: (store: IndexStore) => Promise<void>,
): Promise<void> {
  const dir = tempDir('vs-caches-');
  const store = await IndexStore.open({
    uri: dir.path,
    embedder,
    optimizeEvery: 1_000_000,
    ...(cacheBytes === undefined ? {} : { cacheBytes }),
  });
  try {
    for (let n = 0; n < 200; n += 50)
      await store.upsert(Array.from({ length: 50 }, (_, i) => records(n + i, `file ${n + i} start`)).flat());
    await use(store);
  } finally {
    await store.close();
    dir.remove();
  }
}

test('LanceDB caches stay within their configured bytes while the table churns', async () => {
  await withStore({ index: MIB, metadata: MIB }, async (store) => {
    expect(await churn(store, 4)).toBeLessThanOrEqual(2 * MIB);
    expect(store.memoryStatus()).toMatchObject({ lancedb_cache_mb: expect.any(Number) });
  });
  // The same churn with LanceDB's default sizes keeps more than that: the bound is what holds it.
  await withStore(undefined, async (store) => {
    expect(await churn(store, 4)).toBeGreaterThan(2 * MIB);
  });
}, 120_000);
