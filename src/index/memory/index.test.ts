import { and, eq, subtree, type NamespacePolicy } from '../../policy/index.js';
import { fileRecords } from '../../indexing/records.js';
import { MemoryIndex } from './index.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: false, isolate_agent_scope_by_user: false };
const times = { created_at: 1, updated_at: 2 };

function put(index: MemoryIndex, account: string, uri: string, text: string): string {
  const [{ text: body, ...row }] = fileRecords(account, uri, text, P, times) as [
    ReturnType<typeof fileRecords>[0],
  ];
  index.put(
    row,
    Float32Array.from({ length: 8 }, (_, i) => i + text.length),
    body,
  );
  return row.id;
}

test('a filter asked for again (the second path of a hybrid search) sees every change made in between', async () => {
  const index = await MemoryIndex.create(8, 64 * 2 ** 20);
  put(index, 'a', 'viking://resources/x.md', 'alpha one');
  const second = put(index, 'a', 'viking://resources/y.md', 'alpha two');
  put(index, 'b', 'viking://resources/x.md', 'alpha three');
  const filter = and(eq('account_id', 'a'), subtree('viking://resources'));
  const uris = () =>
    index
      .fullText('alpha', filter, 10)
      .map((h) => h.row.uri)
      .sort();
  expect(index.count(filter)).toBe(2);
  expect(uris()).toEqual(['viking://resources/x.md', 'viking://resources/y.md']);
  put(index, 'a', 'viking://resources/z.md', 'alpha four');
  expect(uris()).toEqual(['viking://resources/x.md', 'viking://resources/y.md', 'viking://resources/z.md']);
  expect(index.search(new Float32Array(8).fill(1), filter, 10).matching).toBe(3);
  index.remove(second);
  expect(index.count(filter)).toBe(2);
  expect(uris()).toEqual(['viking://resources/x.md', 'viking://resources/z.md']);
});

test('a prepared batch is invisible until committed, and a discarded one leaves nothing behind', async () => {
  const index = await MemoryIndex.create(8, 64 * 2 ** 20);
  const drafts = ['p.md', 'q.md'].flatMap((name) =>
    fileRecords('a', `viking://resources/${name}`, `beta ${name}`, P, times),
  );
  const rows = drafts.map(({ text: _t, ...row }) => row);
  const vectors = drafts.map(() => new Float32Array(8).fill(1));
  const filter = eq('account_id', 'a');
  const prepared = index.prepare(
    rows,
    vectors,
    drafts.map((d) => d.text),
  );
  expect(index.count(filter)).toBe(0);
  expect(index.fullText('beta', filter, 10)).toEqual([]);
  index.discard(prepared);
  expect(index.size).toBe(0);
  index.commit(
    index.prepare(
      rows,
      vectors,
      drafts.map((d) => d.text),
    ),
  );
  expect(index.count(filter)).toBe(2);
  expect(index.fullText('beta', filter, 10)).toHaveLength(2);
});

test('batches committed together: a word a replaced record of the first leaves is kept for the second', async () => {
  const index = await MemoryIndex.create(8, 64 * 2 ** 20);
  put(index, 'a', 'viking://resources/r.md', 'foo');
  const prepare = (uri: string, text: string) => {
    const [{ text: body, ...row }] = fileRecords('a', uri, text, P, times) as [
      ReturnType<typeof fileRecords>[0],
    ];
    return index.prepare([row], [new Float32Array(8).fill(1)], [body]);
  };
  // The first replaces the only record holding `foo`; the second adds another one holding it.
  index.commit(prepare('viking://resources/r.md', 'bar'), prepare('viking://resources/s.md', 'foo'));
  put(index, 'a', 'viking://resources/t.md', 'qux');
  const uris = (query: string) => index.fullText(query, eq('account_id', 'a'), 10).map((h) => h.row.uri);
  expect(uris('foo')).toEqual(['viking://resources/s.md']);
  expect(uris('bar')).toEqual(['viking://resources/r.md']);
  expect(uris('qux')).toEqual(['viking://resources/t.md']);
});
