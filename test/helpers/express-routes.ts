/**
 * Walks an express 5 application's router stack (not our route registry) and lists every route it
 * would answer, with its full path, plus the routers mounted in it: the ground truth that the OpenAPI
 * document is checked against.
 */
import type { Express, Router } from 'express';

interface Layer {
  readonly route?: { readonly path: unknown; readonly methods: Record<string, boolean> };
  readonly handle: unknown;
  readonly rawPath?: unknown;
}

export interface FoundRoute {
  readonly method: string;
  /** Express syntax, e.g. `/api/v1/sessions/:id`. */
  readonly path: string;
}

function stackOf(handle: unknown): readonly Layer[] | undefined {
  if (typeof handle !== 'function' && (typeof handle !== 'object' || handle === null)) return undefined;
  const stack = (handle as { stack?: unknown }).stack;
  return Array.isArray(stack) ? (stack as Layer[]) : undefined;
}

function join(prefix: string, path: unknown): string {
  const tail = typeof path === 'string' && path !== '/' ? path : '';
  return `${prefix}${tail}`;
}

function walk(stack: readonly Layer[], prefix: string, routes: FoundRoute[], routers: Router[]): void {
  for (const layer of stack) {
    if (layer.route !== undefined) {
      // The top-level `GET /` is '/', not ''.
      const path = join(prefix, layer.route.path) || '/';
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') routes.push({ method, path });
      }
      continue;
    }
    const inner = stackOf(layer.handle);
    if (inner === undefined) continue;
    routers.push(layer.handle as Router);
    walk(inner, join(prefix, layer.rawPath), routes, routers);
  }
}

/** Every route of `app` and every router mounted in it. */
export function expressRoutes(app: Express): { routes: FoundRoute[]; routers: Router[] } {
  const routes: FoundRoute[] = [];
  const routers: Router[] = [];
  walk(stackOf((app as unknown as { router: unknown }).router) ?? [], '', routes, routers);
  return { routes, routers };
}
