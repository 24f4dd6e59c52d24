/**
 * Composition root: builds every service of a running VikingScope from a Config — the index and its
 * pipeline, accounts, the filesystem, sessions, search and the operator services — in the order they
 * depend on each other. It builds no HTTP: `createApp(services)` (src/http/app.ts) makes the routers.
 * `main.ts` and the offline scripts share it so they are wired the same way.
 */
import { mkdir } from 'node:fs/promises';
import { AdminService } from './accounts/admin.js';
import type { Config } from './config.js';
import { AppError } from './errors.js';
import type { Embedder } from './embedders/embedder.js';
import type { AppServices } from './http/app.js';
import type { IndexGuard } from './indexing/guard.js';
import type { IndexPipeline } from './indexing/pipeline.js';
import type { RecordIndex } from './index/record-index.js';
import type { Logger } from './log.js';
import { BackupService } from './maintenance/backup.js';
import { Observer } from './observer.js';
import type { RequestContext } from './policy/index.js';
import { WriteGate } from './storage/gate.js';
import { describeFault, storageFaultOf } from './storage/faults.js';
import { lockDataDir } from './storage/lock.js';
import { DIR_MODE } from './storage/modes.js';
import type { BackupManifest } from './storage/snapshot.js';
import { TaskRegistry } from './tasks/registry.js';
import { openCore, type Core } from './wiring/core.js';
import type { OpenIndexOptions } from './wiring/open-index.js';
import { openStorages, type Storages } from './wiring/storages.js';
import { openContent, openSearch, openSessions } from './wiring/tenants.js';

export { MODEL_CACHE_DIR, openIndex, type OpenIndexOptions } from './wiring/open-index.js';

/**
 * Releases the DATA_DIR lock. On a read-only disk the lock file stays: the next start takes over the
 * lock of a process that is gone.
 */
async function release(unlock: () => Promise<void>, log: Logger): Promise<void> {
  await unlock().catch((error: unknown) => {
    const fault = storageFaultOf(error);
    if (fault === null) throw error;
    log.warn({ errno: fault.errno }, `could not remove the DATA_DIR lock: ${describeFault(fault)}`);
  });
}

/**
 * Everything a running VikingScope is made of: what the API serves (`AppServices`, where a service the
 * API needs is declared) and what only the root holds — the embedder, the index, the whole pipeline.
 */
export interface Services extends AppServices {
  readonly embedder: Embedder;
  readonly store: RecordIndex;
  /** The whole pipeline (the API sees only its waits). */
  readonly pipeline: IndexPipeline;
  readonly guard: IndexGuard;
  /** The API's backup, typed with the manifest it returns. */
  backup(ctx: RequestContext, dest: string): Promise<BackupManifest>;
  /**
   * Stops the pipeline (pending jobs stay in the journal), records the index's version, closes the
   * index, releases DATA_DIR.
   * With `deadlineMs`, an index batch still running then is abandoned (replayed at the next start).
   */
  close(deadlineMs?: number): Promise<void>;
}

/**
 * DATA_DIR for this process: the embedded mode's store under its pid lock (one process per
 * DATA_DIR); in distributed mode only caches (SPEC 14), so any number of processes share the
 * database, each with its own DATA_DIR, and nothing is locked.
 */
async function claimDataDir(config: Config, storages: Storages): Promise<() => Promise<void>> {
  if (storages.pool === null) return lockDataDir(config.dataDir);
  await mkdir(config.dataDir, { recursive: true, mode: DIR_MODE });
  return () => Promise.resolve();
}

/** Builds and starts everything; the caller serves `createApp(services)`. */
export async function buildServices(
  config: Config,
  log: Logger,
  options: Pick<OpenIndexOptions, 'embedder'> = {},
): Promise<Services> {
  const storages = await openStorages(config, log);
  let unlock: (() => Promise<void>) | undefined;
  try {
    unlock = await claimDataDir(config, storages);
    return await assemble(config, log, storages, unlock, options);
  } catch (error) {
    await unlock?.();
    await storages.close();
    throw error;
  }
}

/**
 * Stops the pipeline (pending jobs stay in the journal), closes the index, stops following the
 * registry, ends the database pool, releases DATA_DIR. An abandoned batch may still be writing: the
 * process then exits without closing the table under it.
 */
function closer(core: Core, unlock: () => Promise<void>, log: Logger): Services['close'] {
  return async (deadlineMs) => {
    const deadline = deadlineMs === undefined ? undefined : Date.now() + deadlineMs;
    core.uploads.stop();
    if (await core.pipeline.stop(deadlineMs)) {
      await core.guard.close();
      await core.store.close(deadline);
    }
    await core.accounts.close();
    await core.storages.close();
    await release(unlock, log);
  };
}

/**
 * `POST /system/backup`: a copy of DATA_DIR in the embedded mode. In distributed mode the store is
 * PostgreSQL, whose own tools take consistent backups (SPEC 14): refused with a 412 naming them.
 */
function backupOf(storages: Storages, backups: BackupService): Services['backup'] {
  if (storages.pool === null) return (ctx, dest) => backups.take(ctx, dest);
  return () => Promise.reject(new AppError('FAILED_PRECONDITION', PG_BACKUP_TEXT));
}

/** What a backup or restore is in distributed mode (the API's refusal; scripts/lib/store.ts likewise). */
const PG_BACKUP_TEXT =
  'in distributed mode (DATABASE_URL) the store is PostgreSQL: back it up with pg_dump (or point-in-time recovery) and restore it with pg_restore; DATA_DIR holds only caches';

async function assemble(
  config: Config,
  log: Logger,
  storages: Storages,
  unlock: () => Promise<void>,
  options: Pick<OpenIndexOptions, 'embedder'>,
): Promise<Services> {
  const core = await openCore(config, log, storages, options);
  const { embedder, store, pipeline, guard, accounts, vfs, uploads } = core;
  const tasks = new TaskRegistry();
  const sessions = openSessions(config, log, core, tasks);
  const searching = openSearch(config, log, core);
  const content = openContent(config, core, tasks, searching);
  const observer = new Observer({
    pipeline,
    store,
    embedder,
    guard,
    search: searching.search,
    dataDir: config.dataDir,
    ...(storages.pool === null ? {} : { database: () => storages.ping() }),
  });
  const gate = new WriteGate();
  const backups = new BackupService({ location: config, gate, pipeline, store, log });
  return {
    ...searching,
    ...content,
    config,
    accounts,
    admin: new AdminService(accounts),
    embedder,
    store,
    pipeline,
    guard,
    vfs,
    uploads,
    sessions,
    observer,
    tasks,
    gate,
    backup: backupOf(storages, backups),
    close: closer(core, unlock, log),
  };
}
