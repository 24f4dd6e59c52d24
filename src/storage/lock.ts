/**
 * One process owns a DATA_DIR: the server and the offline scripts (bulk indexer, re-index) take an
 * exclusive pid lock so they never write the same files and index at once. A lock left by a dead
 * process is taken over.
 * Two starts at once must not both win (issue 27): the lock file appears with its pid already in it
 * (written to a temporary file and hard-linked into place, which fails if a lock exists), so no one
 * ever reads a half-made lock as "pid 0, stale"; and the look at the holder and the take-over happen
 * under a short `proper-lockfile` guard (an atomic `mkdir`, stale after a few seconds if its holder
 * died), so two processes never both remove a stale lock and then each create their own.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { AppError, errnoOf } from '../errors.js';
import { TEMP_PREFIX } from './atomic.js';
import { DIR_MODE, FILE_MODE, restrictDir } from './modes.js';

/** The lock file's name inside DATA_DIR (a backup leaves it out). */
export const LOCK_FILE = '.vikingscope.lock';

/** Where the guard of `dataDir`'s lock is made (a temporary name: backups leave it out). */
export function lockGuardPath(dataDir: string): string {
  return join(dataDir, `${TEMP_PREFIX}lock-guard`);
}

/** The guard is held for milliseconds; one left by a killed process is broken after `stale` ms. */
const guard = (dataDir: string) => ({
  lockfilePath: lockGuardPath(dataDir),
  realpath: false,
  stale: 5_000,
  retries: { retries: 80, minTimeout: 20, maxTimeout: 200 },
  // Held far shorter than its refresh interval; a guard broken meanwhile changes nothing held.
  onCompromised: () => undefined,
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM';
  }
}

/** Creates the lock file with our pid in it, in one step; false if a lock file exists. */
async function createLock(path: string): Promise<boolean> {
  const temp = join(dirname(path), `${TEMP_PREFIX}lock-${randomBytes(6).toString('hex')}`);
  await writeFile(temp, String(process.pid), { mode: FILE_MODE });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/** The pid in the lock file, or 0 when there is none or it is unreadable (a crash's leftover). */
async function holderOf(path: string): Promise<number> {
  const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

/** Takes the lock of `dataDir`; resolves to its release function. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true, mode: DIR_MODE });
  // A DATA_DIR made before files were owner-only (or by hand) becomes owner-only too; one the
  // process does not own (a mounted volume's root) keeps its mode rather than stop the server.
  await restrictDir(dataDir).catch(() => undefined);
  const path = join(dataDir, LOCK_FILE);
  const releaseGuard = await lockfile.lock(path, guard(dataDir));
  try {
    if (!(await createLock(path))) {
      const pid = await holderOf(path);
      if (pid !== 0 && pid !== process.pid && alive(pid)) {
        throw new AppError('FAILED_PRECONDITION', `DATA_DIR ${dataDir} is in use by process ${pid}`, {
          data_dir: dataDir,
          holder_pid: pid,
        });
      }
      await rm(path, { force: true });
      if (!(await createLock(path))) {
        throw new AppError('FAILED_PRECONDITION', `could not lock DATA_DIR ${dataDir}`);
      }
    }
  } finally {
    await releaseGuard().catch(() => undefined);
  }
  return () => rm(path, { force: true });
}
