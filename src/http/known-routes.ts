/**
 * Which requests some route serves, decided before authentication: an unknown route is a 404
 * `NOT_FOUND` with `details.route` for every caller (SPEC 5), not a 401/400 from the auth middleware
 * or a 404 a client cannot tell from "file not found". The answer comes from the mounted routers
 * themselves (their route layers), so there is no second list of routes to keep in step.
 */
import type { RequestHandler, Router } from 'express';
import { AppError } from '../errors.js';

/** A router mounted at an absolute path prefix (`/api/v1/admin`). */
export interface Mount {
  readonly path: string;
  readonly router: Router;
}

/**
 * The parts of express's router layers we read (router 2.x): `match` tests a path against the layer,
 * `route.methods` lists a route's verbs, and a nested router keeps its own `stack`.
 */
interface LayerView {
  readonly route?: { readonly methods: Readonly<Record<string, boolean | undefined>> } | undefined;
  readonly handle?: { readonly stack?: unknown } | undefined;
  match(path: string): false | { readonly path: string };
}

function layersOf(router: { readonly stack?: unknown }): LayerView[] {
  return Array.isArray(router.stack) ? (router.stack as LayerView[]) : [];
}

function handlesMethod(methods: Readonly<Record<string, boolean | undefined>>, method: string): boolean {
  const name = method.toLowerCase();
  return methods._all === true || methods[name] === true || (name === 'head' && methods.get === true);
}

function serves(layers: readonly LayerView[], method: string, path: string): boolean {
  return layers.some((layer) => {
    const match = layer.match(path);
    if (match === false) return false;
    if (layer.route !== undefined) return handlesMethod(layer.route.methods, method);
    const nested = layer.handle === undefined ? [] : layersOf(layer.handle);
    return nested.length > 0 && serves(nested, method, path.slice(match.path.length) || '/');
  });
}

/** The path below `prefix` ('/' for the prefix itself), or null if `path` is not under it. */
function below(prefix: string, path: string): string | null {
  const lower = path.toLowerCase();
  const base = prefix.toLowerCase();
  if (lower === base) return '/';
  return lower.startsWith(`${base}/`) ? path.slice(prefix.length) : null;
}

/** Whether a mounted router has a route for `method` and the absolute `path`. */
export function isKnownRoute(mounts: readonly Mount[], method: string, path: string): boolean {
  return mounts.some((mount) => {
    const rest = below(mount.path, path);
    return rest !== null && serves(layersOf(mount.router), method, rest);
  });
}

/** Middleware answering 404 NOT_FOUND (with `details.route`) for requests no mounted route serves. */
export function unknownRouteGuard(mounts: readonly Mount[]): RequestHandler {
  return (req, _res, next) => {
    const path = req.originalUrl.split('?')[0] ?? '';
    if (isKnownRoute(mounts, req.method, path)) return next();
    const route = `${req.method} ${path}`;
    throw new AppError('NOT_FOUND', `no route for ${route}`, { route });
  };
}
