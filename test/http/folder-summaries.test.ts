/**
 * Issue 28: folders that writes make below viking://resources get the summaries an import gives its
 * folders, kept up to date as files come and go, read through the API as a newcomer would; summaries
 * written by hand (content/write, mkdir's description) are never replaced, the state kept for them
 * is never listed, and generated summaries are not indexed (on writes or rebuilds).
 */
import { z } from 'zod';
import { walkFiles } from '../../src/indexing/source.js';
import { LocalFileStorage } from '../../src/storage/local-files.js';
import { fullApp, searchUris, type Client, type FullApp } from '../helpers/full-app.js';

let full: FullApp;
let alice: Client;

beforeAll(async () => {
  full = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
  alice = full.client({ account: 'acme', user: 'alice' });
});
afterAll(() => full.close());

/** The `result` of an answer, parsed with `schema`. */
const resultOf = <T>(res: { body: unknown }, schema: z.ZodType<T>): T =>
  z.object({ result: schema }).parse(res.body).result;

async function write(uri: string, content: string) {
  const res = await alice.post('/api/v1/content/write').send({ uri, content });
  expect(res.status).toBe(200);
}

async function summaries(uri: string): Promise<{ abstract: string; overview: string }> {
  const abstract = await alice.get('/api/v1/content/abstract').query({ uri });
  const overview = await alice.get('/api/v1/content/overview').query({ uri });
  expect([abstract.status, overview.status]).toEqual([200, 200]);
  return { abstract: resultOf(abstract, z.string()), overview: resultOf(overview, z.string()) };
}

test('content/write of a/b/c.md gives a and a/b abstracts and overviews of what they hold', async () => {
  await write('viking://resources/a/b/c.md', '# Wombats\n\nWombats dig burrows with their claws.\n');
  const b = await summaries('viking://resources/a/b');
  expect(b.abstract).toBe('Wombats. Wombats dig burrows with their claws.\n');
  expect(b.overview).toBe('# b\n\n- c.md — Wombats. Wombats dig burrows with their claws.\n');
  const a = await summaries('viking://resources/a');
  expect(a.abstract).toBe('a: 1 document (b/).\n');
  expect(a.overview).toBe('# a\n\n- b/ — 1 documents\n');
  // ls shows the folder's abstract, as for an imported folder.
  const ls = await alice.get('/api/v1/fs/ls').query({ uri: 'viking://resources' });
  expect(resultOf(ls, z.array(z.unknown()))).toEqual(
    expect.arrayContaining([expect.objectContaining({ uri: 'viking://resources/a', abstract: a.abstract })]),
  );
});

test('the summaries follow files added, replaced and removed, at every level', async () => {
  await write('viking://resources/k/x/one.md', 'Koalas sleep most of the day.\n');
  await write('viking://resources/k/x/two.md', 'Koalas eat eucalyptus.\n');
  await write('viking://resources/k/top.md', 'Top note.\n');
  expect((await summaries('viking://resources/k/x')).overview).toBe(
    '# x\n\n- one.md — Koalas sleep most of the day.\n- two.md — Koalas eat eucalyptus.\n',
  );
  expect((await summaries('viking://resources/k')).abstract).toBe('k: 3 documents (top.md, x/). Top note.\n');
  await write('viking://resources/k/x/two.md', 'Koalas eat gum leaves.\n');
  expect((await summaries('viking://resources/k/x')).overview).toContain('- two.md — Koalas eat gum leaves.');
  const rm = await alice.delete('/api/v1/fs').query({ uri: 'viking://resources/k/x/one.md' });
  expect(rm.status).toBe(200);
  expect((await summaries('viking://resources/k/x')).abstract).toBe('Koalas eat gum leaves.\n');
  expect((await summaries('viking://resources/k')).abstract).toBe('k: 2 documents (top.md, x/). Top note.\n');
});

test('a summary written by hand is kept while the other one stays generated', async () => {
  const mkdir = await alice
    .post('/api/v1/fs/mkdir')
    .send({ uri: 'viking://resources/notes', description: 'My own notes.' });
  expect(mkdir.status).toBe(200);
  await write('viking://resources/notes/n1.md', 'First note.\n');
  expect(await summaries('viking://resources/notes')).toEqual({
    abstract: 'My own notes.',
    overview: '# notes\n\n- n1.md — First note.\n',
  });
  await write('viking://resources/notes/.overview.md', 'Hand-written overview.\n');
  await write('viking://resources/notes/n2.md', 'Second note.\n');
  expect(await summaries('viking://resources/notes')).toEqual({
    abstract: 'My own notes.',
    overview: 'Hand-written overview.\n',
  });
  // The state file behind the generated summaries is never listed, even with hidden files.
  const ls = await alice
    .get('/api/v1/fs/ls')
    .query({ uri: 'viking://resources/notes', show_all_hidden: true, simple: true });
  expect(resultOf(ls, z.array(z.string())).sort()).toEqual([
    'viking://resources/notes/.abstract.md',
    'viking://resources/notes/.overview.md',
    'viking://resources/notes/n1.md',
    'viking://resources/notes/n2.md',
  ]);
});

test("add_resource into a new parent: the parent describes the import, the import's summaries stay", async () => {
  const upload = await alice
    .post('/api/v1/resources/temp_upload')
    .attach('file', Buffer.from('# Gannets\n\nGannets dive for fish.\n'), 'gannet.md');
  const { temp_file_id } = resultOf(upload, z.object({ temp_file_id: z.string() }));
  const added = await alice
    .post('/api/v1/resources')
    .send({ temp_file_id, parent: 'viking://resources/birds', wait: true });
  expect(added.status).toBe(200);
  const imported = await summaries('viking://resources/birds/gannet');
  await write('viking://resources/birds/gannet/more.md', 'More about gannets.\n');
  expect(await summaries('viking://resources/birds/gannet')).toEqual(imported);
  expect(await summaries('viking://resources/birds')).toEqual({
    abstract: 'birds: 2 documents (gannet/).\n',
    overview: '# birds\n\n- gannet/ — 2 documents\n',
  });
});

test('generated summaries are not indexed: search finds the file, not its folders, also after a rebuild', async () => {
  const uri = 'viking://resources/zz/deep/quoll.md';
  const res = await alice
    .post('/api/v1/content/write')
    .send({ uri, content: 'Quollzz hunt at night.\n', wait: true });
  expect(res.status).toBe(200);
  expect((await summaries('viking://resources/zz/deep')).abstract).toBe('Quollzz hunt at night.\n');
  expect(await searchUris(alice, { query: 'Quollzz', mode: 'fulltext' })).toEqual([uri]);
  // What a reindex reads from disk: the file, without the generated summaries.
  expect(await walkFiles(new LocalFileStorage(full.dataDir), 'acme', 'viking://resources/zz')).toEqual([uri]);
  // A summary written by hand is indexed as before.
  await write('viking://resources/zz/.abstract.md', 'Quollzz and other marsupials.\n');
  expect(await walkFiles(new LocalFileStorage(full.dataDir), 'acme', 'viking://resources/zz')).toEqual([
    'viking://resources/zz/.abstract.md',
    uri,
  ]);
});
