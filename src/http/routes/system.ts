/**
 * Liveness, readiness and status (SPEC 12). /health and /ready are public; /api/v1/system/status is
 * for any authenticated caller and merges in what the indexing pipeline reports; /api/v1/system/wait
 * waits for the index jobs of the caller's account (SPEC 9.3); /api/v1/system/backup (ROOT) copies
 * the whole store while it runs.
 */
import { Router, type RequestHandler } from 'express';
import type { AuthMode } from '../../config.js';
import { AppError } from '../../errors.js';
import { DEFAULT_WAIT_TIMEOUT_S } from '../../hooks.js';
import { logger } from '../../log.js';
import { VERSION } from '../../version.js';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { RequestContext } from '../../policy/types.js';
import { contextOf, sendOk } from '../context.js';
import { parseInput } from '../../validate.js';
import { sendError } from '../errors.js';

export type ReadyCheck = () => Promise<{ ok: boolean; checks: Record<string, unknown> }>;
/** Extra status fields for a caller (what a caller may see depends on its role). */
export type StatusSource = (ctx: RequestContext) => Promise<Record<string, unknown>>;
/**
 * Resolves once the index jobs of `account_id` accepted so far are applied (every account's with
 * null); rejects with DEADLINE_EXCEEDED after `timeoutMs`, or with an error if one was dropped.
 */
export type WaitIdle = (account_id: string | null, timeoutMs: number) => Promise<void>;

/** Copies the whole store into the new folder `dest`; resolves to what the backup records. */
export type Backup = (dest: string) => Promise<Record<string, unknown>>;

const backupBody = z.object({
  dest: z
    .string()
    .min(1)
    .refine((path) => isAbsolute(path), 'must be an absolute path on the server'),
});

const waitBody = z.object({ timeout: z.number().positive().max(3600).nullish() }).nullish();

export const healthHandler: RequestHandler = (_req, res) => {
  res.json({ status: 'ok', healthy: true, version: VERSION });
};

/** 200 with the checks when ready, else 503 UNAVAILABLE with the checks in `details`. */
export function readyHandler(ready: ReadyCheck | undefined): RequestHandler {
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
  router.post('/backup', async (req, res) => {
    if (contextOf(req).role !== 'root') throw new AppError('PERMISSION_DENIED', 'backups are for ROOT only');
    const { dest } = parseInput(backupBody, req.body);
    if (backup === undefined) throw new AppError('FAILED_PRECONDITION', 'this server cannot take backups');
    sendOk(res, { dest, ...(await backup(dest)) });
  });
  router.post('/wait', async (req, res) => {
    const timeout = parseInput(waitBody, req.body)?.timeout ?? DEFAULT_WAIT_TIMEOUT_S;
    const ctx = contextOf(req);
    // Only ROOT without an account header waits for everyone; anyone else for their account only,
    // so nobody learns from it how busy another tenant is.
    const all = ctx.role === 'root' && req.get('x-openviking-account') === undefined;
    if (wait !== undefined) await wait(all ? null : ctx.effective.account_id, timeout * 1000);
    // `drained` is what OpenViking's clients read; a timeout is a 504, never `drained: false`.
    sendOk(res, { drained: true });
  });
  const startedAt = Date.now();
  router.get('/status', async (req, res) => {
    const ctx = contextOf(req);
    const extra = status === undefined ? {} : await status(ctx);
    // `initialized` and `user` are what OpenViking's status route answers; its clients read `user`.
    sendOk(res, {
      initialized: true,
      user: ctx.effective.user_id,
      version: VERSION,
      auth_mode: authMode,
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      role: ctx.role,
      ...extra,
    });
  });
  return router;
}
