/**
 * Issue 23, item 8: a backup's destination is checked before anything is copied, and before the
 * write gate is taken: /proc, /sys and /dev, a path into the store (also through a symlink) and a
 * path below a file are 400s naming the rule, never a hang or a 500; missing parents are still made.
 */
import { readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fullApp, type FullApp } from '../helpers/full-app.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeBackup } from '../../src/storage/snapshot.js';

const work = tempDir('vs-backup-dest-');
let full: FullApp;

beforeAll(async () => {
  full = await fullApp({ accounts: [{ account_id: 'acme', users: ['alice'] }] });
});
afterAll(async () => {
  await full.close();
  work.remove();
});

/** The backup's answer, or 'no answer' after 5 s (the old code never answered for /proc). */
async function backup(dest: string): Promise<{ status: number; body: unknown } | 'no answer'> {
  const answer = full.root().post('/api/v1/system/backup').send({ dest });
  const res = await Promise.race([answer.then((r) => r), sleep(5000, 'no answer' as const)]);
  return res === 'no answer' ? res : { status: res.status, body: res.body as unknown };
}

test.each([
  ['/proc/self/x', 'under /proc, /sys or /dev'],
  ['/proc/self/cwd/x', 'under /proc, /sys or /dev'],
  ['/sys/vikingscope-backup', 'under /proc, /sys or /dev'],
  ['/dev/shm/vikingscope-backup', 'under /proc, /sys or /dev'],
])('%s is refused with 400 at once', async (dest, rule) => {
  const res = await backup(dest);
  expect(res).not.toBe('no answer');
  expect(res).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
  expect(JSON.stringify(res)).toContain(rule);
});

test('a destination reached through a symlink into the store is a 400, not a 500', async () => {
  const link = join(work.path, 'store-link');
  await symlink(full.dataDir, link);
  for (const dest of [join(link, 'copy'), join(link, 'fs', 'deeper', 'copy')]) {
    const res = await backup(dest);
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    expect(JSON.stringify(res)).toContain('inside the store');
  }
});

test('a destination below a file is a 400; missing parent folders are made', async () => {
  const file = join(work.path, 'a-file');
  await writeFile(file, 'x');
  const below = await backup(join(file, 'copy'));
  expect(below).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
  expect(JSON.stringify(below)).toContain('not a directory');
  const nested = join(work.path, 'new', 'deeper', 'copy');
  expect(await backup(nested)).toMatchObject({ status: 200 });
  expect(await readdir(nested)).toEqual(expect.arrayContaining(['data', 'manifest.json']));
});

test('the destination is prepared before the snapshot moment; only the copy is held', async () => {
  const parent = join(work.path, 'held');
  let seen: string[] = [];
  await writeBackup(
    { dataDir: full.dataDir, lancedbUri: join(full.dataDir, 'lancedb') },
    join(parent, 'copy'),
    {
      hold: async (copy) => {
        seen = await readdir(parent);
        await copy();
      },
    },
  );
  expect(seen).toEqual([expect.stringMatching(/^\.copy\.partial-/)]);
  expect(await readdir(parent)).toEqual(['copy']);
});
