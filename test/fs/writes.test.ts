/** Write rules (SPEC 4), mkdir/rm/mv, atomic and concurrent writes, size limits and hooks. */
import { readdir, readFile } from 'node:fs/promises';
import { isIndexableText, Vfs } from '../../src/fs/index.js';
import { TEMP_PREFIX } from '../../src/storage/atomic.js';
import { pathOfUri } from '../../src/storage/paths.js';
import { codeOf, createTestFs, ctxOf, policyOf, type TestFs } from '../helpers/vfs.js';

const alice = ctxOf('user', 'alice');
const bob = ctxOf('user', 'bob');
const root = ctxOf('root', 'alice');

let fs: TestFs;
beforeEach(async () => {
  fs = await createTestFs({ maxFileBytes: 64 * 1024 });
  await fs.vfs.initAccount('acme');
  for (const ctx of [alice, bob]) await fs.vfs.ensureIdentity(ctx);
});
afterEach(() => fs.cleanup());

const diskPath = (uri: string) => pathOfUri(fs.dataDir, 'acme', uri);

test('write creates parents, replaces and appends; hooks get canonical URIs', async () => {
  const first = await fs.vfs.write(alice, { uri: 'user/memories/notes/n.md', content: 'one\n' });
  expect(first).toEqual({ uri: 'viking://user/alice/memories/notes/n.md', mode: 'replace', size: 4 });
  await fs.vfs.write(alice, { uri: 'viking://user/memories/notes/n.md', content: 'two\n', mode: 'append' });
  expect(await fs.vfs.read(alice, 'viking://user/alice/memories/notes/n.md')).toBe('one\ntwo\n');
  await fs.vfs.write(alice, { uri: 'viking://user/memories/notes/n.md', content: 'three' });
  expect(await readFile(diskPath('viking://user/alice/memories/notes/n.md'), 'utf8')).toBe('three');
  expect(fs.hooks.calls).toEqual(
    Array(3).fill(['fileWritten', 'acme', 'viking://user/alice/memories/notes/n.md']),
  );
});

test('write = read permission; only ROOT writes into roots and containers; sessions are read-only', async () => {
  expect(await codeOf(fs.vfs.write(alice, { uri: 'viking://user/bob/x.md', content: 'x' }))).toBe(
    'PERMISSION_DENIED',
  );
  expect(await codeOf(fs.vfs.mkdir(alice, 'viking://agent/other/x'))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.mkdir(alice, 'viking://resources'))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.mkdir(root, 'viking://resources'))).toBe('ok');
  for (const ctx of [alice, root]) {
    expect(await codeOf(fs.vfs.write(ctx, { uri: 'viking://session/s1/x.md', content: 'x' }))).toBe(
      'PERMISSION_DENIED',
    );
    expect(await codeOf(fs.vfs.mkdir(ctx, 'viking://session/s1'))).toBe('PERMISSION_DENIED');
    expect(await codeOf(fs.vfs.rm(ctx, 'viking://session/s1', true))).toBe('PERMISSION_DENIED');
  }
  expect(await codeOf(fs.vfs.rm(alice, 'viking://user/alice', true))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.rm(root, 'viking://resources', true))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.rm(root, 'viking://', true))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.write(alice, { uri: `viking://resources/${TEMP_PREFIX}x`, content: 'x' }))).toBe(
    'INVALID_URI',
  );
  expect(await codeOf(fs.vfs.mkdir(alice, 'viking://user/bob/.x.lock'))).toBe('INVALID_URI');
});

test('under an isolating policy a user cannot write the container itself', async () => {
  const policy = policyOf(true, true);
  const me = ctxOf('user', 'alice', 'bot', policy, 'iso');
  await fs.vfs.initAccount('iso');
  await fs.vfs.ensureIdentity(me);
  expect(await codeOf(fs.vfs.mkdir(me, 'viking://user/alice'))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.mkdir(me, 'viking://agent/bot'))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.mkdir(me, 'viking://user/alice/agent/bot/memories/x'))).toBe('ok');
  expect(await codeOf(fs.vfs.mkdir(me, 'viking://user/alice/agent/other/x'))).toBe('PERMISSION_DENIED');
  expect(
    await codeOf(fs.vfs.mkdir(ctxOf('root', 'alice', 'bot', policy, 'iso'), 'viking://user/alice')),
  ).toBe('ok');
});

test('mkdir with a description writes the folder abstract; a file in the way is 409', async () => {
  expect(await fs.vfs.mkdir(alice, 'viking://resources/proj/a', 'Project A')).toEqual({
    uri: 'viking://resources/proj/a',
    description: 'Project A',
  });
  expect(await fs.vfs.abstract(alice, 'viking://resources/proj/a')).toBe('Project A');
  expect(fs.hooks.calls).toEqual([['fileWritten', 'acme', 'viking://resources/proj/a/.abstract.md']]);
  await fs.vfs.write(alice, { uri: 'viking://resources/file.md', content: 'x' });
  expect(await codeOf(fs.vfs.mkdir(alice, 'viking://resources/file.md'))).toBe('CONFLICT');
  expect(await codeOf(fs.vfs.write(alice, { uri: 'viking://resources/file.md/y', content: 'x' }))).toBe(
    'CONFLICT',
  );
  expect(await codeOf(fs.vfs.write(alice, { uri: 'viking://resources/proj', content: 'x' }))).toBe(
    'CONFLICT',
  );
});

test('rm is idempotent, needs recursive for folders, and reports removals', async () => {
  await fs.vfs.write(alice, { uri: 'viking://resources/d/f.md', content: 'x' });
  expect(await codeOf(fs.vfs.rm(alice, 'viking://resources/d'))).toBe('FAILED_PRECONDITION');
  expect(await fs.vfs.rm(alice, 'viking://resources/d', true)).toEqual({
    uri: 'viking://resources/d',
    deleted: true,
  });
  expect(await fs.vfs.rm(alice, 'viking://resources/d', true)).toEqual({
    uri: 'viking://resources/d',
    deleted: false,
  });
  expect(await codeOf(fs.vfs.rm(alice, 'viking://user/bob/missing'))).toBe('PERMISSION_DENIED');
  expect(fs.hooks.calls.filter((c) => c[0] === 'removed')).toEqual([
    ['removed', 'acme', 'viking://resources/d'],
  ]);
});

test('mv moves within one scope owner only; an existing destination is 409', async () => {
  await fs.vfs.write(alice, { uri: 'viking://user/memories/a.md', content: 'a' });
  await fs.vfs.write(alice, { uri: 'viking://resources/r.md', content: 'r' });
  const moved = await fs.vfs.mv(alice, 'viking://user/memories/a.md', 'viking://user/memories/events/a.md');
  expect(moved).toEqual({
    from_uri: 'viking://user/alice/memories/a.md',
    to_uri: 'viking://user/alice/memories/events/a.md',
    from: 'viking://user/alice/memories/a.md',
    to: 'viking://user/alice/memories/events/a.md',
  });
  expect(fs.hooks.calls.at(-1)).toEqual(['moved', 'acme', moved.from_uri, moved.to_uri]);
  expect(await fs.vfs.read(alice, moved.to_uri)).toBe('a');
  const cross = [
    ['viking://user/memories/events/a.md', 'viking://resources/a.md'],
    ['viking://resources/r.md', 'viking://agent/memories/r.md'],
    ['viking://user/memories/events/a.md', 'viking://user/bob/a.md'],
  ] as const;
  for (const [from, to] of cross) expect(await codeOf(fs.vfs.mv(alice, from, to))).toBe('PERMISSION_DENIED');
  expect(await codeOf(fs.vfs.mv(root, 'viking://user/alice/memories', 'viking://user/bob/x'))).toBe(
    'PERMISSION_DENIED',
  );
  expect(await codeOf(fs.vfs.mv(alice, 'viking://resources/r.md', 'viking://session/s/r.md'))).toBe(
    'PERMISSION_DENIED',
  );
  expect(await codeOf(fs.vfs.mv(alice, 'viking://user/bob/x', 'viking://user/b%d'))).toBe('INVALID_URI');
  await fs.vfs.write(alice, { uri: 'viking://resources/s.md', content: 's' });
  expect(await codeOf(fs.vfs.mv(alice, 'viking://resources/r.md', 'viking://resources/s.md'))).toBe(
    'ALREADY_EXISTS',
  );
  expect(await codeOf(fs.vfs.mv(alice, 'viking://resources/none', 'viking://resources/n2'))).toBe(
    'NOT_FOUND',
  );
  await fs.vfs.mkdir(alice, 'viking://resources/dir');
  expect(await codeOf(fs.vfs.mv(alice, 'viking://resources/dir', 'viking://resources/dir/sub'))).toBe(
    'INVALID_ARGUMENT',
  );
});

test('20 concurrent replace-writes leave exactly one whole version and no temp files', async () => {
  const uri = 'viking://resources/race.md';
  const versions = Array.from({ length: 20 }, (_, i) => `version ${i} `.repeat(500));
  await Promise.all(versions.map((content) => fs.vfs.write(alice, { uri, content })));
  expect(versions).toContain(await fs.vfs.read(alice, uri));
  expect((await readdir(diskPath('viking://resources'))).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual(
    [],
  );
});

test('concurrent appends lose nothing', async () => {
  const uri = 'viking://resources/log.txt';
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i}\n`);
  await Promise.all(lines.map((content) => fs.vfs.write(alice, { uri, content, mode: 'append' })));
  const text = await fs.vfs.read(alice, uri);
  expect(text.split('\n').filter(Boolean).sort()).toEqual(lines.map((l) => l.trim()).sort());
});

test('content over maxFileBytes is 413, also when an append would exceed it', async () => {
  const big = 'x'.repeat(64 * 1024 + 1);
  expect(await codeOf(fs.vfs.write(alice, { uri: 'viking://resources/big', content: big }))).toBe(
    'PAYLOAD_TOO_LARGE',
  );
  await fs.vfs.write(alice, { uri: 'viking://resources/grow', content: 'x'.repeat(60 * 1024) });
  const more = { uri: 'viking://resources/grow', content: 'y'.repeat(8 * 1024), mode: 'append' as const };
  expect(await codeOf(fs.vfs.write(alice, more))).toBe('PAYLOAD_TOO_LARGE');
  expect(await codeOf(fs.vfs.mkdir(alice, 'viking://resources/d', big))).toBe('PAYLOAD_TOO_LARGE');
});

test('binary content is stored as-is and marked not indexable', async () => {
  await fs.vfs.write(alice, { uri: 'viking://resources/b.bin', content: 'a\u0000b' });
  const stored = await readFile(diskPath('viking://resources/b.bin'));
  expect([...stored]).toEqual([0x61, 0x00, 0x62]);
  expect(isIndexableText(stored)).toBe(false);
  expect(isIndexableText(Buffer.from([0xc3, 0x28]))).toBe(false);
  expect(isIndexableText(Buffer.from('héllo ✓'))).toBe(true);
});

test('write with wait awaits the indexer', async () => {
  let waited = 0;
  const withWait = new Vfs({
    dataDir: fs.dataDir,
    hooks: fs.hooks,
    maxFileBytes: 1024,
    waitIndexed: () => Promise.resolve(void waited++),
  });
  await withWait.write(alice, { uri: 'viking://resources/w.md', content: 'x', wait: true });
  await withWait.write(alice, { uri: 'viking://resources/w.md', content: 'x' });
  expect(waited).toBe(1);
});

test('a write does not hold its content while it waits for the indexer', async () => {
  const request = { uri: 'viking://resources/held.md', content: 'the body of a large write', wait: true };
  let seen: string | undefined;
  const withWait = new Vfs({
    dataDir: fs.dataDir,
    hooks: fs.hooks,
    maxFileBytes: 1024,
    waitIndexed: () => Promise.resolve(void (seen = request.content)),
  });
  await withWait.write(alice, request);
  // Taken once encoded (WriteRequest.content): the indexer reads the file back, not this string.
  expect(seen).toBe('');
  expect(await withWait.read(alice, 'viking://resources/held.md')).toBe('the body of a large write');
});

describe('writeMany (add_resource, pack import)', () => {
  test('writes every file and reports canonical URIs; hooks run per file', async () => {
    const result = await fs.vfs.writeMany(alice, [
      { uri: 'viking://resources/kb/a.md', content: 'a' },
      { uri: 'user/memories/kb/b.md', content: 'b' },
    ]);
    expect(result.uris).toEqual(['viking://resources/kb/a.md', 'viking://user/alice/memories/kb/b.md']);
    expect(await fs.vfs.read(alice, 'viking://user/alice/memories/kb/b.md')).toBe('b');
    expect(fs.hooks.calls.map((c) => c[2])).toEqual(result.uris);
  });

  test.each([
    ['PERMISSION_DENIED', [{ uri: 'viking://user/bob/x.md', content: 'x' }]],
    ['INVALID_URI', [{ uri: 'viking://tmp/x.md', content: 'x' }]],
    ['PAYLOAD_TOO_LARGE', [{ uri: 'viking://resources/kb/big.md', content: 'x'.repeat(65 * 1024) }]],
    ['CONFLICT', [{ uri: 'viking://resources/kb/f.md/inner.md', content: 'x' }]],
    ['CONFLICT', [{ uri: 'viking://resources/kb', content: 'x' }]],
    [
      'CONFLICT',
      [
        { uri: 'viking://resources/kb2/a', content: 'x' },
        { uri: 'viking://resources/kb2/a/b', content: 'y' },
      ],
    ],
  ])('a batch with one bad file (%s) writes nothing', async (code, bad) => {
    await fs.vfs.write(root, { uri: 'viking://resources/kb/f.md', content: 'existing' });
    const calls = fs.hooks.calls.length;
    const files = [{ uri: 'viking://resources/kb/fresh.md', content: 'fresh' }, ...bad];
    expect(await codeOf(fs.vfs.writeMany(alice, files))).toBe(code);
    expect(await codeOf(fs.vfs.stat(root, 'viking://resources/kb/fresh.md'))).toBe('NOT_FOUND');
    expect(fs.hooks.calls.length).toBe(calls);
  });
});
