/** The limits of one grep (files, bytes, matching time, matches) and the `truncated` flag they set. */
import { KeyedMutex } from '../../src/storage/atomic.js';
import type { FsCore } from '../../src/fs/store.js';
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
    dataDir: fs.dataDir,
    hooks: fs.hooks,
    maxFileBytes: 4 * 1024 * 1024,
    sessionMessages: undefined,
    waitIndexed: undefined,
    mutex: new KeyedMutex(),
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
