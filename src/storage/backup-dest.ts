/**
 * Where a backup may be written, decided before anything is copied (and before the server holds its
 * write gate): a new folder on a real directory tree — not under /proc, /sys or /dev (Node's
 * recursive mkdir spins forever on `/proc/self/x`), not inside the store it copies, also not through
 * a symlink into it. Missing parent folders are created one level at a time (never recursively),
 * each under a directory whose real path was checked. Every refusal is a 400 naming its rule.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, realpath, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { settlesWithin } from '../deadline.js';
import { AppError, errnoOf, isAppError } from '../errors.js';
import { DIR_MODE } from './modes.js';

/** Kernel and device trees: not storage, and some (procfs) make Node's mkdir loop. */
const SYSTEM_TREES = ['/proc', '/sys', '/dev'];

/** A destination checked and prepared: `temp` exists (empty) and is renamed to `target` at the end. */
export interface PreparedDest {
  readonly target: string;
  readonly temp: string;
}

export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep);
}

const within = (path: string, root: string) => path === root || isInside(path, root);

function refused(rule: string, dest: string): AppError {
  return new AppError('INVALID_ARGUMENT', `backup destination refused: ${rule}`, { dest });
}

/** A path's real location when it exists; its resolved form otherwise. */
async function realOrResolved(path: string): Promise<string> {
  return realpath(path).catch(() => resolve(path));
}

/** The deepest existing ancestor of `path` (lstat: a symlink counts as existing) and the rest. */
async function deepestExisting(path: string): Promise<{ existing: string; rest: string[] }> {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    const found = await lstat(current).then(
      () => true,
      (error: unknown) => {
        // ENOTDIR: an ancestor is a file, which the walk up reports by name.
        if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return false;
        throw error;
      },
    );
    if (found) return { existing: current, rest };
    const parent = dirname(current);
    if (parent === current) return { existing: current, rest };
    rest.unshift(basename(current));
    current = parent;
  }
}

/** Throws when `real` (a real path) lies in a system tree or in one of `stores`. */
function checkPlace(real: string, stores: readonly string[], dest: string): void {
  if (SYSTEM_TREES.some((tree) => within(real, tree))) {
    throw refused('it may not be under /proc, /sys or /dev', dest);
  }
  if (stores.some((store) => within(real, store))) {
    throw refused('it may not be inside the store it copies (also not through a symlink)', dest);
  }
}

async function prepare(dest: string, storeDirs: readonly string[]): Promise<PreparedDest> {
  const target = resolve(dest);
  const stores = [...storeDirs.map((d) => resolve(d)), ...(await Promise.all(storeDirs.map(realOrResolved)))];
  checkPlace(target, stores, dest);
  const { existing, rest } = await deepestExisting(target);
  if (rest.length === 0) throw new AppError('ALREADY_EXISTS', `${target} already exists`, { dest: target });
  const real = await realpath(existing);
  if (!(await stat(real)).isDirectory()) throw refused(`${existing} is not a directory`, dest);
  checkPlace(join(real, ...rest), stores, dest);
  let parent = real;
  for (const segment of rest.slice(0, -1)) {
    parent = join(parent, segment);
    // Made just now by someone else is fine; the copy's own folder below must be new.
    await mkdir(parent).catch((error: unknown) => {
      if (errnoOf(error) !== 'EEXIST') throw error;
    });
  }
  const temp = join(parent, `.${rest.at(-1) ?? 'backup'}.partial-${randomBytes(4).toString('hex')}`);
  // The copy holds every tenant's data: owner-only like DATA_DIR.
  await mkdir(temp, DIR_MODE);
  return { target: join(real, ...rest), temp };
}

/** A system error while preparing: the caller's to fix (400, or 412 for permissions and read-only disks). */
function prepareError(error: unknown, dest: string): unknown {
  const code = errnoOf(error);
  if (isAppError(error) || code === undefined) return error;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC') {
    return new AppError('FAILED_PRECONDITION', `cannot create ${dest} (${code})`, {
      path: dest,
      errno: code,
    });
  }
  return refused(`it is not a usable directory path (${code})`, dest);
}

/**
 * Checks `dest` and creates its temporary sibling folder within `timeoutMs` (DEADLINE_EXCEEDED
 * after; a preparation that finishes later removes its folder). `storeDirs` are DATA_DIR and the
 * index folder.
 */
export async function prepareBackupDest(
  dest: string,
  storeDirs: readonly string[],
  timeoutMs: number,
): Promise<PreparedDest> {
  const work = prepare(dest, storeDirs).catch((error: unknown) => {
    throw prepareError(error, dest);
  });
  if (!(await settlesWithin(work, timeoutMs))) {
    void work.then((late) => rm(late.temp, { recursive: true, force: true })).catch(() => undefined);
    throw new AppError(
      'DEADLINE_EXCEEDED',
      `the backup destination did not answer within ${timeoutMs / 1000} s`,
      {
        timeout_s: timeoutMs / 1000,
      },
    );
  }
  return work;
}
