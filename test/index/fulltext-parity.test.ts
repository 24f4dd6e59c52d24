/**
 * Full-text search gives the same answer whichever backend answers — the in-memory index (mirror
 * loaded) or LanceDB's full-text index (SEARCH_MEMORY_MB=0) — on a varied set of words (stems, stop
 * words, accents, `_`, ligatures, fullwidth letters, Turkish İ, Greek sigma, long Cyrillic words,
 * over-long tokens), for rows LanceDB has indexed and rows it has not yet; and a tenant's scores do
 * not move when another account (or another part of the same account) writes the query's words.
 * Also: a table whose full-text index was built with other options is rebuilt at open.
 */
import * as lancedb from '@lancedb/lancedb';
import { recordSchema, toArrowTable } from '../../src/index/arrow.js';
import { FTS_INDEX_NAME } from '../../src/index/fulltext-lance.js';
import { fileRecords, type IndexRecord } from '../../src/indexing/records.js';
import { IndexStore, TABLE_NAME } from '../../src/index/store.js';
import { and, eq, subtree, type Expr, type NamespacePolicy } from '../../src/policy/index.js';
import { HashEmbedder } from '../helpers/test-embedder.js';
import { tempDir } from '../helpers/temp-dir.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const embedder = new HashEmbedder(16);
const times = { created_at: 1000, updated_at: 2000 };
const CYRILLIC = 'Высокопревосходительство';
const LONG = 'x'.repeat(41);

/** Texts by name: each query below must find exactly the names it lists, on both backends. */
const TEXTS: Record<string, string> = {
  run: 'We run every morning.',
  running: 'Running is fun; running daily.',
  the: 'The cat sat on the mat.',
  cafe: 'Le café est fermé.',
  cafe_plain: 'cafe racer',
  ident: 'call foo_bar() here',
  foo: 'foo alone',
  lig: 'the ﬁle was saved',
  file: 'one file, two FILES',
  full: 'ｆｕｌｌ width text',
  ist: 'İstanbul in spring',
  ist2: 'ISTANBUL and istanbul',
  greek: 'ΟΔΟΣ and οδος',
  cyr: `${CYRILLIC} — a long title`,
  long: `token ${LONG} here`,
  decomposed: 'cafe\u0301 au lait',
  cjk: 'OAuth认证相关内容',
  mixed: 'Run the café_file İstanbul race',
};

const QUERIES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['run', ['run', 'mixed']],
  ['running', ['running']],
  ['the', ['the', 'lig', 'mixed']],
  ['café', ['cafe', 'decomposed', 'mixed']],
  ['cafe', ['cafe_plain']],
  ['foo_bar', ['ident', 'foo']],
  ['bar', ['ident']],
  ['file', ['lig', 'file', 'mixed']],
  ['ﬁle', ['lig', 'file', 'mixed']],
  ['files', ['file']],
  ['full', ['full']],
  ['ＦＵＬＬ', ['full']],
  ['istanbul', ['ist', 'ist2', 'mixed']],
  ['İSTANBUL', ['ist', 'ist2', 'mixed']],
  ['οδος', ['greek']],
  ['ΟΔΟΣ', ['greek']],
  [CYRILLIC.toLowerCase(), ['cyr']],
  [LONG, []],
  ['认证', ['cjk']],
  ['race', ['mixed']],
  ['racer', ['cafe_plain']],
  ['morning spring', ['run', 'ist']],
];

function recordsOf(account: string, texts: Record<string, string>, folder = 'resources'): IndexRecord[] {
  return Object.entries(texts).flatMap(([name, text]) =>
    fileRecords(account, `viking://${folder}/${name}.md`, text, P, times).map((d) => ({
      ...d,
      vector: embedder.vector(d.text),
    })),
  );
}

const nameOf = (uri: string): string => uri.replace(/^viking:\/\/[a-z]+\/(?:[a-z]+\/)*(.*)\.md$/, '$1');

describe('the in-memory index and LanceDB answer alike', () => {
  const dir = tempDir('vs-ftparity-');
  let memory: IndexStore;
  let lance: IndexStore;
  const ACME = eq('account_id', 'acme');

  async function both(query: string, filter: Expr = ACME) {
    const [m, l] = await Promise.all([
      memory.fullTextSearch(query, filter, 50),
      lance.fullTextSearch(query, filter, 50),
    ]);
    const view = (rows: typeof m) => rows.map((r) => ({ name: nameOf(r.uri), id: r.id, score: r._score }));
    return { memory: view(m), lance: view(l) };
  }

  beforeAll(async () => {
    memory = await IndexStore.open({ uri: dir.path, embedder, memoryBudgetBytes: 64 * 2 ** 20 });
    await memory.whenLoaded();
    // Half the rows indexed by LanceDB's full-text index, half not yet (searched unindexed).
    const all = recordsOf('acme', TEXTS);
    await memory.upsert(all.slice(0, 9));
    await memory.optimize();
    await memory.upsert(all.slice(9));
    lance = await IndexStore.open({ uri: dir.path, embedder, readConsistencySeconds: 0 });
    expect(memory.memoryStatus()).toMatchObject({ state: 'ready' });
    expect(lance.memoryStatus()).toMatchObject({ state: 'off' });
  });
  afterAll(async () => {
    await lance.close();
    await memory.close();
    dir.remove();
  });

  test.each(QUERIES)('%j finds %j on both backends, with the same order and scores', async (query, want) => {
    const got = await both(query);
    expect(got.memory.map((h) => h.name).sort()).toEqual([...want].sort());
    expect(got.lance).toEqual(got.memory);
  });

  test("a tenant's scores do not move when another account, or another user of it, writes the word", async () => {
    const view = and(ACME, subtree('viking://resources'));
    const queries = ['run', 'the café', 'file', 'istanbul race'];
    const before = await Promise.all(queries.map((q) => both(q, view)));
    for (const r of before) expect(r.lance).toEqual(r.memory);
    const noise = { n1: 'run run the café file', n2: 'istanbul race the the', n3: 'file '.repeat(50) };
    await memory.upsert([...recordsOf('other', noise), ...recordsOf('other', TEXTS)]);
    await memory.upsert(recordsOf('acme', noise, 'user/bob/memories'));
    const after = await Promise.all(queries.map((q) => both(q, view)));
    expect(after).toEqual(before);
    // The other account sees its own records, scored over its own.
    const other = await both('file', eq('account_id', 'other'));
    expect(other.lance).toEqual(other.memory);
    expect(other.memory[0]?.name).toBe('n3');
  });
});

test('a full-text index built with other options (and text stored in an older form) is rebuilt at open', async () => {
  const dir = tempDir('vs-ftmigrate-');
  try {
    const store = await IndexStore.open({ uri: dir.path, embedder });
    await store.close();
    // The table as an older release left it: LanceDB's default tokenizer, raw text with a ligature.
    const db = await lancedb.connect(dir.path);
    const table = await db.openTable(TABLE_NAME);
    await table.dropIndex(FTS_INDEX_NAME);
    await table.createIndex('text', { config: lancedb.Index.fts() });
    const old = recordsOf('acme', { lig: 'the ﬁle İstanbul', plain: 'running file' });
    await table.add(toArrowTable(recordSchema(embedder.id, 16), old, 16));
    expect(await lanceNames(table, 'run')).toEqual(['plain']); // stemmed: not our tokenizer
    table.close();
    db.close();

    const reopened = await IndexStore.open({ uri: dir.path, embedder });
    const names = async (q: string) =>
      (await reopened.fullTextSearch(q, eq('account_id', 'acme'), 10)).map((r) => nameOf(r.uri)).sort();
    expect(await names('file')).toEqual(['lig', 'plain']);
    expect(await names('istanbul')).toEqual(['lig']);
    expect(await names('run')).toEqual([]);
    expect((await reopened.scan(eq('account_id', 'acme'))).map((r) => r.text).sort()).toEqual([
      'running file',
      'the file istanbul',
    ]);
    await reopened.close();
    const again = await lancedb.connect(dir.path);
    const indexes = await (await again.openTable(TABLE_NAME)).listIndices();
    expect(indexes.filter((i) => i.indexType === 'FTS').map((i) => i.name)).toEqual([FTS_INDEX_NAME]);
    again.close();
  } finally {
    dir.remove();
  }
});

async function lanceNames(table: lancedb.Table, query: string): Promise<string[]> {
  const rows: Array<{ uri: string }> = await table
    .query()
    .fullTextSearch(new lancedb.MatchQuery(query, 'text'))
    .select(['uri', '_score'])
    .limit(10)
    .toArray();
  return rows.map((r) => nameOf(r.uri)).sort();
}
