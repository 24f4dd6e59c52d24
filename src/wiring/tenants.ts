/**
 * The tenant services of the composition root (src/services.ts) that need more than a constructor
 * call: sessions with memory extraction, and search with its admission control and metrics.
 */
import type { Config } from '../config.js';
import { MaintenanceService } from '../maintenance/service.js';
import { PackBackups } from '../pack/backup.js';
import { PackService, type PackLimits } from '../pack/service.js';
import { configureParsePool, type DocumentLimits } from '../resources/parse-jobs.js';
import { ResourceService } from '../resources/service.js';
import { SkillCatalog } from '../skills/catalog.js';
import { SkillService } from '../skills/service.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { extractMemories } from '../memories/extractor.js';
import { Metrics } from '../metrics.js';
import { createChat } from '../models/chat.js';
import type { RequestContext } from '../policy/index.js';
import { SearchAdmission } from '../search/admission.js';
import { SearchService } from '../search/service.js';
import { SessionService } from '../sessions/service.js';
import { TagService } from '../tags/service.js';
import type { TaskRegistry } from '../tasks/registry.js';
import { late, type Core } from './core.js';

/**
 * A pack holds at most as many bytes of files as one upload may hold, so an export can be imported
 * again; its upload is read within the parse settings' entries, ratio and deadline.
 */
function packLimits(config: Config): PackLimits {
  const { zipMaxEntries, zipMaxRatio, timeoutMs } = config.parse;
  return {
    maxEntries: zipMaxEntries,
    maxEntryBytes: config.maxFileBytes,
    maxTotalBytes: config.maxUploadBytes,
    maxRatio: zipMaxRatio,
    timeoutMs,
  };
}

/** The bounds of converting one document (a PDF's text is stored as one file: at most MAX_FILE_BYTES). */
function documentLimits(config: Config): DocumentLimits {
  const { maxPdfPages, maxHtmlDepth, timeoutMs, archiveTimeoutMs } = config.parse;
  // The text of an archive's documents is held until it is written: at most one upload's worth.
  const maxArchiveTextBytes = config.maxUploadBytes;
  return {
    maxPdfPages,
    maxTextBytes: config.maxFileBytes,
    maxHtmlDepth,
    timeoutMs,
    archiveTimeoutMs,
    maxArchiveTextBytes,
  };
}

/** Sessions, with memory extraction when a chat model is configured (resuming interrupted ones). */
export function openSessions(config: Config, log: Logger, core: Core, tasks: TaskRegistry): SessionService {
  const { accounts, vfs } = core;
  const chat = config.llm === null ? null : createChat(config.llm);
  const readable = (ctx: RequestContext, uri: string): Promise<boolean> =>
    vfs.stat(ctx, uri).then(
      () => true,
      () => false,
    );
  const sessions = new SessionService({
    storage: core.storages.sessions,
    hooks: core.hooks,
    isRegisteredUser: (a, u) => accounts.isRegisteredUser(a, u),
    authMode: config.authMode,
    waitIndexed: core.waitIndexed,
    ...(chat === null
      ? {}
      : { extraction: { tasks, log, extract: (input) => extractMemories({ chat, vfs }, input), readable } }),
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
  return sessions;
}

/** Search behind its admission control, the metrics that count both, and the retrieval tags it reads. */
export interface SearchParts {
  readonly metrics: Metrics;
  readonly admission: SearchAdmission;
  readonly tags: TagService;
  readonly search: SearchService;
}

export function openSearch(config: Config, log: Logger, core: Core): SearchParts {
  const { pipeline, store, embedder, guard } = core;
  // The metrics read the admission's load; the admission counts its refusals in the metrics.
  const searchLoad = late<SearchAdmission>('search admission');
  const metrics = new Metrics({
    indexStatus: () => pipeline.status(),
    searchLoad: () => searchLoad.get().stats(),
    log,
  });
  const admission = new SearchAdmission({
    maxInflight: config.maxSearchInflight,
    maxQueue: config.maxSearchQueue,
    onReject: () => metrics.searchesRejected.inc(),
  });
  searchLoad.set(admission);
  const tags = new TagService(core.vfs, core.tagStore);
  const search = new SearchService({
    index: store,
    embedder,
    log,
    onIntegrityError: (n) => metrics.integrityErrors.inc(n),
    onPlan: (plan) => metrics.searchPlans.inc({ plan: plan.name }),
    peersOf: (a, s, ids) => core.reader.peersOf(a, s, ids),
    available: (ctx, recheck) => guard.assertSearchable(ctx.effective.account_id, recheck),
    taggedUris: (ctx, wanted) => tags.readableWithAll(ctx, wanted),
  });
  return { metrics, admission, tags, search };
}

export interface ContentParts {
  readonly resources: ResourceService;
  readonly packs: PackService;
  readonly packBackups: PackBackups;
  readonly skills: SkillService;
  readonly skillCatalog: SkillCatalog;
  readonly maintenance: MaintenanceService;
}

/** Importing content (resources, packs, skills) and index maintenance, over the filesystem and search. */
export function openContent(
  config: Config,
  core: Core,
  tasks: TaskRegistry,
  found: SearchParts,
): ContentParts {
  const { vfs, uploads, store, hooks, waitIndexed } = core;
  configureParsePool(config.parse);
  const readUpload = async (ctx: RequestContext, id: string) => (await uploads.read(ctx, id)).data;
  const resources = new ResourceService({
    vfs,
    uploads,
    tasks,
    waitIndexed,
    fetch: { maxBytes: config.maxUploadBytes, allowPrivate: config.allowPrivateUrls },
    // What an archive expands to is held on the main thread until it is written: as for a pack, at
    // most one upload's worth (MAX_UPLOAD_BYTES) in all, each file at most MAX_FILE_BYTES.
    zip: packLimits(config),
    documents: documentLimits(config),
  });
  const packs = new PackService({ vfs, readUpload, limits: packLimits(config) });
  const skills = new SkillService(vfs, readUpload);
  const skillCatalog = new SkillCatalog(vfs, skills, (ctx, request) =>
    found.admission.run(() => found.search.search(ctx, request)),
  );
  const maintenance = new MaintenanceService({
    vfs,
    scanKeys: (expr, limit) => store.scanKeys(expr, limit),
    hooks,
    waitIndexed,
    tasks,
    setTags: (ctx, body) => found.tags.setTags(ctx, body),
  });
  const packBackups = new PackBackups(vfs, packs, packLimits(config));
  return { resources, packs, packBackups, skills, skillCatalog, maintenance };
}
