/**
 * Bulk loads (`IndexStore.bulkLoad`): the mirror is set aside and rebuilt from the table afterwards;
 * meanwhile every write is found by LanceDB's exact scan, a record written twice is stored once, and
 * the rebuilt mirror answers exactly what the table holds.
 */
import { fileRecords, type IndexRecord } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import { and, eq, type NamespacePolicy } from '../../src/policy/index.js';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { tempDir } from '../helpers/temp-dir.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const embedder = new HashEmbedder();
const times = { created_at: 1000, updated_at: 2000 };
const ACME = eq('account_id', 'acme');

function records(uri: string, text: string): IndexRecord[] {
  return fileRecords('acme', uri, text, P, times).map((d) => ({ ...d, vector: embedder.vector(d.text) }));
}

function docs(from: number, to: number, word: string): IndexRecord[] {
  return Array.from({ length: to - from }, (_, i) =>
    records(`viking://resources/doc${from + i}.md`, `${word} document ${from + i}`),
  ).flat();
}

const uriOf = (n: number) => `viking://resources/doc${n}.md`;

describe.each([
  ['with the memory mirror', 64 * 2 ** 20],
  ['LanceDB only', 0],
] as const)('bulk load %s', (_mode, memoryBudgetBytes) => {
  let dir: ReturnType<typeof tempDir>;
  let store: IndexStore;

  beforeEach(async () => {
    dir = tempDir('vs-bulk-');
    store = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes });
    await store.whenLoaded();
  });

  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  async function nearestUris(text: string, k = 5): Promise<{ uris: string[]; plan: string }> {
    const { rows, plan } = await store.vectorSearch(embedder.vector(text), ACME, k);
    return { uris: rows.map((r) => r.uri), plan: plan.name };
  }

  test('records written during the load are found while it runs, exactly, and by the mirror after it', async () => {
    await store.upsert(docs(0, 5, 'before'));
    const during = await store.bulkLoad(async () => {
      await store.upsert(docs(5, 30, 'bulk'));
      await store.upsert(docs(30, 60, 'bulk'));
      expect(store.memoryStatus()['state']).toBe(memoryBudgetBytes > 0 ? 'deferred' : 'off');
      return nearestUris('bulk document 42');
    });
    expect(during.plan).toBe('lance-exact');
    expect(during.uris).toContain(uriOf(42));
    await store.whenLoaded();
    const after = await nearestUris('bulk document 42');
    expect(after.plan).toBe(memoryBudgetBytes > 0 ? 'memory' : 'lance-exact');
    expect(after.uris).toEqual(during.uris);
    expect(await store.countRows(ACME)).toBe(60);
    expect(store.memoryStatus()['state']).toBe(memoryBudgetBytes > 0 ? 'ready' : 'off');
  });

  test('a record written twice during the load, or already in the table, is stored once, last write winning', async () => {
    await store.upsert(docs(0, 3, 'old'));
    await store.bulkLoad(async () => {
      await store.upsert(docs(0, 10, 'first'));
      await store.upsert(docs(5, 10, 'second'));
      await store.upsert(records(uriOf(7), 'third seventh'));
    });
    await store.whenLoaded();
    expect(await store.countRows(ACME)).toBe(10);
    expect((await store.scan(ACME)).length).toBe(10);
    for (const n of [0, 5, 7]) {
      expect(await store.countRows(and(ACME, eq('uri', uriOf(n))))).toBe(1);
    }
    const texts = await store.scan(ACME);
    const textOf = (n: number) => texts.find((r) => r.uri === uriOf(n))?.text;
    expect(textOf(0)).toBe('first document 0');
    expect(textOf(6)).toBe('second document 6');
    expect(textOf(7)).toBe('third seventh');
    expect((await store.fullTextSearch('old', ACME, 10)).length).toBe(0);
  });

  test('into an empty table (every record appended), a record written twice is stored once', async () => {
    await store.bulkLoad(async () => {
      await store.upsert(docs(0, 8, 'first'));
      await store.upsert(docs(4, 8, 'second'));
    });
    await store.whenLoaded();
    // Rows as the table holds them (the rebuilt mirror would hide a duplicate id).
    const rows = await store.scan(ACME);
    expect(rows.length).toBe(8);
    expect(rows.filter((r) => r.text.startsWith('second')).length).toBe(4);
  });

  test('deletes during the load are honoured, and a deleted record written again is stored once', async () => {
    await store.upsert(docs(0, 4, 'kept'));
    await store.bulkLoad(async () => {
      await store.upsert(docs(4, 8, 'bulk'));
      await store.deleteWhere(eq('uri', uriOf(2)));
      await store.deleteWhere(eq('uri', uriOf(5)));
      await store.upsert(records(uriOf(5), 'back again'));
    });
    await store.whenLoaded();
    const uris = (await store.scan(ACME)).map((r) => r.uri).sort();
    expect(uris).toEqual([0, 1, 3, 4, 5, 6, 7].map(uriOf).sort());
    expect((await nearestUris('back again', 1)).uris).toEqual([uriOf(5)]);
  });

  test('a load that fails part-way keeps what it wrote and the mirror is rebuilt anyway', async () => {
    await expect(
      store.bulkLoad(async () => {
        await store.upsert(docs(0, 6, 'partial'));
        throw new Error('source broke');
      }),
    ).rejects.toThrow('source broke');
    await store.whenLoaded();
    expect(await store.countRows(ACME)).toBe(6);
    expect(store.memoryStatus()['state']).toBe(memoryBudgetBytes > 0 ? 'ready' : 'off');
    // Writes after the load go the usual way again (no bulk bookkeeping left behind).
    await store.upsert(docs(0, 2, 'rewritten'));
    expect(await store.countRows(ACME)).toBe(6);
  });

  test('a second bulk load while one runs is refused', async () => {
    await store.bulkLoad(async () => {
      await expect(store.bulkLoad(() => Promise.resolve())).rejects.toThrow('already running');
    });
  });
});
