/** The limits of one grep (files, bytes, matching time, matches) and the `truncated` flag they set. */
import { LocalFileStorage } from '../../src/storage/local-files.js';
import type { FsCore } from '../../src/fs/core.js';
import { grep, GREP_LIMITS, type GrepLimits } from '../../src/fs/search.js';
import { createTestFs, ctxOf, type TestFs } from '../helpers/vfs.js';

const alice = ctxOf('user', 'alice');

let fs: TestFs;
let core: FsCore;
beforeEach(async () => {
  fs = await createTestFs({ maxFileBytes: 4 * 1024 * 1024 });
  await fs.vfs.initAccount('acme');
  await fs.vfs.ensureIdentity(alice);
  core = {
    storage: new LocalFileStorage(fs.dataDir),
    hooks: fs.hooks,
    maxFileBytes: 4 * 1024 * 1024,
    sessionMessages: undefined,
    waitIndexed: undefined,
  };
});
afterEach(() => fs.cleanup());

const limits = (overrides: Partial<GrepLimits>): GrepLimits => ({ ...GREP_LIMITS, ...overrides });
const grepIn = (uri: string, pattern: string, options: Partial<GrepLimits>, nodeLimit?: number) =>
  grep(core, alice, { uri, pattern, ...(nodeLimit === undefined ? {} : { nodeLimit }) }, limits(options));

async function writeFiles(count: number, content: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    await fs.vfs.write(alice, { uri: `viking://resources/many/f${i}.md`, content });
  }
}

test('node_limit is capped at the matches limit, without truncated (the caller asked for it)', async () => {
  await fs.vfs.write(alice, { uri: 'viking://resources/x.md', content: 'x\n'.repeat(50) });
  const capped = await grepIn('viking://resources/x.md', 'x', { matches: 10 }, 100);
  expect(capped).toEqual({ matches: expect.any(Array), count: 10 });
  const all = await grepIn('viking://resources/x.md', 'x', {}, 100);
  expect(all.count).toBe(50);
});

test('the files limit stops the walk and says truncated', async () => {
  await writeFiles(5, 'hit\n');
  const some = await grepIn('viking://resources/many', 'hit', { files: 3 });
  expect(some).toMatchObject({ count: 3, truncated: true });
  const every = await grepIn('viking://resources/many', 'hit', { files: 5 });
  expect(every).toEqual({ matches: expect.any(Array), count: 5 });
});

test('the bytes limit stops before the file that would pass it, and says truncated', async () => {
  await writeFiles(4, `${'hit'.padEnd(99, '.')}\n`); // 100 bytes each
  const some = await grepIn('viking://resources/many', 'hit', { bytes: 250 });
  expect(some).toMatchObject({ count: 2, truncated: true });
  expect(await grepIn('viking://resources/many', 'hit', { bytes: 400 })).not.toHaveProperty('truncated');
});

test('grep gives the event loop back between slices, and its time budget stops it (truncated)', async () => {
  const lines = ['a first line', 'a match', 'a match'];
  await fs.vfs.write(alice, { uri: 'viking://resources/lines.md', content: lines.join('\n') });
  let ticks = 0;
  let ticking = true;
  const tick = (): void => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  // A slice of 0 ms: a pause after every line, during which the ticker runs.
  const all = await grepIn('viking://resources/lines.md', 'match', { sliceMs: 0 });
  const ticksDuringGrep = ticks;
  ticking = false;
  expect(all.count).toBe(2);
  expect(ticksDuringGrep).toBeGreaterThanOrEqual(lines.length);
  // No matching time at all: stopped at the first pause, after the first line.
  const stopped = await grepIn('viking://resources/lines.md', 'match', { sliceMs: 0, matchMs: 0 });
  expect(stopped).toEqual({ matches: [], count: 0, truncated: true });
});

test.each([
  ['crlf', 'one\r\ntwo\r\n', '^two$'],
  ['lone cr kept', 'a\rb\nc', 'a\rb'],
  ['empty last line', 'x\n', '^$'],
  ['no newline', 'only', 'only'],
  ['empty lines', '\n\nz\n\n', '^$'],
  ['multibyte', 'é\n😀 ok\nfin', '😀'],
])('lines are split and numbered as text.split(/\\r?\\n/) did (%s)', async (_, content, pattern) => {
  await fs.vfs.write(alice, { uri: 'viking://resources/t.md', content });
  const found = await grepIn('viking://resources/t.md', pattern, {});
  const expected = content
    .split(/\r?\n/)
    .map((line, i) => ({ uri: 'viking://resources/t.md', line: i + 1, content: line }))
    .filter((m) => new RegExp(pattern, 'u').test(m.content));
  expect(found).toEqual({ matches: expected, count: expected.length });
});

test('long lines: the first 8,192 characters are matched, the whole line returned', async () => {
  const long = `${'é'.repeat(8191)}X${'y'.repeat(30_000)}Z`;
  await fs.vfs.write(alice, { uri: 'viking://resources/long.md', content: `${long}\nshort X\n` });
  const x = await grepIn('viking://resources/long.md', 'X', {});
  expect(x.matches.map((m) => [m.line, m.content])).toEqual([
    [1, long],
    [2, 'short X'],
  ]);
  expect((await grepIn('viking://resources/long.md', 'Z', {})).count).toBe(0);
});

test('a large file (read when its turn comes, not ahead) is matched in walk order', async () => {
  await fs.vfs.write(alice, { uri: 'viking://resources/many/a.md', content: 'hit a\n' });
  const big = `${'filler line\n'.repeat(150_000)}hit big\n`; // 1.8 MB
  await fs.vfs.write(alice, { uri: 'viking://resources/many/b.md', content: big });
  await fs.vfs.write(alice, { uri: 'viking://resources/many/c.md', content: 'hit c\n' });
  const found = await grepIn('viking://resources/many', 'hit', {});
  expect(found.matches.map((m) => [m.uri.split('/').pop(), m.line])).toEqual([
    ['a.md', 1],
    ['b.md', 150_001],
    ['c.md', 1],
  ]);
});
