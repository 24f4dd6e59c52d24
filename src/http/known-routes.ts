/**
 * Which declared route serves a request, decided before authentication from the route declarations
 * (src/http/openapi/route.ts) of the mounted routers — the same list the OpenAPI document is made of,
 * so there is no second list to keep in step. Paths are matched with path-to-regexp, with the options
 * express's router uses (case-insensitive, an optional trailing slash, parameters decoded).
 *
 * Two readers: an unknown route is a 404 `NOT_FOUND` with `details.route` for every caller (SPEC 5),
 * not a 401/400 from the auth middleware or a 404 a client cannot tell from "file not found"; and the
 * write gate (./gate.ts) holds the requests whose route declares `changes`.
 */
import type { RequestHandler, Router } from 'express';
import { match, type MatchFunction } from 'path-to-regexp';
import { AppError } from '../errors.js';
import { routesOf, type RouteDoc } from './openapi/route.js';

/** A router mounted at an absolute path prefix (`/api/v1/admin`; `` for the top level). */
export interface Mount {
  readonly path: string;
  readonly router: Router;
}

/** The declared routes of some mounted routers, looked up by method and absolute path. */
export interface RouteTable {
  /** The declaration serving `method` and `path` (no query string), or undefined. */
  find(method: string, path: string): RouteDoc | undefined;
}

interface Declared {
  readonly doc: RouteDoc;
  readonly matches: MatchFunction<object>;
}

/** A parameter that is not valid percent-encoding is the client's error, as in express's router. */
function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new AppError('INVALID_ARGUMENT', 'invalid request');
  }
}

function declared(doc: RouteDoc): Declared {
  // express drops a declared trailing slash and accepts one on any request.
  const path = doc.path === '/' ? doc.path : doc.path.replace(/\/+$/, '');
  return { doc, matches: match(path, { sensitive: false, end: true, trailing: true, decode: decodeParam }) };
}

/** The path below `prefix` ('/' for the prefix itself), or null if `path` is not under it. */
function below(prefix: string, path: string): string | null {
  const lower = path.toLowerCase();
  const base = prefix.toLowerCase();
  if (lower === base) return '/';
  return lower.startsWith(`${base}/`) ? path.slice(prefix.length) : null;
}

/** Whether a route declared for `declared` answers `method` (a GET route answers HEAD too). */
function answers(declared: string, method: string): boolean {
  const name = method.toLowerCase();
  return declared === name || (name === 'head' && declared === 'get');
}

/** The table of the routes declared in `mounts` (read once: routers are complete when mounted). */
export function routeTable(mounts: readonly Mount[]): RouteTable {
  const table = mounts.map(({ path, router }) => ({ prefix: path, routes: routesOf(router).map(declared) }));
  return {
    find(method, path) {
      for (const { prefix, routes } of table) {
        const rest = below(prefix, path);
        if (rest === null) continue;
        const found = routes.find((r) => answers(r.doc.method, method) && r.matches(rest) !== false);
        if (found !== undefined) return found.doc;
      }
      return undefined;
    },
  };
}

/** The request's path as the client sent it, without the query string. */
export function requestPath(url: string): string {
  return url.split('?')[0] ?? '';
}

/** Middleware answering 404 NOT_FOUND (with `details.route`) for requests no declared route serves. */
export function unknownRouteGuard(routes: RouteTable): RequestHandler {
  return (req, _res, next) => {
    const path = requestPath(req.originalUrl);
    if (routes.find(req.method, path) !== undefined) return next();
    const route = `${req.method} ${path}`;
    throw new AppError('NOT_FOUND', `no route for ${route}`, { route });
  };
}
