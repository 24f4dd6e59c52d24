/**
 * Where the store of record lives, chosen in one place (SPEC 14): with `DATABASE_URL`, PostgreSQL —
 * one pool, the schema migrated at start, the registry, the file tree and the sessions in it — and
 * otherwise the local files under DATA_DIR (the embedded mode). Everything else is wired the same
 * way over either. The filesystem's tree is the file storage with the sessions' own files below
 * `viking://session` (src/fs/session-tree.ts) in both modes.
 */
import { join } from 'node:path';
import type { RegistryStorage } from '../accounts/registry-storage.js';
import { LocalRegistryStorage } from '../accounts/persist.js';
import type { Config } from '../config.js';
import { withSessionTree } from '../fs/session-tree.js';
import type { FileStorage } from '../fs/storage.js';
import type { Logger } from '../log.js';
import { LocalSessionStorage } from '../sessions/local-storage.js';
import type { SessionStorage } from '../sessions/storage.js';
import { LocalFileStorage } from '../storage/local-files.js';
import { PgFileStorage } from '../storage/pg/files.js';
import { migrate } from '../storage/pg/migrate.js';
import { createPool, query, type Pool } from '../storage/pg/pool.js';
import { PgRegistryStorage } from '../storage/pg/registry.js';
import { PgSessionStorage } from '../storage/pg/sessions.js';
import { PgTagStorage } from '../storage/pg/tags.js';
import { PgUploadStorage } from '../storage/pg/uploads.js';
import { LocalTagStorage } from '../storage/local-tags.js';
import { LocalUploadStorage } from '../storage/local-uploads.js';
import type { TagStorage } from '../tags/storage.js';
import type { UploadStorage } from '../uploads/storage.js';

export interface Storages {
  /** The PostgreSQL pool in distributed mode; null in the embedded mode. */
  readonly pool: Pool | null;
  /** The `viking://` tree the filesystem (and account creation) goes through. */
  readonly files: FileStorage;
  readonly sessions: SessionStorage;
  readonly registry: RegistryStorage;
  /** Retrieval tags (src/tags/store.ts keeps its cache over it). */
  readonly tags: TagStorage;
  /** Uploaded files until they are used or expire (multer's incoming folder stays local). */
  readonly uploads: UploadStorage;
  /** Resolves if the store of record answers (PostgreSQL: one round trip); throws if not. */
  ping(): Promise<void>;
  /** Ends the pool (after everything that uses it has stopped); nothing in the embedded mode. */
  close(): Promise<void>;
}

/** Where uploads are kept in the embedded mode, and multer's incoming files in both modes. */
export function uploadsDir(dataDir: string): string {
  return join(dataDir, 'uploads');
}

/** The local files under DATA_DIR (one process per DATA_DIR: its pid lock is the caller's). */
export function localStorages(dataDir: string): Storages {
  const sessions = new LocalSessionStorage(dataDir);
  return {
    pool: null,
    files: withSessionTree(new LocalFileStorage(dataDir), sessions.tree),
    sessions,
    registry: new LocalRegistryStorage(dataDir),
    tags: new LocalTagStorage(dataDir),
    uploads: new LocalUploadStorage(uploadsDir(dataDir)),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/** PostgreSQL's storages over `pool` (migrated already). */
export function pgStorages(pool: Pool, log?: Logger): Storages {
  const sessions = new PgSessionStorage(pool);
  return {
    pool,
    files: withSessionTree(new PgFileStorage(pool), sessions.tree),
    sessions,
    registry: new PgRegistryStorage(pool, log === undefined ? {} : { log }),
    tags: new PgTagStorage(pool),
    uploads: new PgUploadStorage(pool),
    ping: async () => {
      await query(pool, 'SELECT 1', []);
    },
    close: () => pool.end(),
  };
}

/**
 * The storages `config` selects: with `databaseUrl`, a pool on it and the schema migrated (two
 * processes starting at once wait for each other's migration), else the local files.
 */
export async function openStorages(config: Config, log: Logger): Promise<Storages> {
  if (config.databaseUrl === undefined) return localStorages(config.dataDir);
  const pool = createPool(config.databaseUrl, { max: config.databasePoolMax }, log);
  try {
    await migrate(pool, { log });
  } catch (error) {
    await pool.end();
    throw error;
  }
  return pgStorages(pool, log);
}
