/**
 * The express application without a listening socket (tests use it in-process).
 * `createApp(services)` is the whole API: it builds every router from the services the composition
 * root (src/services.ts) made. `buildApp(deps)` is its shell around given tenant routers (tests mount
 * a few). Order: request metrics, public health routes, ROOT-only /metrics, /openapi.json and /docs,
 * the web console's static files (it signs in through /api/v1 like any client), the 404 for unknown
 * /api/v1 routes (before authentication), auth on /api/v1 and /mcp (from headers, before any body byte
 * is read), body reader, the write gate (backups; /api/v1 and /mcp), /mcp, admin and system routers,
 * the tenant routers, then the 404 envelope and the error handler. Every API router is mounted
 * through `mount`, which also hands its route declarations to the OpenAPI document.
 */
import express, { type Express, type Request, type RequestHandler, type Router } from 'express';
import type { AdminService } from '../accounts/admin.js';
import type { AccountStore } from '../accounts/store.js';
import type { Config } from '../config.js';
import type { Vfs } from '../fs/vfs.js';
import type { IndexPipeline } from '../indexing/pipeline.js';
import type { MaintenanceService } from '../maintenance/service.js';
import { Metrics } from '../metrics.js';
import type { Observer } from '../observer.js';
import type { PackBackups } from '../pack/backup.js';
import type { PackService } from '../pack/service.js';
import type { RequestContext } from '../policy/types.js';
import type { ResourceService } from '../resources/service.js';
import type { SearchAdmission } from '../search/admission.js';
import type { SearchService } from '../search/service.js';
import type { SessionService } from '../sessions/service.js';
import type { SkillCatalog } from '../skills/catalog.js';
import type { SkillService } from '../skills/service.js';
import type { WriteGate } from '../storage/gate.js';
import type { TagService } from '../tags/service.js';
import type { TaskRegistry } from '../tasks/registry.js';
import type { UploadStore } from '../uploads/store.js';
import { authMiddleware, resolveContext } from './auth.js';
import { bodyReader } from './body.js';
import { requireJsonBody } from './content-type.js';
import { homeRouter } from './home.js';
import { consoleRouter } from './console.js';
import { contextOf } from './context.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { changeGate } from './gate.js';
import { routeTable, unknownRouteGuard, type Mount } from './known-routes.js';
import { markMount, metricsHandler, requestMetrics } from './metrics.js';
import { adminRouter } from './routes/admin.js';
import { attrsRouter } from './routes/attrs.js';
import { fsRouter } from './routes/fs.js';
import { maintenanceRouter } from './routes/maintenance.js';
import { observerRouter } from './routes/observer.js';
import { packRouter } from './routes/pack.js';
import { resourcesRouter } from './routes/resources.js';
import { searchRouter } from './routes/search.js';
import { sessionsRouter } from './routes/sessions.js';
import { skillsRouter } from './routes/skills.js';
import { unimplementedRouter } from './routes/unimplemented.js';
import { uploadsRouter } from './routes/uploads.js';
import { mcpRouter } from '../mcp/http.js';
import type { McpServices } from '../mcp/tools.js';
import type { MountedRoutes } from './openapi/document.js';
import { routesOf } from './openapi/route.js';
import { docsRouter } from './openapi/serve.js';
import {
  publicRouter,
  systemRouter,
  type Backup,
  type ReadyCheck,
  type StatusSource,
  type WaitIdle,
} from './routes/system.js';

/**
 * The services the whole API serves, declared once: src/services.ts builds them, and its `Services`
 * extends this with what only the composition root holds.
 */
export interface AppServices {
  readonly config: Config;
  readonly accounts: AccountStore;
  readonly admin: AdminService;
  readonly vfs: Vfs;
  readonly sessions: SessionService;
  readonly search: SearchService;
  /** Bounds the searches in flight (503 past a short queue). */
  readonly admission: SearchAdmission;
  readonly observer: Observer;
  readonly skills: SkillService;
  /** The caller's skills as search sees them (list, find, get). */
  readonly skillCatalog: SkillCatalog;
  readonly packs: PackService;
  readonly packBackups: PackBackups;
  /** Temporary uploads (`temp_file_id`) for add_resource, skills and pack import. */
  readonly uploads: UploadStore;
  /** add_resource. */
  readonly resources: ResourceService;
  readonly tasks: TaskRegistry;
  readonly tags: TagService;
  readonly maintenance: MaintenanceService;
  /** The API only waits on it (`POST /api/v1/system/wait`). */
  readonly pipeline: Pick<IndexPipeline, 'waitForAccount'>;
  readonly metrics: Metrics;
  /** Held shared by every changing request, exclusive by a backup. */
  readonly gate: WriteGate;
  /** A consistent copy of the whole store into the new folder `dest`, taken while serving (ROOT). */
  readonly backup: Backup;
}

/** The whole API over `services`: every router, /mcp, the write gate, status and readiness. */
export function createApp(services: AppServices): Express {
  const { config, vfs, sessions, search, admission, observer, skillCatalog } = services;
  return buildApp({
    config,
    accounts: services.accounts,
    admin: services.admin,
    routers: [
      fsRouter(vfs),
      sessionsRouter(sessions),
      searchRouter(search, admission),
      observerRouter(observer),
      skillsRouter(services.skills, skillCatalog),
      packRouter(services.packs, services.packBackups),
      uploadsRouter(services.uploads, config.maxUploadBytes),
      resourcesRouter(services.resources, services.tasks),
      attrsRouter(services.tags),
      maintenanceRouter(services.maintenance),
      unimplementedRouter(),
    ],
    onContext: (ctx) => vfs.ensureIdentity(ctx),
    wait: (account, ms) => services.pipeline.waitForAccount(account, ms),
    status: (ctx) => observer.status(ctx),
    ready: () => observer.readiness(),
    metrics: services.metrics,
    mcp: { vfs, sessions, search, admission, skills: skillCatalog },
    gate: services.gate,
    backup: services.backup,
  });
}

/** What {@link buildApp} serves: the admin and system routes, and the tenant routers given. */
export interface AppDeps {
  readonly config: Config;
  readonly accounts: AccountStore;
  /** Serves /api/v1/admin. */
  readonly admin: AdminService;
  /** Tenant routers, mounted under /api/v1 after the auth middleware. */
  readonly routers?: readonly Router[];
  /** Awaited after a tenant request's context is resolved (the filesystem creates scope folders). */
  readonly onContext?: (ctx: RequestContext) => Promise<void>;
  /** Extra fields of /api/v1/system/status (queue depth, index size, embedder). */
  readonly status?: StatusSource;
  /** `POST /api/v1/system/wait`: waits for an account's index jobs accepted so far (all with null). */
  readonly wait?: WaitIdle;
  /** Readiness checks for /ready. */
  readonly ready?: ReadyCheck;
  /** Served at `GET /metrics`; an app without it gets its own, with HTTP metrics only. */
  readonly metrics?: Metrics;
  /** The services behind the MCP tools; without them there is no /mcp. */
  readonly mcp?: McpServices;
  /** Held shared by every changing request (a backup holds it exclusive). */
  readonly gate?: WriteGate;
  /** `POST /api/v1/system/backup` (ROOT): a consistent copy of the store into a new folder. */
  readonly backup?: Backup;
}

/** Runs `handler` for the mount path itself (`/mcp`), not for paths below it (those are 404s). */
function onlyExact(handler: RequestHandler): RequestHandler {
  return (req, res, next) => (req.path === '/' ? handler(req, res, next) : next());
}

/** The /mcp route's guard: authentication ran before the body reader, so a context must be set. */
const requireContext: RequestHandler = (req, _res, next) => {
  contextOf(req);
  next();
};

/** The app around `deps.routers`, with the admin, system, public and documentation routes. */
export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const metrics = deps.metrics ?? new Metrics();
  app.use(requestMetrics(metrics));
  const documented: MountedRoutes[] = [];
  // `path` '' mounts at the top level (the route label is then the route's own path).
  const mount = (path: string, router: Router): void => {
    app.use(path === '' ? '/' : path, markMount(path), router);
    documented.push({ prefix: path, routes: routesOf(router) });
  };
  const auth = { config: deps.config, accounts: deps.accounts, onContext: deps.onContext };
  const identityOf = (req: Request): Promise<RequestContext> => resolveContext(auth, req, 'system');
  mount('', publicRouter(deps.ready, metricsHandler(metrics), authMiddleware(auth, 'system'), identityOf));
  mount(
    '',
    docsRouter(() => documented),
  );
  mount('/console', consoleRouter());
  mount('', homeRouter());
  const api: Mount[] = [
    { path: '/api/v1/admin', router: adminRouter(deps.admin) },
    {
      path: '/api/v1/system',
      router: systemRouter(deps.config.authMode, deps.status, deps.wait, deps.backup),
    },
    ...(deps.routers ?? []).map((router) => ({ path: '/api/v1', router })),
  ];
  const mcp: Mount[] =
    deps.mcp === undefined ? [] : [{ path: '', router: mcpRouter(deps.mcp, requireContext) }];
  app.use('/api/v1', unknownRouteGuard(routeTable(api)));
  // Authentication reads headers only: a caller without a valid key never gets its body read.
  app.use('/api/v1', authMiddleware(auth));
  if (deps.mcp !== undefined) app.use('/mcp', onlyExact(authMiddleware(auth, 'tenant')));
  app.use(requireJsonBody());
  app.use(bodyReader(deps.config.maxBodyBytes));
  // MCP tool calls may write (write, remember, add_message, forget): they pass the gate too.
  if (deps.gate !== undefined)
    app.use(['/api/v1', '/mcp'], changeGate(deps.gate, routeTable([...mcp, ...api])));
  for (const { path, router } of [...mcp, ...api]) mount(path, router);
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
