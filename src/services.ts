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
import { fsRouter } from './http/routes/fs.js';
import { searchRouter } from './http/routes/search.js';
import { sessionsRouter } from './http/routes/sessions.js';
import type { Embedder } from './index/embedder.js';
import { assertCompatible, createEmbedder } from './index/embedders/select.js';
import { IndexPipeline } from './index/pipeline.js';
import { IndexStore } from './index/store.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { eq, type RequestContext } from './policy/index.js';
import { SearchAdmission } from './search/admission.js';
import { SearchService } from './search/service.js';
import { sessionReader } from './sessions/reader.js';
import { SessionService } from './sessions/service.js';
import { describeFault, storageFaultOf } from './storage/faults.js';
import { lockDataDir } from './storage/lock.js';
import { probeWritable } from './storage/probe.js';

/** Where transformers.js caches downloaded models. */
export const MODEL_CACHE_DIR = join('data', 'models');

export interface OpenIndexOptions {
  /** Start from an empty table (a rebuild with another embedder). */
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
  const indexed = options.reset === true ? null : await IndexStore.storedIdentity(config.lancedbUri);
  const embedder =
    options.embedder ??
    (await createEmbedder({
      embedder: config.embedder,
      ...(config.embeddingModel === undefined ? {} : { model: config.embeddingModel }),
      cacheDir: MODEL_CACHE_DIR,
      indexed,
      log,
    }));
  assertCompatible(embedder, indexed);
  const store = await IndexStore.open({
    uri: config.lancedbUri,
    embedder,
    reset: options.reset === true,
    memoryBudgetBytes: config.searchMemoryBytes,
    log,
  });
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

/**
 * System status: ROOT sees the whole index; everyone else sees the embedder, the queue and its own
 * account's record count — not other tenants' volumes or the failure counters.
 */
async function statusFor(
  ctx: RequestContext,
  pipeline: IndexPipeline,
  store: IndexStore,
): Promise<Record<string, unknown>> {
  const status = await pipeline.status();
  if (ctx.role === 'root') return { ...status, search_memory: store.memoryStatus() };
  const records = await store.countRows(eq('account_id', ctx.effective.account_id));
  const { queue_depth, index_lag_s, embedder, indexing_paused } = status;
  return { queue_depth, index_lag_s, records, embedder, indexing_paused };
}

/**
 * /ready: the indexer accepts jobs and is not paused, the index answers a query, and DATA_DIR takes a
 * write (`storage` is `disk_full`, `read_only` or `permission_denied` otherwise, with the cause in
 * `storage_error`).
 */
async function readiness(
  pipeline: IndexPipeline,
  store: IndexStore,
  dataDir: string,
): Promise<{ ok: boolean; checks: Record<string, unknown> }> {
  const index = await store.countRows().then(
    () => 'ok',
    () => 'unavailable',
  );
  const indexer = !pipeline.running ? 'stopped' : pipeline.paused !== null ? 'paused' : 'ok';
  const fault = await probeWritable(dataDir);
  const storage = fault === null ? 'ok' : fault.kind;
  const checks: Record<string, unknown> = { index, indexer, storage };
  if (fault !== null) checks['storage_error'] = describeFault(fault);
  if (pipeline.paused !== null) checks['indexing_paused'] = pipeline.paused.message;
  return { ok: index === 'ok' && indexer === 'ok' && storage === 'ok', checks };
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
  readonly vfs: Vfs;
  readonly sessions: SessionService;
  readonly search: SearchService;
  readonly metrics: Metrics;
  readonly deps: AppDeps;
  /** Stops the pipeline (pending jobs stay in the journal), closes the index, releases DATA_DIR. */
  close(): Promise<void>;
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
  const reader = sessionReader(dataDir);
  const pipeline = new IndexPipeline({
    dataDir,
    store,
    embedder,
    // Called only once the pipeline runs, which is after the account store below is open.
    policyOf: (a) => accounts.policyOf(a),
    readMessage: (a, s, m) => reader.readMessageRecord(a, s, m),
    log,
    maxLagS: config.maxIndexLagS,
  });
  // The tenant services get `admit` (backpressure); the account store below does not.
  const hooks: ContentHooks = pipeline;
  const waitIndexed: WaitIndexed = (tickets, ms) => pipeline.waitFor(tickets, ms);
  const vfs = new Vfs({
    dataDir,
    hooks,
    maxFileBytes: config.maxFileBytes,
    sessionMessages: reader,
    waitIndexed,
  });
  const accounts = await AccountStore.open({
    dataDir,
    registry: config.authMode === 'api_key',
    hooks: {
      ...bound(pipeline),
      accountDeleted: (a) => {
        vfs.forgetAccount(a);
        return pipeline.accountDeleted(a);
      },
    },
  });
  await pipeline.start();
  const sessions = new SessionService({
    dataDir,
    hooks,
    isRegisteredUser: (a, u) => accounts.isRegisteredUser(a, u),
    authMode: config.authMode,
    waitIndexed,
  });
  const metrics = new Metrics({
    indexStatus: () => pipeline.status(),
    searchLoad: () => admission.stats(),
    log,
  });
  const search = new SearchService({
    index: store,
    embedder,
    log,
    onIntegrityError: (n) => {
      pipeline.reportIntegrityErrors(n);
      metrics.integrityErrors.inc(n);
    },
    onPlan: (plan) => metrics.searchPlans.inc({ plan: plan.name }),
  });
  const admission = new SearchAdmission({
    maxInflight: config.maxSearchInflight,
    maxQueue: config.maxSearchQueue,
    onReject: () => metrics.searchesRejected.inc(),
  });
  const deps: AppDeps = {
    config,
    accounts,
    hooks,
    routers: [fsRouter(vfs), sessionsRouter(sessions), searchRouter(search, admission)],
    onContext: (ctx) => vfs.ensureIdentity(ctx),
    wait: (account, ms) => pipeline.waitForAccount(account, ms),
    status: (ctx) => statusFor(ctx, pipeline, store),
    ready: () => readiness(pipeline, store, dataDir),
    metrics,
  };
  const close = async (): Promise<void> => {
    await pipeline.stop();
    await store.close();
    await release(unlock, log);
  };
  return { config, accounts, embedder, store, pipeline, vfs, sessions, search, metrics, deps, close };
}
