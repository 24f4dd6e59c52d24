/**
 * Every `SearchIndex` passes the shared cases (test/helpers/search-index-cases.ts): the reference
 * scan, the index store answering from its in-memory mirror, and the index store on LanceDB alone
 * (SEARCH_MEMORY_MB=0: the exact prefiltered scan and LanceDB's full-text path). A new implementation
 * is one more line below.
 */
import { IndexStore } from '../../src/index/store.js';
import { logger } from '../../src/log.js';
import { ScanIndex } from '../../src/search/scan-index.js';
import { runSearchIndexCases, type IndexUnderTest } from '../helpers/search-index-cases.js';
import { tempDir } from '../helpers/temp-dir.js';

const silent = logger.child({}, { level: 'silent' });

function scan(): Promise<IndexUnderTest> {
  const index = new ScanIndex();
  return Promise.resolve({
    index,
    upsert: (records) => Promise.resolve(index.put(records)),
    deleteWhere: (filter) => Promise.resolve(index.deleteWhere(filter)),
    close: () => Promise.resolve(),
  });
}

/** An index store in a temporary folder; `memoryBudgetBytes` 0 is LanceDB alone. */
async function store(dimension: number, memoryBudgetBytes: number): Promise<IndexUnderTest> {
  const dir = tempDir('vs-sicases-');
  const index = await IndexStore.open({
    uri: dir.path,
    embedder: { id: 'test:cases', dimension },
    memoryBudgetBytes,
    log: silent,
  });
  await index.whenLoaded();
  return {
    index,
    upsert: (records) => index.upsert(records),
    deleteWhere: (filter) => index.deleteWhere(filter),
    close: async () => {
      await index.close();
      dir.remove();
    },
  };
}

runSearchIndexCases({ name: 'ScanIndex (the reference)', plan: 'scan', newIndex: scan });
runSearchIndexCases({
  name: 'IndexStore, in-memory mirror',
  plan: 'memory',
  newIndex: (d) => store(d, 2 ** 24),
});
runSearchIndexCases({ name: 'IndexStore, LanceDB exact', plan: 'lance-exact', newIndex: (d) => store(d, 0) });
