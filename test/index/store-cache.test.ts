/**
 * The in-memory mirror is a cache of the records table, never its judge (issue 22): a failed or
 * partial write leaves table and mirror agreeing, the table alone decides what it holds (no duplicate
 * on a retry, deletes always reach it), and the mirror loads while writes go on, then catches up.
 */
import { jest } from '@jest/globals';
import type { Table } from '@lancedb/lancedb';
import { NativeWrites } from '../../src/index/lance-ipc.js';
import { Mirror } from '../../src/index/mirror.js';
import { fileRecords, type IndexRecord } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import { and, eq, subtree, type Expr, type NamespacePolicy } from '../../src/policy/index.js';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { tempDir } from '../helpers/temp-dir.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const embedder = new HashEmbedder();
const BUDGET = 64 * 2 ** 20;
const ACME = eq('account_id', 'acme');
const A_URI = 'viking://resources/a.md';
const B_URI = 'viking://resources/secret/plan.md';

function records(uri: string, text: string, updated_at = 2000): IndexRecord[] {
  return fileRecords('acme', uri, text, P, { created_at: 1000, updated_at }).map((d) => ({
    ...d,
    vector: embedder.vector(d.text),
  }));
}

const A = records(A_URI, 'alpha first draft');
const A2 = records(A_URI, 'alpha second draft', 3000);
const B = records(B_URI, 'bravo secret plan');

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
}

// The store's merges reach LanceDB's native merge through lance-ipc.ts: failures are injected there.
type MergeById = NativeWrites['mergeById'];
// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the writes as `this`
const realMerge: MergeById = NativeWrites.prototype.mergeById;

/** The next merge fails before it commits. */
function failNextMerge(): void {
  jest.spyOn(NativeWrites.prototype, 'mergeById').mockImplementationOnce(() => Promise.reject(enospc()));
}

/** The next merge commits, then reports a failure (an ambiguous error). */
function failAfterNextMerge(): void {
  jest.spyOn(NativeWrites.prototype, 'mergeById').mockImplementationOnce(async function (
    this: NativeWrites,
    ...args: Parameters<MergeById>
  ) {
    await realMerge.apply(this, args);
    throw enospc();
  });
}

/** `id → abstract` of the rows matching `filter`, as one plan finds them (`baseline`: LanceDB's). */
async function found(
  store: IndexStore,
  filter: Expr,
  plan: 'auto' | 'baseline',
): Promise<Map<string, string>> {
  const { rows } = await store.vectorSearch(embedder.vector('alpha bravo'), filter, 100, plan);
  return new Map(rows.map((r) => [r.id, r.abstract]));
}

/** The table's rows of a URI (LanceDB's scan, whatever the mirror holds). */
async function tableRows(store: IndexStore, uri: string) {
  return store.scan(and(ACME, eq('uri', uri)));
}

describe('the mirror never steers the table', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: IndexStore;
  const open = async (memoryBudgetBytes = BUDGET) => {
    const s = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes });
    await s.whenLoaded();
    return s;
  };

  beforeEach(async () => {
    dir = tempDir('vs-store-cache-');
    store = await open();
    await store.upsert(A);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await store.close();
    dir.remove();
  });

  test('a write failing before its merge commits leaves table and mirror agreeing, and a retry stores B once', async () => {
    failNextMerge();
    await expect(store.upsert([...A2, ...B])).rejects.toThrow('ENOSPC');
    expect(store.memoryStatus()).toMatchObject({ state: 'ready' });
    const memory = await found(store, ACME, 'auto');
    expect(memory).toEqual(await found(store, ACME, 'baseline'));
    // B (an id the table lacked) was appended in a commit of its own; A's merge failed.
    expect([...memory.values()].sort()).toEqual(['alpha first draft', 'bravo secret plan']);

    await store.upsert([...A2, ...B]);
    expect(await tableRows(store, B_URI)).toHaveLength(1);
    expect(await tableRows(store, A_URI)).toHaveLength(1);
    expect(await found(store, ACME, 'auto')).toEqual(await found(store, ACME, 'baseline'));
    expect(await store.countRows(ACME)).toBe(2);
    expect(store.memoryStatus()).toMatchObject({ reflects_version: await store.version() });
  });

  test('a write that lands and then reports a failure is patched into the mirror from the table', async () => {
    failAfterNextMerge();
    await expect(store.upsert([...A2, ...B])).rejects.toThrow('ENOSPC');
    const memory = await found(store, ACME, 'auto');
    expect(memory).toEqual(await found(store, ACME, 'baseline'));
    expect([...memory.values()].sort()).toEqual(['alpha second draft', 'bravo secret plan']);
    expect((await store.fullTextSearch('bravo', ACME, 10)).map((r) => r.uri)).toEqual([B_URI]);
    expect(store.memoryStatus()).toMatchObject({ reflects_version: await store.version() });
  });

  test('a delete reaches LanceDB whatever the mirror holds: the deleted text stays gone after a restart', async () => {
    failAfterNextMerge();
    await expect(store.upsert([...A2, ...B])).rejects.toThrow('ENOSPC');
    // Whatever the failed write left in the table, the delete must reach it.
    await store.deleteWhere(and(ACME, subtree('viking://resources/secret')));
    await store.close();
    for (const budget of [0, BUDGET]) {
      store = await open(budget);
      expect(await tableRows(store, B_URI)).toEqual([]);
      expect([...(await found(store, ACME, 'auto')).values()]).toEqual(['alpha second draft']);
      expect(await store.fullTextSearch('bravo', ACME, 10)).toEqual([]);
      await store.close();
    }
    store = await open();
  });

  test('a delete whose commit lands and then reports a failure leaves the mirror agreeing', async () => {
    await store.upsert(B);
    const table = (store as unknown as { table: Table }).table;
    const realDelete = table.delete.bind(table);
    jest.spyOn(table, 'delete').mockImplementationOnce(async (predicate) => {
      await realDelete(predicate);
      throw enospc();
    });
    await expect(store.deleteWhere(and(ACME, subtree('viking://resources/secret')))).rejects.toThrow(
      'ENOSPC',
    );
    expect(await found(store, ACME, 'auto')).toEqual(await found(store, ACME, 'baseline'));
    expect(await store.fullTextSearch('bravo', ACME, 10)).toEqual([]);
  });
});

describe('loading the mirror does not hold writes', () => {
  let dir: ReturnType<typeof tempDir>;

  beforeAll(() => (dir = tempDir('vs-store-load-')));
  afterAll(() => dir.remove());
  afterEach(() => jest.restoreAllMocks());

  test('a write during a paused load is accepted and found at once, and the loaded mirror holds it', async () => {
    const seed = await IndexStore.open({ uri: dir.path, embedder });
    await seed.upsert([...A, ...B]);
    await seed.close();

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the mirror as `this`
    const realLoad = Mirror.prototype.load;
    jest.spyOn(Mirror.prototype, 'load').mockImplementationOnce(async function (this: Mirror, batches) {
      await gate;
      return realLoad.call(this, batches);
    });
    const store = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes: BUDGET });
    try {
      const wrote = store.upsert(A2).then(() => 'written');
      const deleted = store
        .deleteWhere(and(ACME, subtree('viking://resources/secret')))
        .then(() => 'deleted');
      const C = records('viking://resources/c.md', 'charlie new file');
      const added = store.upsert(C).then(() => 'added');
      // With the load holding writes these never settle while the gate is shut.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('blocked'), 10_000)));
      const settled = await Promise.race([Promise.all([wrote, deleted, added]), timeout]);
      clearTimeout(timer);
      expect(settled).toEqual(['written', 'deleted', 'added']);
      expect(store.memoryStatus()).toMatchObject({ state: 'loading', reflects_version: null });
      const during = await store.vectorSearch(embedder.vector('alpha'), ACME, 10);
      expect(during.plan.name).toBe('lance-exact');
      expect(new Set(during.rows.map((r) => r.abstract))).toEqual(
        new Set(['alpha second draft', 'charlie new file']),
      );

      release();
      await store.whenLoaded();
      expect(store.memoryStatus()).toMatchObject({
        state: 'ready',
        records: 2,
        reflects_version: await store.version(),
      });
      const after = await store.vectorSearch(embedder.vector('alpha'), ACME, 10);
      expect(after.plan.name).toBe('memory');
      expect(new Map(after.rows.map((r) => [r.id, r.abstract]))).toEqual(
        await found(store, ACME, 'baseline'),
      );
      expect((await store.fullTextSearch('charlie', ACME, 10)).map((r) => r.uri)).toEqual([
        'viking://resources/c.md',
      ]);
      expect(await store.fullTextSearch('bravo', ACME, 10)).toEqual([]);
    } finally {
      release();
      await store.close();
    }
  });
});
