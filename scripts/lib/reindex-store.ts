/**
 * The store `npm run reindex` rebuilds, in either mode (SPEC 14), behind one shape so that the script
 * has one code path: the embedded mode's DATA_DIR (locked: the server must be stopped) or, with
 * DATABASE_URL, PostgreSQL shared with running servers (no lock: their workers apply the journaled
 * rebuild beside the script's own). Each opens what the server's composition would: the files, the
 * account registry's policies, the session messages, a journal and the index.
 */
import { resolve } from 'node:path';
import { AccountStore } from '../../src/accounts/store.js';
import type { Config } from '../../src/config.js';
import type { Embedder } from '../../src/embedders/embedder.js';
import type { SessionMessageSource } from '../../src/indexing/messages.js';
import type { FileStorage } from '../../src/fs/storage.js';
import { NO_HOOKS } from '../../src/hooks.js';
import type { RecordIndex } from '../../src/index/record-index.js';
import { LocalJournal, type IndexJournal } from '../../src/indexing/journal.js';
import { markResetPending, saveIndexMarker } from '../../src/indexing/marker.js';
import type { Logger } from '../../src/log.js';
import { openIndex } from '../../src/services.js';
import { indexedMessages, sessionReader, storageReader } from '../../src/sessions/reader.js';
import { LocalFileStorage } from '../../src/storage/local-files.js';
import { lockDataDir } from '../../src/storage/lock.js';
import { PgJournal } from '../../src/storage/pg/journal.js';
import { query, type Pool } from '../../src/storage/pg/pool.js';
import { poolDatabase } from '../../src/storage/pg/sql.js';
import { openStorages } from '../../src/wiring/storages.js';
import { UsageError } from './cli.js';
import { requireStore } from './store.js';

export interface OpenedIndex {
  readonly embedder: Embedder;
  readonly store: RecordIndex;
  /** Runs once every job is applied (the embedded mode compacts the table and records its version). */
  readonly finish: () => Promise<void>;
}

export interface ReindexStore {
  /** Where the accounts were looked for, for the error naming an unknown one. */
  readonly where: string;
  readonly files: FileStorage;
  readonly accounts: AccountStore;
  readonly messages: SessionMessageSource;
  /** A journal on the store's index jobs (each call a new one: appending closes it). */
  journal(): Promise<IndexJournal>;
  /** Opens the index; `reset` empties it first and records the configured embedder. */
  openIndex(reset: boolean): Promise<OpenedIndex>;
  /** Throws a UsageError if a reset may not run now; called before anything is written. */
  mayReset(): Promise<void>;
  /** Called before a reset, once its rebuild is journaled. */
  beforeReset(): Promise<void>;
  close(): Promise<void>;
}

/** The store `config` selects; `command` is how the script was run (for the "no store" hint). */
export function openReindexStore(config: Config, log: Logger, command: string): Promise<ReindexStore> {
  return config.databaseUrl === undefined ? openLocal(config, log, command) : openShared(config, log);
}

async function openLocal(config: Config, log: Logger, command: string): Promise<ReindexStore> {
  const { dataDir } = config;
  await requireStore(config, command);
  const unlock = await lockDataDir(dataDir);
  try {
    const accounts = await AccountStore.open({
      dataDir,
      registry: config.authMode === 'api_key',
      hooks: NO_HOOKS,
    });
    return {
      where: `DATA_DIR ${resolve(dataDir)}`,
      files: new LocalFileStorage(dataDir),
      accounts,
      messages: indexedMessages(sessionReader(dataDir)),
      journal: () => LocalJournal.open(dataDir),
      openIndex: async (reset) => {
        const { embedder, store } = await openIndex(config, log, reset ? { reset } : {});
        const finish = async (): Promise<void> => {
          await store.optimize();
          await saveIndexMarker(dataDir, config.lancedbUri, await store.version());
        };
        return { embedder, store, finish };
      },
      // The DATA_DIR lock already keeps the server out.
      mayReset: () => Promise.resolve(),
      // A reset killed before its new table exists is finished by the next open (marker.ts).
      beforeReset: () => markResetPending(dataDir),
      close: async () => {
        await accounts.close();
        await unlock();
      },
    };
  } catch (error) {
    await unlock();
    throw error;
  }
}

async function openShared(config: Config, log: Logger): Promise<ReindexStore> {
  const storages = await openStorages(config, log);
  const pool = storages.pool;
  if (pool === null) throw new Error('distributed mode without a pool');
  try {
    const accounts = await AccountStore.open({
      dataDir: config.dataDir,
      registry: config.authMode === 'api_key',
      storage: storages.registry,
      files: storages.files,
      hooks: NO_HOOKS,
      log,
    });
    return {
      where: 'the database (DATABASE_URL)',
      files: storages.files,
      accounts,
      messages: indexedMessages(storageReader(storages.sessions)),
      journal: () =>
        Promise.resolve(new PgJournal(poolDatabase(pool), { pool, log, leaseMs: config.indexJobLeaseMs })),
      openIndex: async (reset) => {
        // Nothing searches here: no cache of the records (SEARCH_MEMORY_MB 0).
        const { embedder, store } = await openIndex({ ...config, searchMemoryBytes: 0 }, log, {
          pool,
          reset,
        });
        return { embedder, store, finish: () => Promise.resolve() };
      },
      mayReset: () => refuseWhileServing(pool),
      // The reset is the index's open (records emptied, then the embedder recorded): nothing to mark.
      beforeReset: () => Promise.resolve(),
      close: async () => {
        await accounts.close();
        await storages.close();
      },
    };
  } catch (error) {
    await storages.close();
    throw error;
  }
}

/**
 * A reset (or another embedder) in distributed mode empties the records under every process, and a
 * running server would go on embedding writes, rebuilds and queries with the embedder it started
 * with: refused (exit 2, nothing written yet) while another VikingScope process is connected.
 */
async function refuseWhileServing(pool: Pool): Promise<void> {
  // Each process's pool and LISTEN connections are named `vikingscope-<pid>` and `…-listen` (an idle
  // server may hold only the latter); this script's own are those of its pid from its address.
  const { rows } = await query<{ n: number }>(
    pool,
    `WITH named AS (
       SELECT substring(application_name FROM '^vikingscope-([0-9]+)(-listen)?$') AS pid, client_addr
       FROM pg_stat_activity WHERE datname = current_database())
     SELECT count(DISTINCT (pid, client_addr))::int AS n FROM named
     WHERE pid IS NOT NULL AND NOT (pid = $1 AND client_addr IS NOT DISTINCT FROM inet_client_addr())`,
    [String(process.pid)],
  );
  const others = rows[0]?.n ?? 0;
  if (others === 0) return;
  throw new UsageError(
    `${others} other VikingScope process(es) use this database: stop them before --reset or a change of ` +
      'embedder (they would keep embedding with theirs), then start them with the new settings',
  );
}
