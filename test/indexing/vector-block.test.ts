/**
 * Issue 23 item 5: the indexer's vectors for one write are one block, freed as soon as the store
 * holds its own copies (before LanceDB's commit), and what is stored is whole.
 */
import { IndexStore } from '../../src/index/store.js';
import type { UpsertHooks } from '../../src/index/record-index.js';
import { IndexSync } from '../../src/indexing/sync.js';
import type { IndexRecord } from '../../src/indexing/records.js';
import { logger } from '../../src/log.js';
import { canonicalUri, eq } from '../../src/policy/index.js';
import { LocalFileStorage } from '../../src/storage/local-files.js';
import { FALSE_FALSE } from '../helpers/index-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { HashEmbedder } from '../helpers/test-embedder.js';

test('a file of many chunks: its vectors are freed when the store has copied them, and stored whole', async () => {
  const files = tempDir('vs-block-files-');
  const index = tempDir('vs-block-index-');
  const embedder = new HashEmbedder();
  const store = await IndexStore.open({ uri: index.path, embedder, memoryBudgetBytes: 64 * 2 ** 20 });
  try {
    const storage = new LocalFileStorage(files.path);
    await storage.createRoot('acme');
    const uri = canonicalUri('viking://resources/long.md');
    const text = Array.from({ length: 60 }, (_, i) => `paragraph ${i} about topic ${i % 7}. `.repeat(8)).join(
      '\n',
    );
    await storage.write('acme', uri, Buffer.from(text), { mode: 'replace', maxBytes: 1 << 20 });
    const seen: Array<{ records: readonly IndexRecord[]; before: number; after: number }> = [];
    // The store as the indexer sees it, with a look at each upsert's records around `copied`.
    const watched = new Proxy(store, {
      get(target, key, receiver) {
        if (key !== 'upsert') return Reflect.get(target, key, receiver) as unknown;
        return async (
          records: readonly IndexRecord[],
          readSince?: number,
          epochs?: never,
          hooks?: UpsertHooks,
        ) => {
          const entry = { records, before: records[0]?.vector.length ?? -1, after: -1 };
          seen.push(entry);
          await target.upsert(records, readSince, epochs, {
            copied: () => {
              hooks?.copied?.();
              entry.after = records[0]?.vector.length ?? -1;
            },
          });
        };
      },
    });
    const sync = new IndexSync({
      files: storage,
      store: watched,
      embedder,
      policyOf: () => Promise.resolve(FALSE_FALSE),
      messages: { message: () => Promise.resolve(null), messagesIn: () => [] },
      log: logger,
      embedBatch: 8,
    });
    await sync.apply([{ type: 'file', account: 'acme', uri }]);
    expect(seen).toHaveLength(1);
    const [{ records, before, after }] = seen as [(typeof seen)[number]];
    expect(records.length).toBeGreaterThan(10);
    // Before `copied` each vector is a view of the block; after it the block is freed (views read empty).
    expect([before, after]).toEqual([embedder.dimension, 0]);
    const stored = await store.scan(eq('uri', uri));
    expect(stored).toHaveLength(records.length);
    for (const r of stored) {
      const { rows } = await store.vectorSearch(embedder.vector(r.text), eq('account_id', 'acme'), 1);
      expect(rows[0]?._distance ?? 1).toBeCloseTo(0, 5);
      expect(rows[0]?.uri).toBe(uri);
    }
  } finally {
    await store.close();
    files.remove();
    index.remove();
  }
});
