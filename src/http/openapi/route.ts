/**
 * Route registration with its description: each route declares its method, path, query and body
 * schemas, summary and example next to its handler, and the handler parses its input with exactly
 * those schemas. The declarations are remembered per router, so the OpenAPI document is generated
 * from the schemas the routes parse with (there is no second, hand-written copy).
 *
 * @example
 * route(router, { method: 'get', path: '/fs/stat', tag: 'filesystem', summary: 'Stat a URI',
 *   query: uriQuery, example: { query: { uri: 'viking://resources' } } },
 *   async (req, res, input) => sendOk(res, await vfs.stat(contextOf(req), input.query().uri)));
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { parseInput } from '../../validate.js';
import { warnUnknownFields } from '../warnings.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route: `public` (no key), `system` (a key; identity headers optional), `tenant` (a
 * key, and executes in the view of the effective identity headers).
 */
export type Access = 'public' | 'system' | 'tenant';

export interface RouteDoc<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  readonly method: Method;
  /** Express syntax (`/sessions/:id`); every `:param` is an id (SPEC 1). */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  /** Defaults to `tenant`. */
  readonly access?: Access;
  /**
   * The route may change stored data: it holds the write gate while it runs, so a backup never sees
   * its change half-done (src/http/gate.ts). Routes that only read leave it out.
   */
  readonly changes?: boolean;
  readonly query?: Q;
  readonly body?: B;
  /** What a 400 for a bad body calls it (`invalid message`); `request` unless set. */
  readonly bodyName?: string;
  /** The `result` of the success envelope (results.ts); untyped (`{}`) when absent. */
  readonly result?: z.ZodType;
  /** The whole JSON answer of a route that does not answer with the envelope (`/health`). */
  readonly response?: z.ZodType;
  /** The form field of a `multipart/form-data` upload the route takes (its request body). */
  readonly upload?: string;
  /** Media type of a successful answer that is not the JSON envelope (`text/html`, `text/plain`). */
  readonly produces?: string;
  readonly example?: { readonly query?: z.input<Q>; readonly body?: z.input<B> };
}

/** The route's input, parsed on demand (so a handler may check permissions before parsing). */
export interface RouteInput<Q extends z.ZodType, B extends z.ZodType> {
  query(): z.output<Q>;
  body(): z.output<B>;
}

export type RouteHandler<Q extends z.ZodType, B extends z.ZodType> = (
  req: Request,
  res: Response,
  input: RouteInput<Q, B>,
) => unknown;

const documented = new WeakMap<Router, RouteDoc[]>();

function parseBody<B extends z.ZodType>(doc: RouteDoc<z.ZodType, B>, req: Request, res: Response) {
  if (doc.body === undefined) return req.body as z.output<B>;
  const body = parseInput(doc.body, req.body, doc.bodyName);
  warnUnknownFields(res, doc.body, req.body);
  return body;
}

function inputOf<Q extends z.ZodType, B extends z.ZodType>(
  doc: RouteDoc<Q, B>,
  req: Request,
  res: Response,
): RouteInput<Q, B> {
  return {
    query: () => (doc.query === undefined ? req.query : parseInput(doc.query, req.query, 'query')),
    body: () => parseBody(doc, req, res),
  } as RouteInput<Q, B>;
}

/**
 * Adds a route to `router` and records its description. `before` runs ahead of the handler (for
 * routes outside /api/v1 that authenticate themselves).
 */
export function route<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType>(
  router: Router,
  doc: RouteDoc<Q, B>,
  handler: RouteHandler<Q, B>,
  before: readonly RequestHandler[] = [],
): void {
  const list = documented.get(router) ?? [];
  list.push(doc);
  documented.set(router, list);
  router[doc.method](doc.path, ...before, (req: Request, res: Response) =>
    handler(req, res, inputOf(doc, req, res)),
  );
}

/** The descriptions of the routes added to `router` with {@link route}. */
export function routesOf(router: Router): readonly RouteDoc[] {
  return documented.get(router) ?? [];
}
