/**
 * The offline scripts end to end (`npm run bulk-index`, `npm run reindex`): the compiled scripts run
 * in a child process against a temporary DATA_DIR (builtin embedder); afterwards the same DATA_DIR
 * is opened in-process through `buildServices` to check what the filesystem and the index hold.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IndexStore } from '../../src/index/store.js';
import { lockDataDir } from '../../src/storage/lock.js';
import { buildProject } from '../helpers/compiled.js';
import {
  checkpointCount,
  runScript as runCompiled,
  summaryOf,
  urisUnder,
  withServices,
  writeJsonl,
} from '../helpers/offline-scripts.js';
import { TINY_DIMENSION, writeTinyModel } from '../helpers/tiny-model.js';
import { tempDir } from '../helpers/temp-dir.js';

const work = tempDir('vs-bulk-');
let build: { path: string; remove: () => void };
// The child runs the compiled script, as `npm run bulk-index` does.
beforeAll(() => {
  build = buildProject();
}, 60_000);
afterAll(() => {
  work.remove();
  build.remove();
});

const runScript = (
  script: 'bulk-index' | 'reindex',
  dataDir: string,
  args: readonly string[],
  env: Record<string, string> = {},
) => runCompiled(build.path, script, dataDir, args, env);
const runBulk = (
  dataDir: string,
  args: readonly string[],
  env: Record<string, string> = {},
  watch?: (done: number | null, child: ChildProcess) => void,
) => runCompiled(build.path, 'bulk-index', dataDir, args, env, watch);

const identity = ['--account', 'default', '--user', 'alice', '--agent', 'bot'];

test('a folder and a JSONL file are imported, readable through the filesystem and found by search', async () => {
  const dataDir = join(work.path, 'import');
  const folder = join(work.path, 'folder');
  mkdirSync(join(folder, 'sub'), { recursive: true });
  for (let i = 0; i < 30; i++)
    writeFileSync(join(folder, 'sub', `f${i}.md`), `note ${i} mentions quokka${i}\n`);
  writeFileSync(join(folder, 'logo.bin'), Buffer.from([0x89, 0x50, 0x00, 0xff, 0xfe]));
  writeFileSync(join(folder, 'big.md'), 'x'.repeat(2000));
  const jsonl = join(work.path, 'docs.jsonl');
  writeFileSync(
    jsonl,
    [
      JSON.stringify({ uri: 'a.md', content: 'alpha wombat' }),
      JSON.stringify({ uri: 'viking://user/alice/notes/n.md', content: 'private numbat' }),
      '{not json',
    ].join('\n'),
  );

  const folderArgs = [...identity, '--target', 'viking://resources/docs', '--json', folder];
  const small = { MAX_FILE_BYTES: '1024' };
  const fromFolder = await runBulk(dataDir, folderArgs, small);
  expect(fromFolder.code).toBe(0);
  expect(summaryOf(fromFolder)).toMatchObject({ total: 32, written: 30, skipped: 2, failed: 0 });
  expect(summaryOf(fromFolder).issues).toEqual([
    expect.objectContaining({ key: 'big.md', reason: 'too_large' }),
    expect.objectContaining({ key: 'logo.bin', reason: 'binary' }),
  ]);
  expect(summaryOf(fromFolder).records_after - summaryOf(fromFolder).records_before).toBe(30);

  const fromJsonl = await runBulk(dataDir, [
    ...identity,
    '--target',
    'viking://resources/j',
    '--json',
    jsonl,
  ]);
  expect(fromJsonl.code).toBe(1); // the bad line fails, the others are written
  expect(summaryOf(fromJsonl)).toMatchObject({ total: 3, written: 2, failed: 1 });
  expect(summaryOf(fromJsonl).issues).toEqual([
    expect.objectContaining({ key: 'line 3', reason: 'INVALID_LINE' }),
  ]);

  await withServices(dataDir, async (services, ctx) => {
    expect(await services.vfs.read(ctx, 'viking://resources/docs/sub/f7.md')).toBe(
      'note 7 mentions quokka7\n',
    );
    expect(await services.vfs.read(ctx, 'viking://resources/j/a.md')).toBe('alpha wombat');
    expect(await services.vfs.read(ctx, 'viking://user/alice/notes/n.md')).toBe('private numbat');
    expect(await urisUnder(services, 'viking://resources/docs')).toHaveLength(30);
    const found = await services.search.search(ctx, { query: 'quokka17', limit: 3, mode: 'hybrid' });
    expect(found.resources[0]?.uri).toBe('viking://resources/docs/sub/f17.md');
  });

  // A re-run writes only what changed since; --restart writes everything again.
  writeFileSync(join(folder, 'sub', 'f3.md'), 'note 3 was edited\n');
  const again = await runBulk(dataDir, folderArgs, small);
  expect(summaryOf(again)).toMatchObject({ written: 1, already_done: 29, skipped: 2 });
  const restarted = await runBulk(dataDir, [...folderArgs, '--restart'], small);
  expect(summaryOf(restarted)).toMatchObject({ written: 30, already_done: 0 });
}, 90_000);

test('an interrupted import (SIGINT, then SIGKILL) resumes without re-writing finished documents', async () => {
  const dataDir = join(work.path, 'resume');
  const jsonl = join(work.path, 'many.jsonl');
  const COUNT = 600;
  writeJsonl(jsonl, COUNT);
  const args = [
    ...identity,
    '--target',
    'viking://resources/many',
    '--checkpoint-every',
    '10',
    '--json',
    jsonl,
  ];
  const slow = ['--concurrency', '1', ...args];

  // Ctrl-C: the writes in flight finish and the checkpoint holds exactly what was written.
  let signalled = false;
  const first = await runBulk(dataDir, slow, {}, (done, child) => {
    if (!signalled && done !== null && done >= 10) signalled = child.kill('SIGINT');
  });
  expect(first.code).toBe(130);
  const s1 = summaryOf(first);
  expect(s1.interrupted).toBe(true);
  expect(s1.written).toBeLessThan(COUNT);
  expect(checkpointCount(dataDir)).toBe(s1.written);

  // kill -9: only the checkpoint saved before the kill counts.
  let killed = false;
  const second = await runBulk(dataDir, slow, {}, (done, child) => {
    if (!killed && done !== null && done >= s1.written + 30) killed = child.kill('SIGKILL');
  });
  expect(second.signal).toBe('SIGKILL');
  const saved = checkpointCount(dataDir) ?? 0;
  expect(saved).toBeGreaterThanOrEqual(s1.written + 30);
  expect(saved).toBeLessThan(COUNT);

  const third = await runBulk(dataDir, ['--concurrency', '8', ...args]);
  expect(third.code).toBe(0);
  expect(summaryOf(third)).toMatchObject({
    total: COUNT,
    already_done: saved,
    written: COUNT - saved,
    failed: 0,
  });
  expect(checkpointCount(dataDir)).toBe(COUNT);

  await withServices(dataDir, async (services, ctx) => {
    const expected = Array.from({ length: COUNT }, (_, i) => `viking://resources/many/d${i}.md`).sort();
    expect(await urisUnder(services, 'viking://resources/many')).toEqual(expected);
    expect(await services.vfs.read(ctx, 'viking://resources/many/d599.md')).toBe('doc 599');
  });
}, 90_000);

test("a user cannot bulk-write into another user's scope: every document is a 403 failure", async () => {
  const dataDir = join(work.path, 'denied');
  const folder = join(work.path, 'three');
  mkdirSync(folder, { recursive: true });
  for (const name of ['a.md', 'b.md', 'c.md']) writeFileSync(join(folder, name), name);
  const run = await runBulk(dataDir, [...identity, '--target', 'viking://user/bob/notes', '--json', folder]);
  expect(run.code).toBe(1);
  const summary = summaryOf(run);
  expect(summary).toMatchObject({ total: 3, written: 0, failed: 3 });
  expect(summary.issues.map((i) => i.reason)).toEqual([
    'PERMISSION_DENIED',
    'PERMISSION_DENIED',
    'PERMISSION_DENIED',
  ]);
  expect(existsSync(join(dataDir, 'fs/default/user/bob/notes'))).toBe(false);
}, 90_000);

test('bad arguments, unknown accounts and users, and a locked DATA_DIR end with clear messages', async () => {
  const dataDir = join(work.path, 'errors');
  const jsonl = join(work.path, 'one.jsonl');
  writeJsonl(jsonl, 1);
  const [noUser, unknownAccount, unknownUser, badTarget] = await Promise.all([
    runBulk(dataDir, ['--account', 'default', jsonl]),
    runBulk(dataDir, ['--account', 'nope', '--user', 'alice', jsonl], { ROOT_API_KEY: 'root-key' }),
    runBulk(join(work.path, 'errors2'), [...identity, jsonl], { ROOT_API_KEY: 'root-key' }),
    runBulk(join(work.path, 'errors3'), [...identity, '--target', 'viking://tmp/x', jsonl]),
  ]);
  expect([noUser.code, noUser.stderr]).toEqual([2, expect.stringContaining('--user is required')]);
  expect([unknownAccount.code, unknownAccount.stderr]).toEqual([
    2,
    expect.stringContaining("account 'nope' not found"),
  ]);
  expect([unknownUser.code, unknownUser.stderr]).toEqual([
    2,
    expect.stringContaining("user 'alice' is not registered"),
  ]);
  expect([badTarget.code, badTarget.stderr]).toEqual([2, expect.stringContaining('--target viking://tmp/x')]);

  const release = await lockDataDir(dataDir);
  try {
    const locked = await runBulk(dataDir, [...identity, '--target', 'viking://resources/x', jsonl]);
    expect(locked.code).toBe(3);
    expect(locked.stderr).toContain(`in use by process ${process.pid}`);
    expect(locked.stderr).toContain('stop the server');
  } finally {
    await release();
  }
}, 90_000);

test('reindex rebuilds from the filesystem, from scratch when the embedder changed', async () => {
  const dataDir = join(work.path, 'reindex');
  const jsonl = join(work.path, 'five.jsonl');
  writeJsonl(jsonl, 5);
  expect((await runBulk(dataDir, [...identity, '--target', 'viking://resources/r', jsonl])).code).toBe(0);
  const model = writeTinyModel(work.path);
  const other = { EMBEDDER: 'transformers', EMBEDDING_MODEL: model };

  const oneAccount = await runScript('reindex', dataDir, ['default'], other);
  expect(oneAccount.code).toBe(1);
  expect(oneAccount.stderr).toContain('npm run reindex');

  const all = await runScript('reindex', dataDir, [], other);
  expect([all.code, all.stderr]).toEqual([0, '']);
  expect(all.stdout).toMatch(/^reindexed 1 account\(s\); 5 records with transformers:/);
  expect((await IndexStore.storedIdentity(join(dataDir, 'lancedb')))?.dimension).toBe(TINY_DIMENSION);

  const back = await runScript('reindex', dataDir, ['--reset']);
  expect(back.stdout).toBe('reindexed 1 account(s); 5 records with builtin:hash-v1-384\n');
  const release = await lockDataDir(dataDir);
  try {
    const locked = await runScript('reindex', dataDir, []);
    expect([locked.code, locked.stderr]).toEqual([3, expect.stringContaining('stop the server')]);
  } finally {
    await release();
  }
}, 90_000);
