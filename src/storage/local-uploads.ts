/**
 * Temporary uploads of the embedded mode: `{DATA_DIR}/uploads/{account_id}/{id}` holds the bytes
 * and `{id}.meta.json` the {@link UploadMeta} (JSON). One process owns a DATA_DIR.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf } from '../errors.js';
import { isValidId, validateId } from '../policy/ids.js';
import { checkUploadKey, UploadMeta, type UploadStorage } from '../uploads/storage.js';
import { DIR_MODE, FILE_MODE, restrictFile } from './modes.js';

const META_SUFFIX = '.meta.json';

export class LocalUploadStorage implements UploadStorage {
  /** `dir` is `{DATA_DIR}/uploads`. */
  constructor(private readonly dir: string) {}

  private pathOf(account_id: string, id: string): string {
    checkUploadKey(account_id, id);
    return join(this.dir, account_id, id);
  }

  async put(account_id: string, id: string, meta: UploadMeta, path: string): Promise<void> {
    const target = this.pathOf(account_id, id);
    await mkdir(join(this.dir, account_id), { recursive: true, mode: DIR_MODE });
    await writeFile(target + META_SUFFIX, JSON.stringify(meta), { mode: FILE_MODE });
    // multer created the file with the process's default mode.
    await restrictFile(path);
    await rename(path, target);
  }

  async meta(account_id: string, id: string): Promise<UploadMeta | null> {
    const path = this.pathOf(account_id, id);
    const meta = await readMeta(path);
    if (meta === null) return null;
    const exists = await stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
    return exists ? meta : null;
  }

  async data(account_id: string, id: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(account_id, id));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return null;
      throw error;
    }
  }

  async remove(account_id: string, id: string): Promise<void> {
    const path = this.pathOf(account_id, id);
    await Promise.all([rm(path, { force: true }), rm(path + META_SUFFIX, { force: true })]);
  }

  async removeAccount(account_id: string): Promise<void> {
    validateId(account_id, 'account_id');
    await rm(join(this.dir, account_id), { recursive: true, force: true });
  }

  /**
   * Files of uploads made before `cutoff`, in every account folder: by the upload time in the
   * meta, or for a file without a readable meta (a partial upload) by its modification time.
   */
  async sweep(cutoff: number): Promise<void> {
    const accounts = await readdir(this.dir).catch((): string[] => []);
    for (const account of accounts.filter((name) => isValidId(name))) {
      const folder = join(this.dir, account);
      const names = await readdir(folder).catch((): string[] => []);
      for (const name of names) {
        const path = join(folder, name);
        const upload = name.endsWith(META_SUFFIX) ? path.slice(0, -META_SUFFIX.length) : path;
        const made = (await readMeta(upload))?.uploaded_at ?? (await modifiedAt(path));
        if (made !== null && made < cutoff) await rm(path, { force: true });
      }
    }
  }
}

/** The meta beside the upload at `path`, or null if there is none or it is unreadable. */
async function readMeta(path: string): Promise<UploadMeta | null> {
  const raw = await readFile(path + META_SUFFIX, 'utf8').catch(() => null);
  if (raw === null) return null;
  try {
    const parsed = UploadMeta.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function modifiedAt(path: string): Promise<number | null> {
  return stat(path).then(
    (s) => s.mtimeMs,
    () => null,
  );
}

/** Removes the files in `folder` last modified before `cutoff` (the folder may be gone). */
export async function removeOlder(folder: string, cutoff: number): Promise<void> {
  const names = await readdir(folder).catch((): string[] => []);
  for (const name of names) {
    const path = join(folder, name);
    const modified = await modifiedAt(path);
    if (modified !== null && modified < cutoff) await rm(path, { force: true });
  }
}
