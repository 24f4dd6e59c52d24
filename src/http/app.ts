/**
 * `createApp(deps)`: the express application without a listening socket (tests use it in-process).
 * Order: request metrics, public health routes, ROOT-only /metrics, the 404 for unknown /api/v1
 * routes (before authentication), body reader, auth on /api/v1, admin and system routers, the tenant routers supplied by the other services, then the 404 envelope
 * and the error handler.
 */
import express, { type Express, type Router } from 'express';
import type { AccountStore } from '../accounts/store.js';
import type { Config } from '../config.js';
import type { ContentHooks } from '../hooks.js';
import { Metrics } from '../metrics.js';
import type { RequestContext } from '../policy/types.js';
import { authMiddleware } from './auth.js';
import { bodyReader } from './body.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { unknownRouteGuard, type Mount } from './known-routes.js';
import { markMount, metricsHandler, requestMetrics } from './metrics.js';
import { adminRouter } from './routes/admin.js';
import {
  healthHandler,
  readyHandler,
  systemRouter,
  type ReadyCheck,
  type StatusSource,
  type WaitIdle,
} from './routes/system.js';

export interface AppDeps {
  readonly config: Config;
  readonly accounts: AccountStore;
  readonly hooks: ContentHooks;
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
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const metrics = deps.metrics ?? new Metrics();
  app.use(requestMetrics(metrics));
  app.get('/health', healthHandler);
  app.get('/ready', readyHandler(deps.ready));
  const auth = { config: deps.config, accounts: deps.accounts, onContext: deps.onContext };
  app.get('/metrics', authMiddleware(auth, 'system'), metricsHandler(metrics));
  const mounts: Mount[] = [
    { path: '/api/v1/admin', router: adminRouter(deps.accounts) },
    { path: '/api/v1/system', router: systemRouter(deps.config.authMode, deps.status, deps.wait) },
    ...(deps.routers ?? []).map((router) => ({ path: '/api/v1', router })),
  ];
  app.use('/api/v1', unknownRouteGuard(mounts));
  app.use(bodyReader(deps.config.maxBodyBytes));
  app.use('/api/v1', authMiddleware(auth));
  for (const { path, router } of mounts) app.use(path, markMount(path), router);
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
