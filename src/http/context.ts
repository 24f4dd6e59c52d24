/** The request context attached by the auth middleware, and the success envelope (SPEC 12). */
import type { Request, Response } from 'express';
import { AppError } from '../errors.js';
import type { RequestContext } from '../policy/types.js';
import { warningsOf } from './warnings.js';

const CONTEXT = Symbol('vikingscope.context');

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the auth middleware; read through {@link contextOf} (the symbol stays in this module). */
    [CONTEXT]?: RequestContext;
  }
}

export function setContext(req: Request, ctx: RequestContext): void {
  req[CONTEXT] = ctx;
}

/** The resolved context of an authenticated request; INTERNAL if the auth middleware did not run. */
export function contextOf(req: Request): RequestContext {
  const ctx = req[CONTEXT];
  if (ctx === undefined) throw new AppError('INTERNAL', 'request context missing');
  return ctx;
}

/** A path parameter's value ('' when absent); the service validates it as the id it is. */
export function paramOf(req: Request, name: string): string {
  const value: unknown = req.params[name];
  return typeof value === 'string' ? value : '';
}

/** Sends `{status: "ok", result, error: null}`, with `warnings` when the request earned some. */
export function sendOk(res: Response, result: unknown, status = 200): void {
  const warnings = warningsOf(res);
  res
    .status(status)
    .json({ status: 'ok', result, error: null, ...(warnings.length > 0 ? { warnings } : {}) });
}
