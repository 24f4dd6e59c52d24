/**
 * Large folders (issue 14, item 7): `ls` and `tree` return at most `node_limit` entries, `offset`
 * pages through a folder in its stable (name) order without gaps or overlaps — counting only entries
 * the caller may read —, and grep stops at its limit with the same matches, in the same order, as the
 * first ones of a longer grep. Their cost is measured by `scripts/bench-folders.ts`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { pathOfUri } from '../../src/storage/paths.js';
import { fsTestApp } from '../helpers/fs-app.js';
import { createTestFs, ctxOf, type TestFs } from '../helpers/vfs.js';

const alice = ctxOf('user', 'alice');
const root = ctxOf('root', 'alice');
const FOLDER = 'viking://resources/big';
const ENTRIES = 250;

let fs: TestFs;
beforeAll(async () => {
  fs = await createTestFs();
  await fs.vfs.initAccount('acme');
  await fs.vfs.ensureIdentity(alice);
  // Written straight to disk in a scrambled order: listings must come back sorted by name anyway.
  const dir = pathOfUri(fs.dataDir, 'acme', FOLDER);
  await mkdir(dir, { recursive: true });
  for (let k = 0; k < ENTRIES; k++) {
    const i = (k * 97) % ENTRIES;
    const name = `e${String(i).padStart(3, '0')}`;
    if (i % 10 === 0) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'inner.md'), `inner ${i} match\n`);
    } else await writeFile(join(dir, `${name}.md`), `file ${i} match\nsecond line match\n`);
  }
  await writeFile(join(dir, '.hidden.md'), 'hidden match\n');
});
afterAll(() => fs.cleanup());

/** Every page of `size` from offset 0 until a short page, concatenated. */
async function allPages<T>(size: number, page: (offset: number) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += size) {
    const items = await page(offset);
    expect(items.length).toBeLessThanOrEqual(size);
    out.push(...items);
    if (items.length < size) return out;
  }
}

test('ls stops at node_limit, in name order', async () => {
  const first = await fs.vfs.ls(alice, FOLDER, { simple: true, nodeLimit: 5 });
  expect(first).toEqual(['e000', 'e001.md', 'e002.md', 'e003.md', 'e004.md'].map((n) => `${FOLDER}/${n}`));
  const entries = await fs.vfs.ls(alice, FOLDER, { nodeLimit: 3 });
  expect(entries.map((e) => [e.uri, e.isDir, e.size])).toEqual([
    [`${FOLDER}/e000`, true, 0],
    [`${FOLDER}/e001.md`, false, 'file 1 match\nsecond line match\n'.length],
    [`${FOLDER}/e002.md`, false, 'file 2 match\nsecond line match\n'.length],
  ]);
});

test.each([7, 64, 1000])('ls pages of %i cover the folder exactly once', async (size) => {
  const whole = await fs.vfs.ls(alice, FOLDER, { simple: true, nodeLimit: 10_000 });
  expect(whole).toHaveLength(ENTRIES);
  const paged = await allPages(size, (offset) =>
    fs.vfs.ls(alice, FOLDER, { simple: true, nodeLimit: size, offset }),
  );
  expect(paged).toEqual(whole);
  expect(await fs.vfs.ls(alice, FOLDER, { simple: true, offset: ENTRIES })).toEqual([]);
});

test('recursive ls and tree page through the walk (folders before their contents)', async () => {
  const whole = await fs.vfs.tree(alice, FOLDER, { nodeLimit: 10_000 });
  expect(whole).toHaveLength(ENTRIES + ENTRIES / 10);
  expect(whole.slice(0, 3).map((e) => e.rel_path)).toEqual(['e000', 'e000/inner.md', 'e001.md']);
  const paged = await allPages(33, (offset) => fs.vfs.tree(alice, FOLDER, { nodeLimit: 33, offset }));
  expect(paged).toEqual(whole);
  const recursive = await allPages(50, (offset) =>
    fs.vfs.ls(alice, FOLDER, { recursive: true, simple: true, nodeLimit: 50, offset }),
  );
  expect(recursive).toEqual(whole.map((e) => e.uri));
});

test('pages count only entries the caller may read', async () => {
  for (const user of ['bob', 'carol', 'dave']) await fs.vfs.ensureIdentity(ctxOf('user', user));
  expect(await fs.vfs.ls(root, 'viking://user', { simple: true, nodeLimit: 2, offset: 1 })).toEqual([
    'viking://user/bob',
    'viking://user/carol',
  ]);
  expect(await fs.vfs.ls(alice, 'viking://user', { simple: true, nodeLimit: 2 })).toEqual([
    'viking://user/alice',
  ]);
  expect(await fs.vfs.ls(alice, 'viking://user', { simple: true, offset: 1 })).toEqual([]);
});

test('grep stops at node_limit with the first matches of the walk, in order', async () => {
  const all = await fs.vfs.grep(alice, { uri: FOLDER, pattern: 'match', nodeLimit: 10_000 });
  // Two lines per file, one per inner file; hidden files are not searched.
  expect(all.count).toBe((ENTRIES - ENTRIES / 10) * 2 + ENTRIES / 10);
  expect(all.matches.some((m) => m.uri.endsWith('.hidden.md'))).toBe(false);
  for (const limit of [1, 5, 37]) {
    const some = await fs.vfs.grep(alice, { uri: FOLDER, pattern: 'match', nodeLimit: limit });
    expect(some.matches).toEqual(all.matches.slice(0, limit));
  }
});

test('HTTP: ls and tree take offset with node_limit or limit; a bad offset is 400', async () => {
  const app = fsTestApp(fs.vfs);
  const ls = await request(app)
    .get('/api/v1/fs/ls')
    .query({ uri: FOLDER, simple: true, limit: 2, offset: 10 });
  expect(ls.status).toBe(200);
  expect((ls.body as { result: unknown }).result).toEqual([`${FOLDER}/e010`, `${FOLDER}/e011.md`]);
  const tree = await request(app).get('/api/v1/fs/tree').query({ uri: FOLDER, node_limit: 2, offset: 1 });
  expect(tree.status).toBe(200);
  expect((tree.body as { result: { rel_path: string }[] }).result.map((e) => e.rel_path)).toEqual([
    'e000/inner.md',
    'e001.md',
  ]);
  for (const offset of ['-1', 'ten', '1.5']) {
    const bad = await request(app).get('/api/v1/fs/ls').query({ uri: FOLDER, offset });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
  }
});
