/**
 * Liveness, readiness and status (SPEC 12). /health and /ready are public (served with the ROOT-only
 * /metrics by `publicRouter`, at the top level); /api/v1/system/status is
 * for any authenticated caller and merges in what the indexing pipeline reports; /api/v1/system/wait
 * waits for the index jobs of the caller's account (SPEC 9.3); /api/v1/system/backup (ROOT) copies
 * the whole store while it runs.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AuthMode } from '../../config.js';
import { AppError } from '../../errors.js';
import { DEFAULT_WAIT_TIMEOUT_S } from '../../hooks.js';
import { logger } from '../../log.js';
import { VERSION } from '../../version.js';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { RequestContext } from '../../policy/types.js';
import { contextOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';
import { backupTaken } from '../openapi/results-more.js';
import { drained, health, readyResult, statusResult } from '../openapi/results-system.js';
import { sendError } from '../errors.js';

export type ReadyCheck = () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
/** Extra status fields for a caller (what a caller may see depends on its role). */
export type StatusSource = (ctx: RequestContext) => Promise<Record<string, unknown>>;
/**
 * Resolves once the index jobs of `account_id` accepted so far are applied (every account's with
 * null); rejects with DEADLINE_EXCEEDED after `timeoutMs`, or with an error if one was dropped.
 */
export type WaitIdle = (account_id: string | null, timeoutMs: number) => Promise<void>;

/** Copies the whole store into the new folder `dest` (ROOT only); resolves to what the backup records. */
export type Backup = (ctx: RequestContext, dest: string) => Promise<Record<string, unknown>>;

const backupBody = z.object({
  dest: z
    .string()
    .min(1)
    .refine((path) => isAbsolute(path), 'must be an absolute path on the server'),
});

const waitBody = z.object({ timeout: z.number().positive().max(3600).nullish() }).nullish();

/** Resolves the identity a request's key and headers name; throws if they name none. */
export type IdentityOf = (req: Request) => Promise<RequestContext>;

/**
 * `GET /health` (public). When the request's key and headers resolve to an identity, the answer also
 * names its `user_id`, as OpenViking's does; a missing or bad key only leaves it out.
 */
function healthHandler(identityOf?: IdentityOf): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    let user = {};
    try {
      if (identityOf !== undefined) user = { user_id: (await identityOf(req)).effective.user_id };
    } catch {
      // No identity: the answer simply has no user_id.
    }
    res.json({ status: 'ok', healthy: true, version: VERSION, ...user });
  };
}

/** 200 with the checks when ready, else 503 UNAVAILABLE with the checks in `details`. */
function readyHandler(ready: ReadyCheck | undefined): (req: Request, res: Response) => Promise<void> {
  return async (_req, res) => {
    let result: { ok: boolean; checks: Record<string, unknown> };
    try {
      result = ready === undefined ? { ok: true, checks: {} } : await ready();
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      result = { ok: false, checks: { error: 'readiness check failed' } };
    }
    if (result.ok) sendOk(res, { ready: true, checks: result.checks });
    else sendError(res, new AppError('UNAVAILABLE', 'not ready', { checks: result.checks }));
  };
}

/** Router for /api/v1/system. */
export function systemRouter(
  authMode: AuthMode,
  status: StatusSource | undefined,
  wait: WaitIdle | undefined,
  backup?: Backup,
): Router {
  const router = Router();
  const doc = { tag: 'system', access: 'system' } as const;
  route(
    router,
    {
      ...doc,
      method: 'post',
      path: '/wait',
      result: drained,
      summary: "Wait until the account's accepted index jobs are applied",
      body: waitBody,
      example: { body: { timeout: 30 } },
    },
    async (req, res, input) => {
      const timeout = input.body()?.timeout ?? DEFAULT_WAIT_TIMEOUT_S;
      const ctx = contextOf(req);
      // Only ROOT without an account header waits for everyone; anyone else for their account only,
      // so nobody learns from it how busy another tenant is.
      const all = ctx.role === 'root' && req.get('x-openviking-account') === undefined;
      if (wait !== undefined) await wait(all ? null : ctx.effective.account_id, timeout * 1000);
      // `drained` is what OpenViking's clients read; a timeout is a 504, never `drained: false`.
      sendOk(res, { drained: true });
    },
  );
  route(
    router,
    {
      ...doc,
      method: 'post',
      path: '/backup',
      result: backupTaken,
      summary: 'ROOT: a consistent copy of the whole store into a new folder on the server',
      body: backupBody,
      example: { body: { dest: '/var/backups/vikingscope-2026-11-29' } },
    },
    async (req, res, input) => {
      const { dest } = input.body();
      if (backup === undefined) throw new AppError('FAILED_PRECONDITION', 'this server cannot take backups');
      sendOk(res, { dest, ...(await backup(contextOf(req), dest)) });
    },
  );
  const startedAt = Date.now();
  const statusDoc = {
    ...doc,
    method: 'get',
    path: '/status',
    result: statusResult,
    summary: 'Queue depth, index size, embedder',
  } as const;
  route(router, statusDoc, async (req, res) => {
    const ctx = contextOf(req);
    const extra = status === undefined ? {} : await status(ctx);
    // `initialized` and `user` are what OpenViking's status route answers; its clients read `user`.
    // `account_id` and `agent_id` complete the effective identity (the web console shows it).
    sendOk(res, {
      initialized: true,
      user: ctx.effective.user_id,
      account_id: ctx.effective.account_id,
      agent_id: ctx.effective.agent_id,
      version: VERSION,
      auth_mode: authMode,
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      role: ctx.role,
      ...extra,
    });
  });
  return router;
}

/**
 * Only `/health` and `/ready`: what a `ROLE=worker` process serves (SPEC 14; it answers no API).
 */
export function probesRouter(ready: ReadyCheck | undefined): Router {
  const router = Router();
  router.get('/health', healthHandler());
  router.get('/ready', readyHandler(ready));
  return router;
}

/** `/health`, `/ready` and the ROOT-only `/metrics` (top level; `metricsAuth` authenticates it). */
export function publicRouter(
  ready: ReadyCheck | undefined,
  metrics: (req: Request, res: Response) => Promise<void>,
  metricsAuth: RequestHandler,
  identityOf?: IdentityOf,
): Router {
  const router = Router();
  const tag = 'system';
  route(
    router,
    {
      method: 'get',
      path: '/health',
      response: health,
      tag,
      access: 'public',
      summary: 'Liveness and version; names the user_id when the key and headers resolve to one',
    },
    healthHandler(identityOf),
  );
  route(
    router,
    {
      method: 'get',
      path: '/ready',
      result: readyResult,
      tag,
      access: 'public',
      summary: 'Readiness (503 with the failing checks)',
    },
    readyHandler(ready),
  );
  const metricsDoc = {
    method: 'get',
    path: '/metrics',
    tag,
    access: 'system',
    produces: 'text/plain',
    summary: 'Prometheus metrics (root key only)',
  } as const;
  route(router, metricsDoc, metrics, [metricsAuth]);
  return router;
}
