/**
 * Composition root: builds every service of a running VikingScope from a Config — accounts, the
 * embedder and index, the indexing pipeline, the filesystem, sessions and search — and the AppDeps
 * that `createApp` needs. `main.ts` and the offline scripts share it so they are wired the same way.
 */
import { join } from 'node:path';
import { AccountStore } from './accounts/store.js';
import type { Config } from './config.js';
import { Vfs } from './fs/vfs.js';
import type { ContentHooks, WaitIndexed } from './hooks.js';
import type { AppDeps } from './http/app.js';
import { attrsRouter } from './http/routes/attrs.js';
import { fsRouter } from './http/routes/fs.js';
import { maintenanceRouter } from './http/routes/maintenance.js';
import { observerRouter } from './http/routes/observer.js';
import { packRouter } from './http/routes/pack.js';
import { searchRouter } from './http/routes/search.js';
import { sessionsRouter } from './http/routes/sessions.js';
import { resourcesRouter } from './http/routes/resources.js';
import { skillsRouter } from './http/routes/skills.js';
import { unimplementedRouter } from './http/routes/unimplemented.js';
import { uploadsRouter } from './http/routes/uploads.js';
import type { Embedder } from './embedders/embedder.js';
import { assertCompatible, createEmbedder } from './embedders/select.js';
import { IndexGuard } from './indexing/guard.js';
import { clearResetPending, resetPending } from './indexing/marker.js';
import { IndexPipeline } from './indexing/pipeline.js';
import { accountsOnDisk } from './indexing/reindex.js';
import { IndexStore } from './index/store.js';
import type { Logger } from './log.js';
import { AppError, messageOf } from './errors.js';
import { MaintenanceService } from './maintenance/service.js';
import { Metrics } from './metrics.js';
import { Observer } from './observer.js';
import { PackBackups } from './pack/backup.js';
import { PackService, type PackLimits } from './pack/service.js';
import type { RequestContext } from './policy/index.js';
import { SearchAdmission } from './search/admission.js';
import { DEFAULT_DOCUMENT_LIMITS } from './resources/parse-jobs.js';
import { ResourceService } from './resources/service.js';
import { SearchService } from './search/service.js';
import { indexedMessages, sessionReader } from './sessions/reader.js';
import { SessionService } from './sessions/service.js';
import { extractMemories } from './memories/extractor.js';
import { createChat } from './models/chat.js';
import { SkillCatalog } from './skills/catalog.js';
import { SkillService } from './skills/service.js';
import { WriteGate } from './storage/gate.js';
import { describeFault, storageFaultOf } from './storage/faults.js';
import { lockDataDir } from './storage/lock.js';
import { writeBackup, type BackupManifest } from './storage/snapshot.js';
import { withTags } from './tags/hooks.js';
import { TagService } from './tags/service.js';
import { TagStore } from './tags/store.js';
import { TaskRegistry } from './tasks/registry.js';
import { UploadStore } from './uploads/store.js';

/** Files an uploaded archive may hold (each at most MAX_FILE_BYTES, all together 4 × MAX_UPLOAD_BYTES). */
const ZIP_MAX_ENTRIES = 10_000;

/** Where transformers.js caches downloaded models. */
export const MODEL_CACHE_DIR = join('data', 'models');

export interface OpenIndexOptions {
  /** Start from an empty table (a rebuild with another embedder); also done while a reset is pending. */
  readonly reset?: boolean;
  /** Use this embedder instead of the configured one (tests). */
  readonly embedder?: Embedder;
}

/** Chooses the embedder (SPEC 9: the index's own, unless reset) and opens the index with it. */
export async function openIndex(
  config: Config,
  log: Logger,
  options: OpenIndexOptions = {},
): Promise<{ embedder: Embedder; store: IndexStore }> {
  // A reset killed before its new table existed is finished first (src/indexing/marker.ts).
  const reset = options.reset === true || (await resetPending(config.dataDir));
  const indexed = reset ? null : await IndexStore.storedIdentity(config.lancedbUri);
  const embedder =
    options.embedder ??
    (await createEmbedder({
      embedder: config.embedder,
      ...(config.embeddingModel === undefined ? {} : { model: config.embeddingModel }),
      cacheDir: MODEL_CACHE_DIR,
      openai: {
        baseUrl: config.embeddingBaseUrl,
        apiKey: config.embeddingApiKey,
        dimension: config.embeddingDimension,
      },
      indexed,
      log,
    }));
  assertCompatible(embedder, indexed);
  const store = await IndexStore.open({
    uri: config.lancedbUri,
    embedder,
    reset,
    memoryBudgetBytes: config.searchMemoryBytes,
    searchThreads: config.searchThreads,
    cacheBytes: { index: config.lancedbIndexCacheBytes, metadata: config.lancedbMetadataCacheBytes },
    log,
  });
  await clearResetPending(config.dataDir);
  return { embedder, store };
}

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

/** A pack holds at most as many bytes of files as one upload may hold, so an export can be imported again. */
function packLimits(config: Config): PackLimits {
  return { maxEntries: 10_000, maxEntryBytes: config.maxFileBytes, maxTotalBytes: config.maxUploadBytes };
}

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

export interface Services {
  readonly config: Config;
  readonly accounts: AccountStore;
  readonly embedder: Embedder;
  readonly store: IndexStore;
  readonly pipeline: IndexPipeline;
  readonly guard: IndexGuard;
  readonly vfs: Vfs;
  readonly sessions: SessionService;
  readonly search: SearchService;
  /** Temporary uploads (`temp_file_id`) for add_resource, skills and pack import. */
  readonly uploads: UploadStore;
  /** add_resource. */
  readonly resources: ResourceService;
  readonly metrics: Metrics;
  readonly deps: AppDeps;
  /**
   * A consistent copy of the whole store into the new folder `dest`, taken while serving: changes
   * wait (write gate), the indexer pauses between batches and compaction settles during the copy.
   */
  backup(ctx: RequestContext, dest: string): Promise<BackupManifest>;
  /**
   * Stops the pipeline (pending jobs stay in the journal), records the index's version, closes the
   * index, releases DATA_DIR.
   * With `deadlineMs`, an index batch still running then is abandoned (replayed at the next start).
   */
  close(deadlineMs?: number): Promise<void>;
}

/** Builds and starts everything; the caller serves `createApp(services.deps)`. */
export async function buildServices(
  config: Config,
  log: Logger,
  options: Pick<OpenIndexOptions, 'embedder'> = {},
): Promise<Services> {
  const unlock = await lockDataDir(config.dataDir);
  try {
    return await assemble(config, log, unlock, options);
  } catch (error) {
    await unlock();
    throw error;
  }
}

async function assemble(
  config: Config,
  log: Logger,
  unlock: () => Promise<void>,
  options: Pick<OpenIndexOptions, 'embedder'>,
): Promise<Services> {
  const { dataDir } = config;
  const { embedder, store } = await openIndex(config, log, options);
  // Listed before the account store creates folders: a fresh DATA_DIR has nothing to rebuild.
  const onDisk = await accountsOnDisk(dataDir);
  const reader = sessionReader(dataDir);
  const pipeline = new IndexPipeline({
    dataDir,
    store,
    embedder,
    // Called only once the pipeline runs, which is after the account store below is open.
    policyOf: (a) => accounts.policyOf(a),
    messages: indexedMessages(reader),
    log,
    maxLagS: config.maxIndexLagS,
  });
  // The tenant services get `admit` (backpressure); the account store below does not.
  const tagStore = new TagStore(dataDir);
  const hooks: ContentHooks = withTags(pipeline, tagStore);
  const waitIndexed: WaitIndexed = (tickets, ms) => pipeline.waitFor(tickets, ms);
  const vfs = new Vfs({
    dataDir,
    hooks,
    maxFileBytes: config.maxFileBytes,
    sessionMessages: reader,
    waitIndexed,
  });
  const uploads = new UploadStore({ dir: join(dataDir, 'uploads') });
  const tasks = new TaskRegistry();
  const accounts = await AccountStore.open({
    dataDir,
    registry: config.authMode === 'api_key',
    hooks: {
      ...bound(pipeline),
      purgeAccount: (a) => pipeline.purgeAccount(a),
      accountDeleted: async (a) => {
        vfs.forgetAccount(a);
        tagStore.forgetAccount(a);
        await uploads.forgetAccount(a);
        return pipeline.accountDeleted(a);
      },
    },
  });
  const guard = new IndexGuard({ dataDir, lancedbUri: config.lancedbUri, store, pipeline, log });
  await pipeline.start();
  uploads.start();
  await guard.atStart(onDisk);
  const chat = config.llm === null ? null : createChat(config.llm);
  const sessions = new SessionService({
    dataDir,
    hooks,
    isRegisteredUser: (a, u) => accounts.isRegisteredUser(a, u),
    authMode: config.authMode,
    waitIndexed,
    ...(chat === null
      ? {}
      : {
          extraction: {
            tasks,
            log,
            extract: (input) => extractMemories({ chat, vfs }, input),
            readable: (ctx, uri) =>
              vfs.stat(ctx, uri).then(
                () => true,
                () => false,
              ),
          },
        }),
  });
  if (chat !== null) {
    const names = accounts.listAccounts().map((a) => a.account_id);
    sessions
      .resumeExtractions(names, (a) => accounts.policyOf(a))
      .then(
        (n) => n > 0 && log.info({ extractions: n }, 'resumed memory extractions a restart interrupted'),
        (error: unknown) => log.warn({ reason: messageOf(error) }, 'resuming memory extractions failed'),
      );
  }
  const metrics = new Metrics({
    indexStatus: () => pipeline.status(),
    searchLoad: () => admission.stats(),
    log,
  });
  const search = new SearchService({
    index: store,
    embedder,
    log,
    onIntegrityError: (n) => metrics.integrityErrors.inc(n),
    onPlan: (plan) => metrics.searchPlans.inc({ plan: plan.name }),
    peersOf: (a, s, ids) => reader.peersOf(a, s, ids),
    available: (ctx, recheck) => guard.assertSearchable(ctx.effective.account_id, recheck),
    taggedUris: (ctx, tags) => tagService.readableWithAll(ctx, tags),
  });
  const admission = new SearchAdmission({
    maxInflight: config.maxSearchInflight,
    maxQueue: config.maxSearchQueue,
    onReject: () => metrics.searchesRejected.inc(),
  });
  const observer = new Observer({ pipeline, store, embedder, guard, search, dataDir });
  const readUpload = async (ctx: RequestContext, id: string) => (await uploads.read(ctx, id)).data;
  const resources = new ResourceService({
    vfs,
    uploads,
    tasks,
    waitIndexed,
    fetch: { maxBytes: config.maxUploadBytes, allowPrivate: config.allowPrivateUrls },
    zip: {
      maxEntries: ZIP_MAX_ENTRIES,
      maxEntryBytes: config.maxFileBytes,
      maxTotalBytes: config.maxUploadBytes * 4,
    },
    // A PDF's text is stored as one file: past MAX_FILE_BYTES it could not be written anyway.
    documents: { ...DEFAULT_DOCUMENT_LIMITS, maxTextBytes: config.maxFileBytes },
  });
  const tagService = new TagService(vfs, tagStore);
  const packs = new PackService({ vfs, readUpload, limits: packLimits(config) });
  const skills = new SkillService(vfs, readUpload);
  const skillCatalog = new SkillCatalog(vfs, skills, (ctx, request) =>
    admission.run(() => search.search(ctx, request)),
  );
  const gate = new WriteGate();
  const backup = async (ctx: RequestContext, dest: string): Promise<BackupManifest> => {
    if (ctx.role !== 'root') throw new AppError('PERMISSION_DENIED', 'backups are for ROOT only');
    // The gate is held for the copy only: the destination is checked and made before, never while
    // the tenants' writes wait.
    const hold = (copy: () => Promise<void>) =>
      gate.snapshot(async () => {
        const resume = await pipeline.pause();
        try {
          await store.settled();
          log.info({ dest }, 'backup started');
          await copy();
        } finally {
          resume();
        }
      });
    const manifest = await writeBackup(config, dest, { hold });
    log.info({ dest }, 'backup written');
    return manifest;
  };
  const deps: AppDeps = {
    config,
    accounts,
    hooks,
    routers: [
      fsRouter(vfs),
      sessionsRouter(sessions),
      searchRouter(search, admission),
      observerRouter(observer),
      skillsRouter(skills, skillCatalog),
      packRouter(packs, new PackBackups(vfs, packs, packLimits(config))),
      uploadsRouter(uploads, config.maxUploadBytes),
      resourcesRouter(resources, tasks),
      attrsRouter(tagService),
      maintenanceRouter(
        new MaintenanceService({
          vfs,
          scanKeys: (expr, limit) => store.scanKeys(expr, limit),
          hooks,
          waitIndexed,
          tasks,
          setTags: (ctx, body) => tagService.setTags(ctx, body),
        }),
      ),
      unimplementedRouter(),
    ],
    onContext: (ctx) => vfs.ensureIdentity(ctx),
    wait: (account, ms) => pipeline.waitForAccount(account, ms),
    status: (ctx) => observer.status(ctx),
    ready: () => observer.readiness(),
    metrics,
    mcp: { vfs, sessions, search, admission, skills: skillCatalog },
    gate,
    backup,
  };
  const close = async (deadlineMs?: number): Promise<void> => {
    uploads.stop();
    // An abandoned batch may still be writing: the process exits without closing the table under it.
    if (await pipeline.stop(deadlineMs)) {
      await guard.close();
      await store.close();
    }
    await release(unlock, log);
  };
  return {
    config,
    accounts,
    embedder,
    store,
    pipeline,
    guard,
    vfs,
    sessions,
    search,
    uploads,
    resources,
    metrics,
    deps,
    backup,
    close,
  };
}
