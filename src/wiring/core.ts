/**
 * The first stage of the composition root (src/services.ts): the index and its write side, the
 * account store and the stores every tenant service shares, started in the order they depend on each
 * other.
 */
import { AccountStore } from '../accounts/store.js';
import type { Config } from '../config.js';
import type { Embedder } from '../embedders/embedder.js';
import { Vfs } from '../fs/vfs.js';
import type { ContentHooks, WaitIndexed } from '../hooks.js';
import type { RecordIndex } from '../index/record-index.js';
import { IndexGuard } from '../indexing/guard.js';
import { IndexPipeline } from '../indexing/pipeline.js';
import { accountsWithFiles } from '../indexing/reindex.js';
import type { Logger } from '../log.js';
import { PgJournal } from '../storage/pg/journal.js';
import { poolDatabase } from '../storage/pg/sql.js';
import { indexedMessages, storageReader, type SessionReader } from '../sessions/reader.js';
import { withTags } from '../tags/hooks.js';
import { TagStore } from '../tags/store.js';
import { UploadStore } from '../uploads/store.js';
import { openIndex, type OpenIndexOptions } from './open-index.js';
import { uploadsDir, type Storages } from './storages.js';

/** The content hooks of an object, bound to it (so they can be spread into another hooks object). */
function bound(hooks: ContentHooks): ContentHooks {
  return {
    fileWritten: (a, uri) => hooks.fileWritten(a, uri),
    removed: (a, uri) => hooks.removed(a, uri),
    moved: (a, from, to) => hooks.moved(a, from, to),
    messageAdded: (a, s, m) => hooks.messageAdded(a, s, m),
    accountDeleted: (a) => hooks.accountDeleted(a),
  };
}

/**
 * A service that two constructors need of each other (a cycle), handed over once the second exists:
 * `get` before `set` is a wiring bug, never a runtime condition.
 */
export function late<T>(what: string): { get(): T; set(value: T): void } {
  let held: T | undefined;
  return {
    get: () => {
      if (held === undefined) throw new Error(`${what} used before it was built`);
      return held;
    },
    set: (value) => {
      held = value;
    },
  };
}

/** The index, its write side and the stores every tenant service shares, started. */
export interface Core {
  readonly embedder: Embedder;
  readonly store: RecordIndex;
  readonly pipeline: IndexPipeline;
  readonly guard: IndexGuard;
  readonly accounts: AccountStore;
  /** The store of record (local files, or PostgreSQL): src/wiring/storages.ts. */
  readonly storages: Storages;
  readonly reader: SessionReader;
  /** The pipeline's hooks with retrieval tags kept in step (the tenant services get `admit`). */
  readonly hooks: ContentHooks;
  readonly waitIndexed: WaitIndexed;
  readonly tagStore: TagStore;
  readonly vfs: Vfs;
  readonly uploads: UploadStore;
}

/**
 * The account registry. Its hooks have no `admit` (creating or deleting an account is never refused);
 * a deleted account is forgotten by the stores that cache per account, then purged from the index.
 * An account another process deleted (or replaced) is only forgotten here: its purge was queued there.
 */
function openAccounts(
  config: Config,
  log: Logger,
  storages: Storages,
  pipeline: IndexPipeline,
  caches: Pick<Core, 'vfs' | 'tagStore' | 'uploads'>,
): Promise<AccountStore> {
  const forget = async (a: string): Promise<void> => {
    caches.vfs.forgetAccount(a);
    await caches.tagStore.forgetAccount(a);
    await caches.uploads.forgetAccount(a);
  };
  return AccountStore.open({
    dataDir: config.dataDir,
    registry: config.authMode === 'api_key',
    storage: storages.registry,
    files: storages.files,
    log,
    forgotten: forget,
    hooks: {
      ...bound(pipeline),
      purgeAccount: (a) => pipeline.purgeAccount(a),
      accountDeleted: async (a) => {
        await forget(a);
        return pipeline.accountDeleted(a);
      },
    },
  });
}

export async function openCore(
  config: Config,
  log: Logger,
  storages: Storages,
  options: Pick<OpenIndexOptions, 'embedder'>,
): Promise<Core> {
  const { dataDir } = config;
  const { pool } = storages;
  const { embedder, store } = await openIndex(config, log, {
    ...options,
    ...(pool === null ? {} : { pool }),
  });
  // Listed before the account store creates folders: a fresh store has nothing to rebuild.
  const onDisk = await accountsWithFiles(storages.files);
  const reader = storageReader(storages.sessions);
  // A cycle: the pipeline reads the account store's policies, the store's hooks feed the pipeline.
  const accountStore = late<AccountStore>('the account store');
  const pipeline = new IndexPipeline({
    dataDir,
    files: storages.files,
    store,
    embedder,
    policyOf: (a) => accountStore.get().policyOf(a),
    messages: indexedMessages(reader),
    log,
    maxLagS: config.maxIndexLagS,
    // Distributed mode (SPEC 14): the jobs are shared by every process through PostgreSQL; ROLE=api
    // appends and waits but applies none; a wait ends once this process's cache reflects the job.
    journal:
      pool === null
        ? undefined
        : new PgJournal(poolDatabase(pool), {
            pool,
            log,
            leaseMs: config.indexJobLeaseMs,
            // Jobs carry their account's epoch where there is a registry (src/storage/pg/epochs.ts).
            epochs: config.authMode === 'api_key',
          }),
    worker: config.role !== 'api',
    afterApplied: () => store.caughtUp(),
  });
  const tagStore = new TagStore(storages.tags);
  const hooks = withTags(pipeline, tagStore);
  const waitIndexed: WaitIndexed = (tickets, ms) => pipeline.waitFor(tickets, ms);
  const vfs = new Vfs({
    dataDir,
    storage: storages.files,
    hooks,
    maxFileBytes: config.maxFileBytes,
    sessionMessages: reader,
    waitIndexed,
  });
  const uploads = new UploadStore({ dir: uploadsDir(dataDir), storage: storages.uploads });
  const accounts = await openAccounts(config, log, storages, pipeline, { vfs, tagStore, uploads });
  accountStore.set(accounts);
  const guard = new IndexGuard({
    dataDir,
    files: storages.files,
    lancedbUri: config.lancedbUri,
    store,
    pipeline,
    log,
  });
  await pipeline.start();
  uploads.start();
  await guard.atStart(onDisk);
  return {
    embedder,
    store,
    pipeline,
    guard,
    accounts,
    storages,
    reader,
    hooks,
    waitIndexed,
    tagStore,
    vfs,
    uploads,
  };
}
