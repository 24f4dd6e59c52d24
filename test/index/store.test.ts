/** The LanceDB index store against a real temporary database. */
import { AppError } from '../../src/errors.js';
import { fileRecords, messageRecords, type IndexRecord } from '../../src/indexing/records.js';
import { IndexStore } from '../../src/index/store.js';
import { and, eq, subtree, visibilityExpr, type NamespacePolicy } from '../../src/policy/index.js';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { tempDir } from '../helpers/temp-dir.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const embedder = new HashEmbedder();
const times = { created_at: 1000, updated_at: 2000 };

function records(account: string, uri: string, text: string): IndexRecord[] {
  return fileRecords(account, uri, text, P, times).map((d) => ({ ...d, vector: embedder.vector(d.text) }));
}

/** Every test runs with LanceDB alone and with the in-memory mirror (the two vector plans). */
const MODES = [
  ['LanceDB only', 0],
  ['with the memory mirror', 64 * 2 ** 20],
] as const;

describe.each(MODES)('%s', (_mode, memoryBudgetBytes) => {
  let dir: ReturnType<typeof tempDir>;
  let store: IndexStore;
  const open = async (options: Omit<Parameters<typeof IndexStore.open>[0], 'memoryBudgetBytes'>) => {
    const s = await IndexStore.open({ ...options, memoryBudgetBytes });
    await s.whenLoaded();
    return s;
  };
  const plan = memoryBudgetBytes > 0 ? 'memory' : 'lance-exact';

  beforeAll(async () => {
    dir = tempDir('vs-store-');
    store = await open({ uri: dir.path, embedder });
    await store.upsert([
      ...records('acme', 'viking://resources/a.md', 'the zanzibarite protocol is rare'),
      ...records('acme', 'viking://user/alice/notes.md', 'alice writes about zanzibarite too'),
      ...records('acme', 'viking://user/bob/notes.md', 'bob zanzibarite secret'),
      ...records('other', 'viking://resources/a.md', 'zanzibarite in another account'),
      ...messageRecords(
        'acme',
        's1',
        'msg_1',
        { role: 'user', role_id: 'alice', text: 'hello', created_at: 5 },
        P,
      ).map((d) => ({ ...d, vector: embedder.vector(d.text) })),
    ]);
  });

  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  test('records round-trip with every field', async () => {
    const rows = await store.fullTextSearch('hello', eq('account_id', 'acme'), 10);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      uri: 'viking://session/s1/messages/msg_1',
      session_id: 's1',
      message_id: 'msg_1',
      role: 'user',
      role_id: 'alice',
      owner_user_id: null,
      created_at: 5,
      level: 2,
      chunk_index: 0,
    });
    expect(typeof rows[0]?._score).toBe('number');
  });

  test('upsert replaces by id', async () => {
    await store.upsert(records('acme', 'viking://resources/a.md', 'replaced content'));
    expect(await store.countRows(and(eq('account_id', 'acme'), eq('uri', 'viking://resources/a.md')))).toBe(
      1,
    );
    const rows = await store.fullTextSearch('replaced', eq('account_id', 'acme'), 10);
    expect(rows.map((r) => r.uri)).toEqual(['viking://resources/a.md']);
    await store.upsert(records('acme', 'viking://resources/a.md', 'the zanzibarite protocol is rare'));
  });

  test('full-text search finds a rare token inside the filter and nothing outside it', async () => {
    const alice = { account_id: 'acme', user_id: 'alice', agent_id: 'bot' };
    const where = visibilityExpr({ effective: alice, role: 'user', policy: P });
    const hits = await store.fullTextSearch('zanzibarite', where, 10);
    expect(hits.map((h) => h.uri).sort()).toEqual([
      'viking://resources/a.md',
      'viking://user/alice/notes.md',
    ]);
    expect(hits.every((h) => h.account_id === 'acme')).toBe(true);
    const none = await store.fullTextSearch('zanzibarite', eq('account_id', 'nobody'), 10);
    expect(none).toEqual([]);
  });

  test('newly appended rows are searchable by full text at once', async () => {
    await store.upsert(records('acme', 'viking://resources/new.md', 'quixotically fresh token'));
    const hits = await store.fullTextSearch('quixotically', eq('account_id', 'acme'), 10);
    expect(hits.map((h) => h.uri)).toEqual(['viking://resources/new.md']);
  });

  test('a write LanceDB refuses leaves nothing behind, in the table or in the mirror', async () => {
    const before = await store.countRows();
    const good = records('acme', 'viking://resources/refused.md', 'unacceptably fresh words');
    const bad = records('acme', 'viking://resources/bad.md', 'bad').map((r) => ({
      ...r,
      vector: new Float32Array(3),
    }));
    await expect(store.upsert([...good, ...bad])).rejects.toThrow();
    expect(await store.countRows()).toBe(before);
    expect(await store.fullTextSearch('unacceptably', eq('account_id', 'acme'), 10)).toEqual([]);
    await store.upsert(good);
    const hits = await store.fullTextSearch('unacceptably', eq('account_id', 'acme'), 10);
    expect(hits.map((h) => h.uri)).toEqual(['viking://resources/refused.md']);
    await store.deleteWhere(and(eq('account_id', 'acme'), eq('uri', 'viking://resources/refused.md')));
  });

  test('a batch larger than what the mirror prepares at a time is found whole', async () => {
    const batch = Array.from({ length: 2_500 }, (_, i) =>
      records('bulk', `viking://resources/b/${i}.md`, `bulk item${i}`),
    ).flat();
    await store.upsert(batch);
    expect(await store.countRows(eq('account_id', 'bulk'))).toBe(2_500);
    const hits = await store.fullTextSearch('item1234', eq('account_id', 'bulk'), 3);
    expect(hits[0]?.uri).toBe('viking://resources/b/1234.md');
    await store.deleteWhere(and(eq('account_id', 'bulk'), subtree('viking://')));
    expect(await store.countRows(eq('account_id', 'bulk'))).toBe(0);
  });

  test('vector search with a where filter never returns rows outside it', async () => {
    const where = and(eq('account_id', 'acme'), subtree('viking://user/bob'));
    const { rows: hits, plan: used } = await store.vectorSearch(
      embedder.vector('zanzibarite protocol'),
      where,
      10,
    );
    expect(used.name).toBe(plan);
    expect(hits.map((h) => h.uri)).toEqual(['viking://user/bob/notes.md']);
    expect(hits[0]).toMatchObject({ abstract: 'bob zanzibarite secret', owner_user_id: 'bob', level: 2 });
    expect(typeof hits[0]?._distance).toBe('number');
  });

  test('deleteWhere removes exactly the matching records', async () => {
    const before = await store.countRows();
    await store.deleteWhere(and(eq('account_id', 'other'), subtree('viking://')));
    expect(await store.countRows(eq('account_id', 'other'))).toBe(0);
    expect(await store.countRows()).toBe(before - 1);
  });

  test('optimize keeps the data and the full-text index usable', async () => {
    await store.optimize();
    const hits = await store.fullTextSearch('quixotically', eq('account_id', 'acme'), 10);
    expect(hits).toHaveLength(1);
  });

  test('the embedder identity is stored with the index and a different embedder is refused', async () => {
    expect(await IndexStore.storedIdentity(dir.path)).toEqual({ id: embedder.id, dimension: 64 });
    const other = new HashEmbedder(32);
    const error: unknown = await IndexStore.open({ uri: dir.path, embedder: other }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('FAILED_PRECONDITION');
    expect((error as AppError).message).toContain('npm run reindex');
    const again = await open({ uri: dir.path, embedder });
    expect(again.embedder).toEqual({ id: embedder.id, dimension: 64 });
    await again.close();
  });

  test('reset rebuilds the table for a new embedder', async () => {
    const d = tempDir('vs-store-reset-');
    const first = await open({ uri: d.path, embedder });
    await first.upsert(records('acme', 'viking://resources/a.md', 'x'));
    await first.close();
    const other = new HashEmbedder(32);
    const second = await open({ uri: d.path, embedder: other, reset: true });
    expect(await second.countRows()).toBe(0);
    expect(await IndexStore.storedIdentity(d.path)).toEqual({ id: other.id, dimension: 32 });
    await second.close();
    d.remove();
  });

  test('filters are prefilters: better matches outside the filter never crowd out the rows inside it', async () => {
    const d = tempDir('vs-store-prefilter-');
    const s = await open({ uri: d.path, embedder });
    const noise = Array.from({ length: 60 }, (_, i) =>
      records('noise', `viking://resources/n${i}.md`, 'platypus platypus platypus platypus'),
    ).flat();
    await s.upsert([
      ...noise,
      ...records('acme', 'viking://resources/mine.md', 'one platypus among many other words here'),
    ]);
    const where = eq('account_id', 'acme');
    expect((await s.fullTextSearch('platypus', where, 1)).map((r) => r.uri)).toEqual([
      'viking://resources/mine.md',
    ]);
    const query = embedder.vector('platypus platypus platypus platypus');
    expect((await s.vectorSearch(query, where, 3)).rows.map((r) => r.uri)).toEqual([
      'viking://resources/mine.md',
    ]);
    await s.close();
    d.remove();
  });

  test('many small writes are compacted periodically', async () => {
    const d = tempDir('vs-store-compact-');
    const s = await open({ uri: d.path, embedder, optimizeEvery: 10 });
    for (let i = 0; i < 29; i++) await s.upsert(records('acme', `viking://resources/f${i}.md`, `file ${i}`));
    await s.settled();
    expect(await s.countRows()).toBe(29);
    expect(await s.fragmentCount()).toBeLessThan(12);
    const hits = await s.fullTextSearch('file', eq('account_id', 'acme'), 100);
    expect(hits).toHaveLength(29);
    await s.close();
    d.remove();
  });
});
