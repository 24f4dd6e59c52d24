/**
 * Issue 26, tags: the SDK's `attrs` and `setTags`, and `find(query, {tags})` — which used to ignore
 * `tags` and so returned untagged files too. Tags are set only where the caller may write, read only
 * where it may read, filter search results only within what it may read, follow moves and go with
 * removals.
 */
import { fullApp, searchResultOf, allHits, type Client, type FullApp } from '../helpers/full-app.js';
import { at, resultOf } from '../helpers/http-app.js';
import { sdk } from './sdk-requests.js';

const ALICE = { account: 'acme', user: 'alice' };
const BOB = { account: 'acme', user: 'bob' };
const A = 'viking://resources/proj/a.md';
const B = 'viking://resources/proj/b.md';
const MEMO = 'viking://user/alice/memories/zanzibar.md';

let t: FullApp;
const write = (c: Client, uri: string, content: string) =>
  c.post('/api/v1/content/write').send({ uri, content, wait: true }).expect(200);

async function found(c: Client, tags?: string[]): Promise<string[]> {
  const res = await sdk(c).find('zanzibar', tags === undefined ? {} : { tags });
  return allHits(searchResultOf(res))
    .map((h) => h.uri)
    .sort();
}

beforeAll(async () => {
  t = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice', 'bob'] }] });
  const alice = t.client(ALICE);
  await write(alice, A, 'zanzibar alpha plan');
  await write(alice, B, 'zanzibar beta plan');
  await write(alice, MEMO, 'zanzibar private memory');
});
afterAll(() => t.close());

test('setTags then attrs, and find with tags returns only tagged files (ignored before)', async () => {
  const alice = sdk(t.client(ALICE));
  const set = await alice.setTags(A, ['team=ops']).expect(200);
  expect(resultOf(set)).toEqual({
    uri: A,
    tags: ['team=ops'],
    mode: 'replace',
    recursive: false,
    updated: 1,
  });
  expect(resultOf(await alice.attrs(A).expect(200))).toEqual({
    uri: A,
    context_type: 'resource',
    is_dir: false,
    attrs: { tags: ['team=ops'] },
  });
  expect(at(await alice.attrs(B).expect(200), 'attrs', 'tags')).toEqual([]);
  expect(await found(t.client(ALICE))).toEqual([MEMO, A, B].sort());
  expect(await found(t.client(ALICE), ['team=ops'])).toEqual([A]);
  expect(await found(t.client(ALICE), ['team=nobody'])).toEqual([]);
});

test('recursive append tags a folder and everything below; several tags must all match', async () => {
  const alice = sdk(t.client(ALICE));
  const res = await alice
    .setTags('viking://resources/proj', ['lang=en'], { mode: 'append', recursive: true })
    .expect(200);
  expect(at(res, 'updated')).toBe(3);
  expect(await found(t.client(ALICE), ['lang=en'])).toEqual([A, B]);
  expect(await found(t.client(ALICE), ['lang=en', 'team=ops'])).toEqual([A]);
  await alice.setTags(B, ['lang=en'], { mode: 'remove' }).expect(200);
  expect(await found(t.client(ALICE), ['lang=en'])).toEqual([A]);
});

test('a hostile tag is only data', async () => {
  const hostile = "x' OR 1=1 --";
  await sdk(t.client(ALICE)).setTags(B, [hostile]).expect(200);
  expect(await found(t.client(ALICE), [hostile])).toEqual([B]);
  await sdk(t.client(ALICE)).setTags(B, ['bad\ntag']).expect(400);
});

test('isolation: bob can neither tag nor read alice’s tags, and her tags never widen his search', async () => {
  await sdk(t.client(ALICE)).setTags(MEMO, ['secret=1']).expect(200);
  const bob = sdk(t.client(BOB));
  await bob.setTags(MEMO, ['mine']).expect(403);
  await bob.attrs(MEMO).expect(403);
  expect(await found(t.client(BOB), ['secret=1'])).toEqual([]);
  const own = 'viking://user/bob/memories/zanzibar.md';
  await write(t.client(BOB), own, 'zanzibar bob memory');
  await bob.setTags(own, ['secret=1']).expect(200);
  expect(await found(t.client(BOB), ['secret=1'])).toEqual([own]);
  expect(await found(t.client(ALICE), ['secret=1'])).toEqual([MEMO]);
  expect(at(await sdk(t.client(ALICE)).attrs(MEMO), 'attrs', 'tags')).toEqual(['secret=1']);
});

test('tags follow a move and go with a removal', async () => {
  const alice = t.client(ALICE);
  const moved = 'viking://resources/proj/c.md';
  await alice.post('/api/v1/fs/mv').send({ from_uri: A, to_uri: moved, wait: true }).expect(200);
  expect(at(await sdk(alice).attrs(moved), 'attrs', 'tags')).toEqual(['team=ops', 'lang=en']);
  expect(await found(alice, ['team=ops'])).toEqual([moved]);
  await alice.delete('/api/v1/fs').query({ uri: moved, wait: true }).expect(200);
  await write(alice, moved, 'zanzibar again');
  expect(at(await sdk(alice).attrs(moved), 'attrs', 'tags')).toEqual([]);
  expect(await found(alice, ['team=ops'])).toEqual([]);
});
