/**
 * Child-process contender for the DATA_DIR lock (src/storage/lock.test.ts), run through
 * ts-register.mjs: `lock-child.ts take <dataDir> <startAtMs> <holdMs>` waits until `startAtMs`, takes
 * the lock with lockDataDir, prints `won` or `lost`, and holds a won lock for `holdMs`.
 * `lock-child.ts mid-create <dataDir> <holdMs>` plays a contender caught while it creates the lock
 * file: under the lock's guard the file exists but is still empty (`ready` is printed), and only
 * 500 ms later holds its pid; the child then keeps the lock for `holdMs`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { LOCK_FILE, lockDataDir, lockGuardPath } from '../../src/storage/lock.js';

const [mode, dataDir = '', ...rest] = process.argv.slice(2);

if (mode === 'take') {
  const [startAt = '0', hold = '0'] = rest;
  await sleep(Math.max(0, Number(startAt) - Date.now()));
  try {
    const release = await lockDataDir(dataDir);
    process.stdout.write('won\n');
    await sleep(Number(hold));
    await release();
  } catch {
    process.stdout.write('lost\n');
  }
} else if (mode === 'mid-create') {
  const path = join(dataDir, LOCK_FILE);
  const release = await lockfile.lock(path, { lockfilePath: lockGuardPath(dataDir), realpath: false });
  await writeFile(path, '', { flag: 'wx' });
  process.stdout.write('ready\n');
  await sleep(500);
  await writeFile(path, String(process.pid));
  await release();
  await sleep(Number(rest[0] ?? '0'));
}
