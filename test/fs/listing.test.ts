/** ls, tree, stat, read, grep and glob under the visibility rules, against a real temporary DATA_DIR. */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_PREFIX } from '../../src/storage/atomic.js';
import { pathOfUri, systemDir } from '../../src/storage/paths.js';
import { codeOf, createTestFs, ctxOf, policyOf, type TestFs } from '../helpers/vfs.js';

const alice = ctxOf('user', 'alice');
const bob = ctxOf('user', 'bob');
const root = ctxOf('root', 'alice');

let fs: TestFs;
beforeEach(async () => {
  fs = await createTestFs();
  await fs.vfs.initAccount('acme');
  for (const ctx of [alice, bob]) await fs.vfs.ensureIdentity(ctx);
  await fs.vfs.write(alice, { uri: 'viking://user/memories/a.md', content: 'alpha secret\nline two\n' });
  await fs.vfs.write(bob, { uri: 'viking://user/memories/b.md', content: 'bravo secret\n' });
  await fs.vfs.write(alice, { uri: 'viking://resources/docs/guide.md', content: 'shared Secret\n' });
});
afterEach(() => fs.cleanup());

test('ensureIdentity creates the presets of SPEC 7 (flag false)', async () => {
  const tree = await fs.vfs.tree(alice, 'viking://user/alice', { levelLimit: 5 });
  const dirs = tree.filter((e) => e.isDir).map((e) => e.rel_path);
  expect(dirs).toEqual(['memories', 'memories/entities', 'memories/events', 'memories/preferences']);
  expect(await fs.vfs.ls(alice, 'viking://agent/bot', { simple: true })).toEqual([
    'viking://agent/bot/instructions',
    'viking://agent/bot/memories',
    'viking://agent/bot/skills',
  ]);
});

test('ls of a root shows only readable children; ROOT sees everything but internal state', async () => {
  await mkdir(systemDir(fs.dataDir, 'acme'), { recursive: true });
  expect(await fs.vfs.ls(alice, 'viking://user', { simple: true })).toEqual(['viking://user/alice']);
  expect(await fs.vfs.ls(root, 'viking://user', { simple: true })).toEqual([
    'viking://user/alice',
    'viking://user/bob',
  ]);
  const top = await fs.vfs.ls(root, 'viking://', { simple: true });
  expect(top).toEqual(['viking://agent', 'viking://resources', 'viking://session', 'viking://user']);
});

test('temp and lock files never appear, dot files only with show_all_hidden', async () => {
  const docs = pathOfUri(fs.dataDir, 'acme', 'viking://resources/docs');
  await writeFile(join(docs, `${TEMP_PREFIX}guide.md-abc`), 'partial');
  await writeFile(join(docs, '.guide.md.lock'), '');
  await fs.vfs.mkdir(alice, 'viking://resources/docs', 'Guides for everyone');
  const plain = await fs.vfs.ls(alice, 'viking://resources/docs', { simple: true });
  expect(plain).toEqual(['viking://resources/docs/guide.md']);
  const all = await fs.vfs.ls(alice, 'viking://resources/docs', { simple: true, showAllHidden: true });
  // .overview.md: generated when guide.md was written (fs/summaries.ts); the description stays.
  expect(all).toEqual([
    'viking://resources/docs/.abstract.md',
    'viking://resources/docs/.overview.md',
    'viking://resources/docs/guide.md',
  ]);
  const [folder] = await fs.vfs.ls(alice, 'viking://resources');
  expect(folder).toMatchObject({
    uri: 'viking://resources/docs',
    isDir: true,
    size: 0,
    abstract: 'Guides for everyone',
  });
  expect(Date.parse(folder?.modTime ?? '')).not.toBeNaN();
});

test('recursive ls and tree only descend into readable folders and honour the limits', async () => {
  const all = await fs.vfs.ls(alice, 'viking://', { recursive: true, simple: true });
  expect(all).toContain('viking://user/alice/memories/a.md');
  expect(all.some((u) => u.includes('/bob'))).toBe(false);
  const rootView = await fs.vfs.ls(root, 'viking://', { recursive: true, simple: true });
  expect(rootView).toContain('viking://user/bob/memories/b.md');
  expect(await fs.vfs.ls(alice, 'viking://', { recursive: true, nodeLimit: 3 })).toHaveLength(3);
  const shallow = await fs.vfs.tree(alice, 'viking://', { levelLimit: 2 });
  expect(shallow.map((e) => e.rel_path)).toContain('user/alice');
  expect(shallow.every((e) => e.rel_path.split('/').length <= 2)).toBe(true);
});

test.each([
  [policyOf(true, false), 'viking://user/alice', 'agent/bot', 'viking://user/alice/agent/other'],
  [policyOf(false, true), 'viking://agent/bot', 'user/alice', 'viking://agent/bot/user/bob'],
])('a container lists the scope roots below it directly (%j)', async (policy, container, rel, hidden) => {
  const me = ctxOf('user', 'alice', 'bot', policy, 'iso');
  await fs.vfs.initAccount('iso');
  await fs.vfs.ensureIdentity(me);
  await fs.vfs.ensureIdentity(ctxOf('user', 'alice', 'other', policy, 'iso'));
  await fs.vfs.ensureIdentity(ctxOf('user', 'bob', 'bot', policy, 'iso'));
  const mine = await fs.vfs.tree(me, container, { levelLimit: 1 });
  expect(mine.map((e) => e.rel_path)).toEqual([rel]);
  const everything = await fs.vfs.ls(ctxOf('root', 'alice', 'bot', policy, 'iso'), container, {
    simple: true,
  });
  expect(everything).toContain(hidden);
  expect(await codeOf(fs.vfs.ls(me, `${container}/${rel.split('/')[0] ?? ''}`))).toBe('INVALID_URI');
  // A container holds nothing but the scope roots below it.
  const onDisk = await readdir(pathOfUri(fs.dataDir, 'iso', container));
  expect(onDisk).toEqual([rel.split('/')[0]]);
});

test('checks run in the order shape → visibility → existence', async () => {
  expect(await codeOf(fs.vfs.read(alice, 'viking://user/bob/memories/missing.md'))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.stat(alice, 'viking://user/bob/nothing/here'))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.ls(alice, 'viking://user/bob'))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.read(alice, 'viking://user/alice/missing.md'))).toBe('NOT_FOUND');
  expect(await codeOf(fs.vfs.read(alice, 'viking://user/b%ob/missing.md'))).toBe('INVALID_URI');
  expect(await codeOf(fs.vfs.read(root, 'viking://user/bob/missing.md'))).toBe('NOT_FOUND');
});

test.each([
  'viking://resources/../user/bob/memories/b.md',
  'viking://user/alice/../bob/memories/b.md',
  'viking://user/alice%2F..%2Fbob/memories/b.md',
  'viking://user/alice\\..\\bob/memories/b.md',
  'viking://resources/a\u0000b',
  'viking://_system/setting.json',
  '../../etc/passwd',
])('traversal attempt %j is 400', async (uri) => {
  expect(await codeOf(fs.vfs.read(alice, uri))).toBe('INVALID_URI');
  expect(await codeOf(fs.vfs.write(alice, { uri, content: 'x' }))).toBe('INVALID_URI');
});

test('percent signs are literal characters in file names', async () => {
  await fs.vfs.write(alice, { uri: 'viking://resources/50%_off%2Fnot-a-folder.md', content: 'deal' });
  const names = await readdir(pathOfUri(fs.dataDir, 'acme', 'viking://resources'));
  expect(names).toContain('50%_off%2Fnot-a-folder.md');
});

test('read slices by lines; stat names the entry; abstract and overview read the folder files', async () => {
  expect(await fs.vfs.read(alice, 'viking://user/memories/a.md', 1, 1)).toBe('line two\n');
  expect(await fs.vfs.read(alice, 'viking://user/memories/a.md', 0, -1)).toBe('alpha secret\nline two\n');
  expect(await fs.vfs.stat(alice, 'viking://user/memories/a.md')).toMatchObject({
    uri: 'viking://user/alice/memories/a.md',
    name: 'a.md',
    size: 22,
    isDir: false,
  });
  await fs.vfs.write(alice, { uri: 'viking://resources/docs/.overview.md', content: 'An overview' });
  expect(await fs.vfs.overview(alice, 'viking://resources/docs')).toBe('An overview');
  // The abstract is the one generated from guide.md when it was written (fs/summaries.ts).
  expect(await fs.vfs.abstract(alice, 'viking://resources/docs')).toBe('shared Secret.\n');
  expect(await codeOf(fs.vfs.abstract(alice, 'viking://resources/docs/guide.md'))).toBe(
    'FAILED_PRECONDITION',
  );
  expect(await codeOf(fs.vfs.read(alice, 'viking://resources/docs'))).toBe('FAILED_PRECONDITION');
});

test('grep finds lines only in readable files; bad patterns are 400', async () => {
  const hits = await fs.vfs.grep(alice, { uri: 'viking://', pattern: 'secret', caseInsensitive: true });
  expect(hits.matches.map((m) => m.uri).sort()).toEqual([
    'viking://resources/docs/guide.md',
    'viking://user/alice/memories/a.md',
  ]);
  expect(hits.matches).toContainEqual({
    uri: 'viking://user/alice/memories/a.md',
    line: 1,
    content: 'alpha secret',
  });
  const exact = await fs.vfs.grep(alice, { uri: 'viking://', pattern: 'secret' });
  expect(exact.count).toBe(1);
  const rootHits = await fs.vfs.grep(root, { uri: 'viking://user', pattern: 'secret' });
  expect(rootHits.count).toBe(2);
  expect(await codeOf(fs.vfs.grep(alice, { uri: 'viking://', pattern: '(' }))).toBe('INVALID_ARGUMENT');
  expect(await codeOf(fs.vfs.grep(alice, { uri: 'viking://', pattern: '(a)\\1' }))).toBe('INVALID_ARGUMENT');
  expect(await codeOf(fs.vfs.grep(alice, { uri: 'viking://user/bob', pattern: 'x' }))).toBe(
    'PERMISSION_DENIED',
  );
});

test('grep skips binary files', async () => {
  await fs.vfs.write(alice, { uri: 'viking://resources/blob.bin', content: 'secret\u0000binary' });
  const hits = await fs.vfs.grep(alice, { uri: 'viking://resources', pattern: 'binary' });
  expect(hits.count).toBe(0);
});

test('glob matches relative paths among readable entries', async () => {
  const md = await fs.vfs.glob(alice, { pattern: '**/*.md' });
  expect(md.matches.sort()).toEqual([
    'viking://resources/docs/guide.md',
    'viking://user/alice/memories/a.md',
  ]);
  const rootMd = await fs.vfs.glob(root, { pattern: 'user/*/memories/*.md' });
  expect(rootMd.count).toBe(2);
  const scoped = await fs.vfs.glob(alice, { pattern: '*.md', uri: 'viking://resources/docs' });
  expect(scoped.matches).toEqual(['viking://resources/docs/guide.md']);
  expect(await codeOf(fs.vfs.glob(alice, { pattern: '*', uri: 'viking://agent/other' }))).toBe(
    'PERMISSION_DENIED',
  );
});

test('virtual session message files are read through the session reader', async () => {
  const messages = { msg_1: JSON.stringify({ id: 'msg_1', role: 'user', parts: [] }) };
  const withReader = await createTestFs({
    sessionMessages: {
      read: (account, session, id) =>
        Promise.resolve(account === 'acme' && session === 's1' ? (messages[id as 'msg_1'] ?? null) : null),
      listMessages: () => Promise.resolve(null),
    },
  });
  try {
    const uri = 'viking://session/s1/messages/msg_1';
    expect(await withReader.vfs.read(bob, uri)).toBe(messages.msg_1);
    expect(await withReader.vfs.stat(bob, uri)).toMatchObject({
      name: 'msg_1',
      isDir: false,
      size: messages.msg_1.length,
    });
    expect(await codeOf(withReader.vfs.read(bob, 'viking://session/s1/messages/msg_2'))).toBe('NOT_FOUND');
    expect(await codeOf(withReader.vfs.read(bob, 'viking://session/bad%id/messages/msg_1'))).toBe(
      'INVALID_URI',
    );
  } finally {
    await withReader.cleanup();
  }
});
