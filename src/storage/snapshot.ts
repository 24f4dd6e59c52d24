/**
 * Backup and restore of a whole DATA_DIR: files, account registry, index journal and the LanceDB
 * index, copied as they are. Consistency is the caller's job (nothing may change while a copy is
 * taken: the server holds its write gate and pauses the indexer, an offline script holds the
 * DATA_DIR lock). Layout of a backup folder:
 *
 *   manifest.json   {format, format_version, created_at, version}
 *   data/           DATA_DIR without its lock and temporary files (and without the index)
 *   lancedb/        the LanceDB folder
 *
 * Both directions build into a temporary sibling and rename it into place at the end, so an
 * interrupted backup or restore leaves no half-written destination. A backup's destination is checked
 * and prepared first (src/storage/backup-dest.ts), and only the copy runs at the snapshot moment,
 * bounded by a deadline.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { settlesWithin } from '../deadline.js';
import { AppError, errnoOf } from '../errors.js';
import { VERSION } from '../version.js';
import { TEMP_PREFIX } from './atomic.js';
import { isInside, prepareBackupDest } from './backup-dest.js';
import { FILE_MODE } from './modes.js';
import { LOCK_FILE } from './lock.js';

const FORMAT = 'vikingscope-backup';
export const manifestSchema = z.object({
  format: z.literal(FORMAT),
  format_version: z.literal(1),
  created_at: z.string(),
  version: z.string(),
});
export type BackupManifest = z.infer<typeof manifestSchema>;

export interface StoreLocation {
  readonly dataDir: string;
  /** LANCEDB_URI: must be a local folder (object storage is backed up by its own means). */
  readonly lancedbUri: string;
}

/** The local folder of a LanceDB URI, or FAILED_PRECONDITION for object storage. */
function localIndexDir(lancedbUri: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(lancedbUri) && !lancedbUri.startsWith('file://')) {
    throw new AppError(
      'FAILED_PRECONDITION',
      `the index is not on a local disk (${lancedbUri}): back it up with the storage's own tools`,
    );
  }
  return resolve(lancedbUri.replace(/^file:\/\//, ''));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A temporary sibling of `path` (same filesystem, so it can be renamed into place). */
function siblingOf(path: string, what: string): string {
  return join(dirname(path), `.${basename(path)}.${what}-${randomBytes(4).toString('hex')}`);
}

/** Copies `from` to `to`, leaving out the paths `skip` refuses. */
async function copyTree(from: string, to: string, skip: (path: string) => boolean = () => false) {
  await cp(from, to, {
    recursive: true,
    errorOnExist: true,
    force: false,
    verbatimSymlinks: true,
    filter: (source) => !skip(source),
  });
}

/** How long the destination may take to be checked and prepared (a hung mount answers 504). */
const PREPARE_TIMEOUT_MS = 10_000;
/** How long the copy itself may take (while a server holds its write gate for it). */
const COPY_TIMEOUT_MS = 10 * 60_000;

export interface BackupOptions {
  /**
   * Runs `copy` at the snapshot moment (a server holds its write gate and pauses its indexer); only
   * the copy of the store runs inside it — checking and preparing the destination come before,
   * writing the manifest and renaming the folder into place after.
   */
  readonly hold?: (copy: () => Promise<void>) => Promise<void>;
  readonly prepareTimeoutMs?: number;
  readonly copyTimeoutMs?: number;
}

/** Copies DATA_DIR (without its lock, temporary files and the index) and the index into `temp`. */
async function copyStore(dataDir: string, indexDir: string, temp: string): Promise<void> {
  const skip = (path: string): boolean =>
    path === join(dataDir, LOCK_FILE) || path === indexDir || basename(path).startsWith(TEMP_PREFIX);
  await copyTree(dataDir, join(temp, 'data'), skip);
  if (await exists(indexDir)) await copyTree(indexDir, join(temp, 'lancedb'));
}

/**
 * `copy` within `timeoutMs`, else DEADLINE_EXCEEDED at once (the hold ends, so a server's writes go
 * on); a copy still running then is removed once it ends, never renamed into place.
 */
async function bounded(copy: Promise<void>, temp: string, timeoutMs: number): Promise<void> {
  if (await settlesWithin(copy, timeoutMs)) return copy;
  void copy.finally(() => rm(temp, { recursive: true, force: true })).catch(() => undefined);
  throw new AppError('DEADLINE_EXCEEDED', `the backup copy took longer than ${timeoutMs / 1000} s`, {
    timeout_s: timeoutMs / 1000,
  });
}

/**
 * Copies the store at `location` into the new folder `dest` (see src/storage/backup-dest.ts for the
 * folders refused).
 * @returns the manifest written.
 */
export async function writeBackup(
  location: StoreLocation,
  dest: string,
  options: BackupOptions = {},
): Promise<BackupManifest> {
  const dataDir = resolve(location.dataDir);
  const indexDir = localIndexDir(location.lancedbUri);
  const prepareMs = options.prepareTimeoutMs ?? PREPARE_TIMEOUT_MS;
  const { target, temp } = await prepareBackupDest(dest, [dataDir, indexDir], prepareMs);
  const hold = options.hold ?? ((copy) => copy());
  let copying: Promise<void> | undefined;
  try {
    await hold(() => {
      copying = copyStore(dataDir, indexDir, temp);
      return bounded(copying, temp, options.copyTimeoutMs ?? COPY_TIMEOUT_MS);
    });
    const manifest: BackupManifest = {
      format: FORMAT,
      format_version: 1,
      created_at: new Date().toISOString(),
      version: VERSION,
    };
    await writeFile(join(temp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, {
      mode: FILE_MODE,
    });
    await rename(temp, target);
    return manifest;
  } catch (error) {
    // A copy cut off by its deadline removes its folder itself once it ends.
    if (copying === undefined || (await settlesWithin(copying, 0))) {
      await rm(temp, { recursive: true, force: true });
    }
    throw unwritable(error, target);
  }
}

/** A destination the server may not write (permissions, read-only or full disk) is the caller's to fix. */
function unwritable(error: unknown, path: string): unknown {
  const code = errnoOf(error);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC') {
    return new AppError('FAILED_PRECONDITION', `cannot write ${path} (${code})`, { path, errno: code });
  }
  return error;
}

/** The manifest of a backup folder, or INVALID_ARGUMENT if `src` is not one. */
export async function readBackupManifest(src: string): Promise<BackupManifest> {
  const text = await readFile(join(src, 'manifest.json'), 'utf8').catch(() => null);
  const parsed = text === null ? null : manifestSchema.safeParse(JSON.parse(text));
  if (parsed?.success !== true) {
    throw new AppError('INVALID_ARGUMENT', `${src} is not a VikingScope backup (no valid manifest.json)`);
  }
  return parsed.data;
}

/** Refuses a destination that holds anything (a running server's DATA_DIR holds at least its lock). */
async function requireEmpty(path: string): Promise<void> {
  const entries = await readdir(path).catch(() => []);
  if (entries.length > 0) {
    throw new AppError('FAILED_PRECONDITION', `${path} is not empty: restore only into a new folder`, {
      path,
    });
  }
}

/** Moves a built folder to `path` (an empty folder there is replaced). */
async function moveInto(built: string, path: string): Promise<void> {
  await rmdir(path).catch(() => undefined);
  await rename(built, path);
}

/** Restores the backup `src` into the store at `location`, whose folders must be new or empty. */
export async function restoreBackup(src: string, location: StoreLocation): Promise<BackupManifest> {
  const manifest = await readBackupManifest(src);
  const dataDir = resolve(location.dataDir);
  const indexDir = localIndexDir(location.lancedbUri);
  const indexInside = isInside(indexDir, dataDir);
  await requireEmpty(dataDir);
  if (!indexInside) await requireEmpty(indexDir);
  await mkdir(dirname(dataDir), { recursive: true });
  const data = siblingOf(dataDir, 'restore');
  const index = indexInside ? join(data, relative(dataDir, indexDir)) : siblingOf(indexDir, 'restore');
  try {
    await copyTree(join(src, 'data'), data);
    if (await exists(join(src, 'lancedb'))) {
      await mkdir(dirname(index), { recursive: true });
      await copyTree(join(src, 'lancedb'), index);
    }
    if (!indexInside && (await exists(index))) await moveInto(index, indexDir);
    await moveInto(data, dataDir);
    return manifest;
  } catch (error) {
    await rm(data, { recursive: true, force: true });
    if (!indexInside) await rm(index, { recursive: true, force: true });
    throw unwritable(error, dataDir);
  }
}
