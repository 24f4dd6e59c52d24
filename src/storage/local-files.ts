/**
 * The file tree of the embedded mode: `{DATA_DIR}/fs/{account_id}/{path after viking://}` (SPEC 7),
 * one process per DATA_DIR. Writes are atomic (temporary file, fsync, rename; `create` links the
 * temporary file, which never replaces anything), files are 0600 and folders 0700, symbolic links
 * are never followed, and tenant writes never re-create a removed account folder (mkdirWithin).
 * Changes to one path are serialised in this process (an append reads, then replaces).
 */
import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errnoOf } from '../errors.js';
import { isValidId, validateId } from '../policy/ids.js';
import {
  checkKey,
  destinationExists,
  fileExists,
  folderAt,
  inTheWay,
  isAtOrBelow,
  noEntry,
  tooLarge,
  type ChildEntry,
  type EntryInfo,
  type FileStorage,
  type LookupOptions,
  type StorageWriteOptions,
} from '../fs/storage.js';
import { KeyedMutex, mkdirWithin, writeFileAtomic } from './atomic.js';
import { linkOnTheWay, readNoFollow } from './links.js';
import { DIR_MODE } from './modes.js';
import { accountDir, pathOfUri } from './paths.js';

/** lstat, or null if nothing usable (a file or a folder) is there. */
async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    const info = await lstat(path);
    return info.isFile() || info.isDirectory() ? info : null;
  } catch {
    return null;
  }
}

/** Node errors of a change mapped to the storage's codes (a file where a folder must be, …). */
function mapChangeError(error: unknown, uri: string): never {
  const code = errnoOf(error);
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
    throw inTheWay(uri);
  }
  throw error;
}

export class LocalFileStorage implements FileStorage {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly dataDir: string) {}

  private root(account_id: string): string {
    validateId(account_id, 'account_id');
    return accountDir(this.dataDir, account_id);
  }

  private pathOf(account_id: string, uri: string): string {
    checkKey(account_id, uri); // refuses what would leave the account
    return pathOfUri(this.dataDir, account_id, uri);
  }

  async createRoot(account_id: string): Promise<void> {
    await mkdir(this.root(account_id), { recursive: true, mode: DIR_MODE });
  }

  /** Folders of `{DATA_DIR}/fs` whose names are valid ids. */
  async accounts(): Promise<string[]> {
    try {
      const entries = await readdir(join(this.dataDir, 'fs'), { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory() && isValidId(e.name))
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  }

  async blocked(account_id: string, uri: string): Promise<boolean> {
    return linkOnTheWay(this.root(account_id), this.pathOf(account_id, uri));
  }

  async stat(account_id: string, uri: string, options: LookupOptions = {}): Promise<EntryInfo | null> {
    if (options.listed !== true && (await this.blocked(account_id, uri))) return null;
    const info = await lstatOrNull(this.pathOf(account_id, uri));
    if (info === null) return null;
    const folder = info.isDirectory();
    return { kind: folder ? 'folder' : 'file', size: folder ? 0 : info.size, mtime: new Date(info.mtimeMs) };
  }

  async read(account_id: string, uri: string, options: LookupOptions = {}): Promise<Buffer | null> {
    if (options.listed !== true && (await this.blocked(account_id, uri))) return null;
    return readNoFollow(this.pathOf(account_id, uri)).catch(() => null);
  }

  async write(account_id: string, uri: string, data: Buffer, options: StorageWriteOptions): Promise<number> {
    const path = this.pathOf(account_id, uri);
    return this.mutex.run(path, async () => {
      if (await this.blocked(account_id, uri)) throw inTheWay(uri);
      const info = await lstatOrNull(path);
      if (info?.isDirectory() === true) throw folderAt(uri);
      if (options.mode === 'create' && info !== null) throw fileExists(uri);
      const before = options.mode === 'append' && info !== null ? await readNoFollow(path) : null;
      const next = before === null ? data : Buffer.concat([before, data]);
      if (next.length > options.maxBytes) throw tooLarge(uri, options.maxBytes);
      const exclusive = options.mode === 'create';
      await writeFileAtomic(path, next, { within: this.root(account_id), exclusive }).catch(
        (error: unknown) => {
          if (exclusive && errnoOf(error) === 'EEXIST') throw fileExists(uri);
          mapChangeError(error, uri);
        },
      );
      return next.length;
    });
  }

  async mkdir(account_id: string, uri: string): Promise<void> {
    const root = this.root(account_id);
    const path = this.pathOf(account_id, uri);
    if (path === root) return;
    if (await this.blocked(account_id, uri)) throw inTheWay(uri);
    await mkdirWithin(root, path).catch((error: unknown) => mapChangeError(error, uri));
    if ((await lstatOrNull(path))?.isDirectory() !== true) throw inTheWay(uri);
  }

  async list(account_id: string, uri: string): Promise<ChildEntry[]> {
    try {
      const dirents = await readdir(this.pathOf(account_id, uri), { withFileTypes: true });
      return dirents
        .filter((d) => d.isFile() || d.isDirectory())
        .map((d): ChildEntry => ({ name: d.name, kind: d.isDirectory() ? 'folder' : 'file' }));
    } catch {
      // A folder removed while listing simply has no children.
      return [];
    }
  }

  async move(account_id: string, from: string, to: string): Promise<void> {
    const root = this.root(account_id);
    const source = this.pathOf(account_id, from);
    const target = this.pathOf(account_id, to);
    return this.mutex.run(source, async () => {
      if ((await this.stat(account_id, from)) === null) throw noEntry(from);
      if (isAtOrBelow(to, from) || (await this.blocked(account_id, to))) throw inTheWay(to);
      if ((await lstatOrNull(target)) !== null) throw destinationExists(to);
      try {
        if (dirname(target) !== root) await mkdirWithin(root, dirname(target));
        await rename(source, target);
      } catch (error) {
        mapChangeError(error, to);
      }
    });
  }

  async remove(account_id: string, uri: string): Promise<boolean> {
    const path = this.pathOf(account_id, uri);
    return this.mutex.run(path, async () => {
      if ((await this.stat(account_id, uri)) === null) return false;
      await rm(path, { recursive: true, force: true });
      return true;
    });
  }
}
