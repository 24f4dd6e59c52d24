/**
 * Where the store of record lives, chosen in one place (SPEC 14): with `DATABASE_URL`, PostgreSQL —
 * one pool, the schema migrated at start, the registry, the file tree and the sessions in it — and
 * otherwise the local files under DATA_DIR (the embedded mode). Everything else is wired the same
 * way over either. The filesystem's tree is the file storage with the sessions' own files below
 * `viking://session` (src/fs/session-tree.ts) in both modes.
 */
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

export interface Storages {
  /** The PostgreSQL pool in distributed mode; null in the embedded mode. */
  readonly pool: Pool | null;
  /** The `viking://` tree the filesystem (and account creation) goes through. */
  readonly files: FileStorage;
  readonly sessions: SessionStorage;
  readonly registry: RegistryStorage;
  /** Resolves if the store of record answers (PostgreSQL: one round trip); throws if not. */
  ping(): Promise<void>;
  /** Ends the pool (after everything that uses it has stopped); nothing in the embedded mode. */
  close(): Promise<void>;
}

/** The local files under DATA_DIR (one process per DATA_DIR: its pid lock is the caller's). */
export function localStorages(dataDir: string): Storages {
  const sessions = new LocalSessionStorage(dataDir);
  return {
    pool: null,
    files: withSessionTree(new LocalFileStorage(dataDir), sessions.tree),
    sessions,
    registry: new LocalRegistryStorage(dataDir),
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
  const pool = createPool(config.databaseUrl, {}, log);
  try {
    await migrate(pool, { log });
  } catch (error) {
    await pool.end();
    throw error;
  }
  return pgStorages(pool, log);
}
