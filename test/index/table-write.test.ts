/**
 * Single writes on a large table (issue 22, the regression of defect 1's fix): ids the table lacks are
 * appended (no merge, whose join grows with the table), ids it holds are merged — never two rows for
 * one id, whatever a hint (the mirror) or a bulk load believes, and the table's own answer alone leads
 * to an append.
 */
import { jest } from '@jest/globals';
import * as lancedb from '@lancedb/lancedb';
import { recordSchema } from '../../src/index/arrow.js';
import { BulkIds } from '../../src/index/bulk-ids.js';
import { IndexStore, TABLE_NAME } from '../../src/index/store.js';
import { recordSink, writeRecords, type WriteOptions } from '../../src/index/table-write.js';
import { fileRecords, type IndexRecord } from '../../src/indexing/records.js';
import { eq, type NamespacePolicy } from '../../src/policy/index.js';
import { releaseBuffer } from '../../src/release-buffer.js';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { tempDir } from '../helpers/temp-dir.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const embedder = new HashEmbedder();
const schema = recordSchema(embedder.id, embedder.dimension);

function record(uri: string, text: string): IndexRecord {
  const [draft] = fileRecords('acme', uri, text, P, { created_at: 1000, updated_at: 2000 });
  return { ...draft!, vector: embedder.vector(text) };
}

/** A record with a chosen id (quotes included: the id reaches the filter through quoteString). */
function withId(id: string, text: string): IndexRecord {
  return { ...record(`viking://resources/${encodeURIComponent(id)}.md`, text), id };
}

describe('writeRecords', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: lancedb.Connection;
  let table: lancedb.Table;
  const write = (records: IndexRecord[], options: Partial<WriteOptions> = {}) =>
    writeRecords(table, records, recordSink(table, schema, embedder.dimension), {
      bulk: null,
      path: 'split',
      ...options,
    });
  /** `id → abstract` of every row, and the number of rows (one per id when they agree). */
  const rows = async () => {
    const all = (await table.query().select(['id', 'abstract']).toArray()) as Array<{
      id: string;
      abstract: string;
    }>;
    return { count: all.length, byId: Object.fromEntries(all.map((r) => [r.id, r.abstract])) };
  };

  beforeEach(async () => {
    dir = tempDir('vs-table-write-');
    db = await lancedb.connect(dir.path);
    table = await db.createEmptyTable(TABLE_NAME, schema);
    await table.createIndex('id', { config: lancedb.Index.btree() });
  });

  afterEach(() => {
    table.close();
    db.close();
    dir.remove();
  });

  test('appends ids the table lacks and merges ids it holds: one row per id, the last text wins', async () => {
    expect(await write([withId('a', 'alpha one'), withId("it's", 'quote one')])).toEqual({
      appended: 2,
      merged: 0,
    });
    expect(
      await write([withId('a', 'alpha two'), withId('c', 'charlie'), withId("it's", 'quote two')]),
    ).toEqual({
      appended: 1,
      merged: 2,
    });
    expect(await rows()).toEqual({
      count: 3,
      byId: { a: 'alpha two', c: 'charlie', "it's": 'quote two' },
    });
  });

  test('a hint that misses a held id (a mirror behind the table) still merges it: no duplicate', async () => {
    await write([withId('a', 'alpha one')]);
    expect(await write([withId('a', 'alpha two')], { likelyHeld: () => false })).toEqual({
      appended: 0,
      merged: 1,
    });
    expect(await rows()).toEqual({ count: 1, byId: { a: 'alpha two' } });
  });

  test('a hint that claims an absent id only costs a merge: the record is stored', async () => {
    expect(await write([withId('b', 'bravo')], { likelyHeld: () => true })).toEqual({
      appended: 0,
      merged: 1,
    });
    expect(await rows()).toEqual({ count: 1, byId: { b: 'bravo' } });
  });

  test('a bulk load appends the ids the table lacked when it began and asks the table about the rest', async () => {
    await write([withId('a', 'alpha one')]);
    const bulk = await BulkIds.of(table);
    const counts = await write([withId('a', 'alpha two'), withId('b', 'bravo')], { bulk });
    expect(counts).toEqual({ appended: 1, merged: 1 });
    // Written by this load already: asked, found, merged.
    expect(await write([withId('b', 'bravo two')], { bulk })).toEqual({ appended: 0, merged: 1 });
    expect(await rows()).toEqual({ count: 2, byId: { a: 'alpha two', b: 'bravo two' } });
  });

  test('a batch of more ids than one query holds is asked in several queries, each id once', async () => {
    const many = Array.from({ length: 1_201 }, (_, i) => withId(`id-${i}`, `text ${i}`));
    expect(await write(many.slice(0, 1_200))).toEqual({ appended: 1_200, merged: 0 });
    expect(await write(many)).toEqual({ appended: 1, merged: 1_200 });
    expect((await rows()).count).toBe(1_201);
  });

  test("the old path ('merge') merges every record, new or not", async () => {
    await write([withId('a', 'alpha one')]);
    expect(await write([withId('a', 'alpha two'), withId('b', 'bravo')], { path: 'merge' })).toEqual({
      appended: 0,
      merged: 2,
    });
    expect((await rows()).count).toBe(2);
  });
});

describe('IndexStore single writes', () => {
  test.each([0, 64 * 2 ** 20])(
    'with a mirror budget of %d bytes: a new record is appended, a rewrite replaces its row',
    async (memoryBudgetBytes) => {
      const dir = tempDir('vs-store-writes-');
      const store = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes });
      try {
        await store.whenLoaded();
        // The native table's merge: the store's writes reach it past LanceDB's public API (lance-ipc.ts).
        const table = (store as unknown as { table: { inner: lancedb.Table } }).table.inner;
        const merges = jest.spyOn(table, 'mergeInsert');
        const a = record('viking://resources/a.md', 'alpha one');
        await store.upsert([a]);
        await store.upsert([record('viking://resources/b.md', 'bravo')]);
        expect(merges).not.toHaveBeenCalled();
        await store.upsert([record('viking://resources/a.md', 'alpha two')]);
        expect(merges).toHaveBeenCalledTimes(1);
        const stored = await store.scan(eq('account_id', 'acme'));
        expect(stored.map((r) => [r.id, r.abstract]).sort()).toEqual(
          [
            [a.id, 'alpha two'],
            [record('viking://resources/b.md', 'bravo').id, 'bravo'],
          ].sort(),
        );
      } finally {
        jest.restoreAllMocks();
        await store.close();
        dir.remove();
      }
    },
  );
});

describe('a write is done with its records before its first commit (issue 23 item 5)', () => {
  test('both files are built, then `built` runs, then the append and the merge commit', async () => {
    const dir = tempDir('vs-table-write-order-');
    const db = await lancedb.connect(dir.path);
    const table = await db.createEmptyTable(TABLE_NAME, schema);
    try {
      const sink = recordSink(table, schema, embedder.dimension);
      await writeRecords(table, [withId('a', 'alpha one')], sink, { bulk: null, path: 'split' });
      const steps: string[] = [];
      const logged: typeof sink = {
        file: (records) => (steps.push(`file ${records.map((r) => r.id).join()}`), sink.file(records)),
        append: (file) => (steps.push('append'), sink.append(file)),
        mergeById: (file) => (steps.push('merge'), sink.mergeById(file)),
      };
      const built = () => Promise.resolve(void steps.push('built'));
      const batch = [withId('a', 'alpha two'), withId('b', 'bravo')];
      expect(await writeRecords(table, batch, logged, { bulk: null, path: 'split', built })).toEqual({
        appended: 1,
        merged: 1,
      });
      expect(steps).toEqual(['file b', 'file a', 'built', 'append', 'merge']);
    } finally {
      table.close();
      db.close();
      dir.remove();
    }
  });

  test.each([0, 64 * 2 ** 20])(
    'mirror budget %d: vectors freed when `copied` runs are stored whole, in the table and the mirror',
    async (memoryBudgetBytes) => {
      const dir = tempDir('vs-store-copied-');
      const store = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes });
      try {
        await store.whenLoaded();
        await store.upsert([record('viking://resources/a.md', 'alpha one')]);
        // A rewrite of a (merged) and a new b (appended), their vectors in one block as IndexSync has them.
        const fresh = [
          record('viking://resources/a.md', 'alpha two'),
          record('viking://resources/b.md', 'bravo'),
        ];
        const block = new Float32Array(fresh.length * embedder.dimension);
        const batch = fresh.map((r, i) => {
          const vector = block.subarray(i * embedder.dimension, (i + 1) * embedder.dimension);
          vector.set(r.vector);
          return { ...r, vector };
        });
        let copied = 0;
        await store.upsert(batch, undefined, undefined, {
          copied: () => {
            copied++;
            expect(releaseBuffer(block)).toBe(true);
          },
        });
        expect(copied).toBe(1);
        expect(batch[0]!.vector.length).toBe(0);
        for (const r of fresh) {
          for (const requested of ['auto', 'baseline'] as const) {
            const { rows } = await store.vectorSearch(r.vector, eq('account_id', 'acme'), 1, requested);
            expect([rows[0]?.id, rows[0]?._distance ?? 1]).toEqual([r.id, expect.closeTo(0, 5)]);
          }
        }
        expect(await store.countRows()).toBe(2);
      } finally {
        await store.close();
        dir.remove();
      }
    },
  );
});
