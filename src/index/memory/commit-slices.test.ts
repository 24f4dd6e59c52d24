/**
 * Issue 23 item 5: a large file's records are committed to the in-memory index in time slices, and a
 * search between two slices sees the whole old file or the whole new one, never part of each.
 */
import { eq, type NamespacePolicy } from '../../policy/index.js';
import { fileRecords } from '../../indexing/records.js';
import { MemoryIndex, type MemoryRow } from './index.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const URI = 'viking://resources/big.md';
const FILTER = eq('uri', URI);

/** `chunks` records of one file, ids by chunk index (a rewrite keeps them), each with `word` as text. */
function version(chunks: number, word: string) {
  // The draft's own one-word text rides along in the rows, unread (the index keeps texts apart).
  const base = fileRecords('acme', URI, 'x', P, { created_at: 1, updated_at: 2 })[0] as ReturnType<
    typeof fileRecords
  >[0];
  const rows: MemoryRow[] = Array.from({ length: chunks }, (_, i) => ({
    ...base,
    id: `chunk-${i}`,
    chunk_index: i,
  }));
  const vectors = rows.map((_, i) =>
    Float32Array.from({ length: 8 }, (_v, j) => ((i + j) % 5) + (word === 'old' ? 1 : -1)),
  );
  return { rows, vectors, texts: rows.map(() => `${word} words`) };
}

/** What a search sees of the file: its records, and how many hold the old and the new word. */
function seen(index: MemoryIndex): string {
  const ids = index.matchIds(FILTER);
  const vector = index.search(new Float32Array(8).fill(1), FILTER, 1000);
  expect(vector.matching).toBe(ids.length);
  expect(index.size).toBe(ids.length); // the index holds this file alone
  expect(new Set(vector.hits.map((h) => h.row.id))).toEqual(new Set(ids));
  const old = index.fullText('old', FILTER, 1000).length;
  const fresh = index.fullText('new', FILTER, 1000).length;
  return `${ids.length} records, ${old} old, ${fresh} new`;
}

test('a rewrite committed in slices shows all of the old file or all of the new between any two slices', async () => {
  const index = await MemoryIndex.create(8, 64 * 2 ** 20);
  const old = version(200, 'old');
  index.commit(index.prepare(old.rows, old.vectors, old.texts));
  const bytesBefore = index.bytes;
  const rewrite = version(300, 'new'); // the 200 old ids replaced, 100 added
  const prepared = [0, 100, 200].map((from) =>
    index.prepare(
      rewrite.rows.slice(from, from + 100),
      rewrite.vectors.slice(from, from + 100),
      rewrite.texts.slice(from, from + 100),
    ),
  );
  const observed: string[] = [];
  await index.commitInSlices(prepared, {
    sliceMs: 0,
    pause: () => Promise.resolve(observed.push(seen(index))),
  });
  expect(observed.length).toBeGreaterThan(400);
  expect(new Set(observed)).toEqual(new Set(['200 records, 200 old, 0 new', '300 records, 0 old, 300 new']));
  expect(seen(index)).toBe('300 records, 0 old, 300 new');
  expect(index.size).toBe(300);
  // The replaced records were taken out and their memory given back (the new file holds 1.5× the records).
  expect(index.bytes).toBeLessThan(bytesBefore * 2);
  await index.close();
});

test('ids removed with a commit in slices go at its switch, with the records it replaces', async () => {
  const index = await MemoryIndex.create(8, 64 * 2 ** 20);
  const old = version(200, 'old');
  index.commit(index.prepare(old.rows, old.vectors, old.texts));
  const rewrite = version(100, 'new'); // chunks 0–99 replaced, 100–199 removed
  const prepared = index.prepare(rewrite.rows, rewrite.vectors, rewrite.texts);
  const removed = Array.from({ length: 100 }, (_, i) => `chunk-${100 + i}`);
  const observed = new Set<string>();
  await index.commitInSlices(
    [prepared],
    { sliceMs: 0, pause: () => Promise.resolve(observed.add(seen(index))) },
    [...removed, 'absent'],
  );
  expect(observed).toEqual(new Set(['200 records, 200 old, 0 new', '100 records, 0 old, 100 new']));
  expect(seen(index)).toBe('100 records, 0 old, 100 new');
  expect(removed.some((id) => index.has(id))).toBe(false);
  await index.close();
});

// The commit pauses a few times while it makes room in the full-text index (fewer than 10 here),
// 49 times while it places the 50 records hidden, then while it takes out the old.
test.each([
  ['before', 20],
  ['after', 70],
])(
  'a record removed or written again while a commit in slices runs (%s its switch) keeps the later change',
  async (_when, at) => {
    const index = await MemoryIndex.create(8, 64 * 2 ** 20);
    const old = version(50, 'old');
    index.commit(index.prepare(old.rows, old.vectors, old.texts));
    const rewrite = version(50, 'new');
    const prepared = index.prepare(rewrite.rows, rewrite.vectors, rewrite.texts);
    let pauses = 0;
    await index.commitInSlices([prepared], {
      sliceMs: 0,
      pause: () => {
        pauses += 1;
        if (pauses === at) {
          index.remove('chunk-5');
          index.put({ ...(rewrite.rows[6] as MemoryRow) }, new Float32Array(8).fill(1), 'latest words');
        }
        return Promise.resolve();
      },
    });
    expect(index.has('chunk-5')).toBe(false);
    expect(index.size).toBe(49);
    expect(index.fullText('latest', FILTER, 10).map((h) => h.row.id)).toEqual(['chunk-6']);
    expect(index.fullText('new', FILTER, 100)).toHaveLength(48);
    expect(index.fullText('old', FILTER, 100)).toHaveLength(0);
    expect(index.matchIds(FILTER)).toHaveLength(49);
    await index.close();
  },
);

test('a word whose last record goes between a write being prepared and committed stays that word', async () => {
  const index = await MemoryIndex.create(8, 64 * 2 ** 20);
  const [held, other, fresh] = version(3, 'x').rows;
  const vector = new Float32Array(8).fill(1);
  index.put({ ...(held as MemoryRow), id: 'held' }, vector, 'alpha');
  // Prepared while `held` still holds "alpha"; removed (and settled) before the commit, in slices.
  const prepared = index.prepare([other as MemoryRow], [vector], ['alpha beta']);
  let pauses = 0;
  const committed = index.commitInSlices([prepared], {
    sliceMs: 0,
    pause: () => Promise.resolve((pauses += 1)),
  });
  index.remove('held');
  // A new word now would take a forgotten word's id.
  index.put({ ...(fresh as MemoryRow), id: 'fresh' }, vector, 'gamma');
  await committed;
  expect(index.fullText('alpha', FILTER, 10).map((h) => h.row.id)).toEqual(['chunk-1']);
  expect(index.fullText('beta', FILTER, 10).map((h) => h.row.id)).toEqual(['chunk-1']);
  expect(index.fullText('gamma', FILTER, 10).map((h) => h.row.id)).toEqual(['fresh']);
  await index.close();
});

test('commits in slices called together run one after the other, the later winning', async () => {
  const index = await MemoryIndex.create(8, 64 * 2 ** 20);
  const first = version(40, 'old');
  const second = version(40, 'new');
  const a = index.prepare(first.rows, first.vectors, first.texts);
  const b = index.prepare(second.rows, second.vectors, second.texts);
  const observed = new Set<string>();
  const slices = { sliceMs: 0, pause: () => Promise.resolve(observed.add(seen(index))) };
  await Promise.all([index.commitInSlices([a], slices), index.commitInSlices([b], slices)]);
  expect(observed).toEqual(
    new Set(['0 records, 0 old, 0 new', '40 records, 40 old, 0 new', '40 records, 0 old, 40 new']),
  );
  expect(seen(index)).toBe('40 records, 0 old, 40 new');
  expect(index.size).toBe(40);
  await index.close();
});

test('a rewrite committed in slices never grows a postings region or the pool while it places its records', async () => {
  // Issue 23 item 5: a word shared by thousands of the new records doubled (with every such word,
  // and the pool) in one placing step. The room is now made before, one relocation a step.
  const index = await MemoryIndex.create(8, 64 * 2 ** 20);
  const old = version(3000, 'shared');
  index.commit(index.prepare(old.rows, old.vectors, old.texts));
  const rewrite = version(3000, 'shared');
  const prepared = [0, 1000, 2000].map((from) =>
    index.prepare(
      rewrite.rows.slice(from, from + 1000),
      rewrite.vectors.slice(from, from + 1000),
      rewrite.texts.slice(from, from + 1000),
    ),
  );
  const postings = (
    index as unknown as { text: { postings: { pool: { data: Int32Array }; start: Int32Array } } }
  ).text.postings;
  const placed = () => index.matchIds(FILTER).length; // the old file stays visible until the switch
  const layouts: Array<readonly [Int32Array, string]> = [];
  await index.commitInSlices(prepared, {
    sliceMs: 0,
    pause: () => Promise.resolve(layouts.push([postings.pool.data, postings.start.join()])),
  });
  expect(placed()).toBe(3000);
  // A pause before every step but the first of each loop: the room's steps, then 2,999 after a
  // placing, then 5,999 in the removals (3,000 new records settled, 3,000 replaced taken out).
  const removals = 2 * 3000 - 1;
  const placing = layouts.slice(-(removals + 2999), -removals);
  expect(placing).toHaveLength(2999);
  const [pool, starts] = placing[0] as readonly [Int32Array, string];
  expect(placing.every(([p, s]) => p === pool && s === starts)).toBe(true);
  expect(index.fullText('shared', FILTER, 5000)).toHaveLength(3000);
});
