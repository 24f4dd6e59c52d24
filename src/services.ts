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
import { IndexGuard, type IndexState } from './index/guard.js';
import { clearResetPending, resetPending } from './index/marker.js';
import { IndexPipeline } from './index/pipeline.js';
import { accountsOnDisk } from './index/reindex.js';
import { IndexStore } from './index/store.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics.js';
import { eq, type RequestContext } from './policy/index.js';
import { SearchAdmission } from './search/admission.js';
import { SearchService } from './search/service.js';
import { sessionReader } from './sessions/reader.js';
import { SessionService } from './sessions/service.js';
import { lockDataDir } from './storage/lock.js';

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
  // A reset killed before its new table existed is finished first (src/index/marker.ts).
  const reset = options.reset === true || (await resetPending(config.dataDir));
  const indexed = reset ? null : await IndexStore.storedIdentity(config.lancedbUri);
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
    reset,
    memoryBudgetBytes: config.searchMemoryBytes,
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

/**
 * System status: ROOT sees the whole index; everyone else sees the embedder, the queue, the index's
 * state and its own account's record count — not other tenants' volumes or the failure counters.
 */
async function statusFor(
  ctx: RequestContext,
  pipeline: IndexPipeline,
  store: IndexStore,
  guard: IndexGuard,
): Promise<Record<string, unknown>> {
  const index: IndexState = await guard.state();
  const status = await pipeline.status();
  if (ctx.role === 'root') return { index, ...status, search_memory: store.memoryStatus() };
  const records = await store.countRows(eq('account_id', ctx.effective.account_id));
  const { queue_depth, index_lag_s, embedder } = status;
  return { index, queue_depth, index_lag_s, records, embedder };
}

/** /ready: the indexer accepts jobs, the index is complete (not missing or rebuilding) and answers. */
async function readiness(
  pipeline: IndexPipeline,
  store: IndexStore,
  guard: IndexGuard,
): Promise<{ ok: boolean; checks: Record<string, unknown> }> {
  const state = await guard.state();
  const index =
    state !== 'ok'
      ? state
      : await store.countRows().then(
          () => 'ok',
          () => 'unavailable',
        );
  const indexer = pipeline.running ? 'ok' : 'stopped';
  return { ok: index === 'ok' && indexer === 'ok', checks: { index, indexer } };
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
  readonly metrics: Metrics;
  readonly deps: AppDeps;
  /**
   * Stops the pipeline (pending jobs stay in the journal), records the index's version, closes the
   * index, releases DATA_DIR.
   */
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
  // Listed before the account store creates folders: a fresh DATA_DIR has nothing to rebuild.
  const onDisk = await accountsOnDisk(dataDir);
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
  const guard = new IndexGuard({ dataDir, lancedbUri: config.lancedbUri, store, pipeline, log });
  await pipeline.start();
  await guard.atStart(onDisk);
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
    available: (ctx, recheck) => guard.assertSearchable(ctx.effective.account_id, recheck),
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
    status: (ctx) => statusFor(ctx, pipeline, store, guard),
    ready: () => readiness(pipeline, store, guard),
    metrics,
  };
  const close = async (): Promise<void> => {
    await pipeline.stop();
    await guard.close();
    await store.close();
    await unlock();
  };
  return { config, accounts, embedder, store, pipeline, guard, vfs, sessions, search, metrics, deps, close };
}
