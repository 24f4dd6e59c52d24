/**
 * Crash-safe file primitives: atomic replace (temp file + fsync + rename), folder creation confined
 * below a root that must already exist, and a keyed async mutex.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { AppError, errnoOf } from '../errors.js';
import { DIR_MODE, FILE_MODE } from './modes.js';

/** Prefix of temporary files; listings must hide names starting with it. */
export const TEMP_PREFIX = '.vs-tmp-';

/**
 * Creates `dir` and its missing parents, but never `root` or anything above it: if `root` is gone,
 * `NOT_FOUND`. Tenant data is written this way so that a request still in flight when its account
 * is deleted (the account folder renamed away) cannot re-create the account's folder, which a later
 * account with the same id would inherit. Each level is created without `recursive`, so a removed
 * root can never come back between a check and the creation.
 */
export async function mkdirWithin(root: string, dir: string): Promise<void> {
  const rel = relative(root, dir);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`)) {
    throw new Error(`${dir} is not below ${root}`);
  }
  try {
    await mkdir(dir, DIR_MODE);
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return;
    if (errnoOf(error) !== 'ENOENT') throw error;
    const parent = dirname(dir);
    if (parent === root) throw new AppError('NOT_FOUND', 'the account no longer exists');
    await mkdirWithin(root, parent);
    await mkdir(dir, DIR_MODE).catch((again: unknown) => {
      if (errnoOf(again) !== 'EEXIST') throw again;
    });
  }
}

export interface WriteOptions {
  /** Create missing parent folders only below this existing folder (see {@link mkdirWithin}). */
  readonly within?: string;
  /** Never replace an existing entry: fails with EEXIST instead (a hard link, atomic as a rename). */
  readonly exclusive?: boolean;
}

/**
 * Writes `data` to `path` atomically: readers see the old or the new content, never a mix, and a
 * failed write leaves neither a partial file nor its temporary file.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteOptions = {},
): Promise<void> {
  if (options.within === undefined) await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
  else if (dirname(path) !== options.within) await mkdirWithin(options.within, dirname(path));
  const temp = join(dirname(path), `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(temp, 'w', FILE_MODE);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive === true) {
      await link(temp, path);
      await rm(temp, { force: true });
    } else await rename(temp, path);
  } catch (error) {
    // Whatever failed (a full disk fails the write, not the open), no temporary file is left behind.
    // On a read-only disk the removal fails as well; the error that matters is the first one.
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** Serialises async work per key (one process owns a DATA_DIR). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
