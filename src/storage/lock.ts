/**
 * One process owns a DATA_DIR: the server and the offline scripts (bulk indexer, re-index) take an
 * exclusive pid lock so they never write the same files and index at once. A lock left by a dead
 * process is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { DIR_MODE, FILE_MODE, restrictDir } from './modes.js';
import { join } from 'node:path';
import { AppError, errnoOf } from '../errors.js';

/** The lock file's name inside DATA_DIR (a backup leaves it out). */
export const LOCK_FILE = '.vikingscope.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM';
  }
}

/** Takes the lock of `dataDir`; resolves to its release function. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true, mode: DIR_MODE });
  // A DATA_DIR made before files were owner-only (or by hand) becomes owner-only too; one the
  // process does not own (a mounted volume's root) keeps its mode rather than stop the server.
  await restrictDir(dataDir).catch(() => undefined);
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx', mode: FILE_MODE });
      return () => rm(path, { force: true });
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new AppError('FAILED_PRECONDITION', `DATA_DIR ${dataDir} is in use by process ${pid}`, {
        data_dir: dataDir,
        holder_pid: pid,
      });
    }
    await rm(path, { force: true });
  }
  throw new AppError('FAILED_PRECONDITION', `could not lock DATA_DIR ${dataDir}`);
}
