/**
 * HTTP side of the metrics: the middleware that counts and times every request by its route
 * *pattern* (the mount path plus express's `req.route.path`, never the raw URL, so label values stay
 * bounded), and the ROOT-only `GET /metrics` handler.
 */
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { contextOf } from './context.js';

/** The route label of requests no route matched (404s, and requests refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Where the router now handling a request is mounted. Express restores `req.baseUrl` when an error
 * leaves a router, so it is recorded on the way in instead of read when the response finishes.
 */
const mounts = new WeakMap<Request, string>();

/** Placed in front of a router mounted at `path` (`app.use(path, markMount(path), router)`). */
export function markMount(path: string): RequestHandler {
  return (req, _res, next) => {
    mounts.set(req, path);
    next();
  };
}

/** `/api/v1` + `/fs/ls`; {@link UNMATCHED_ROUTE} when no route took the request. */
export function routeLabel(req: Request): string {
  const route: unknown = req.route;
  if (typeof route !== 'object' || route === null || !('path' in route)) return UNMATCHED_ROUTE;
  const path = typeof route.path === 'string' ? route.path : String(route.path);
  return `${mounts.get(req) ?? ''}${path}`;
}

/** Counts and times every request once its response is finished (or the client went away). */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const labels = { method: req.method, route: routeLabel(req), status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

/** `GET /metrics` in the Prometheus text format; ROOT only (authenticated before it). */
export function metricsHandler(metrics: Metrics): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    if (contextOf(req).role !== 'root') {
      throw new AppError('PERMISSION_DENIED', 'metrics are for the root key only');
    }
    const text = await metrics.render();
    res.setHeader('Content-Type', metrics.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(text);
  };
}
