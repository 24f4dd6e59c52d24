/**
 * OpenViking routes we deliberately do not implement, answered `501 UNIMPLEMENTED` naming the feature
 * (instead of a 404 a client cannot tell from a missing file): the resource `watches` (periodic
 * re-import) and the `snapshot` (git) calls of OpenViking's TypeScript SDK. Both belong to its later
 * storage model; the README's differences section lists them. Authentication runs first, as for any
 * tenant route, so an anonymous caller learns nothing more than a 401.
 */
import { Router } from 'express';
import { AppError } from '../../errors.js';
import { route, type Method } from '../openapi/route.js';

interface Unimplemented {
  readonly method: Method;
  readonly path: string;
}

const WATCHES: readonly Unimplemented[] = [
  { method: 'get', path: '/watches' },
  { method: 'patch', path: '/watches' },
  { method: 'delete', path: '/watches' },
  { method: 'post', path: '/watches/trigger' },
  { method: 'get', path: '/watches/:task_id' },
  { method: 'patch', path: '/watches/:task_id' },
  { method: 'delete', path: '/watches/:task_id' },
  { method: 'post', path: '/watches/:task_id/trigger' },
];

const SNAPSHOTS: readonly Unimplemented[] = [
  { method: 'post', path: '/snapshot/commit' },
  { method: 'post', path: '/snapshot/restore' },
  { method: 'get', path: '/snapshot/show' },
  { method: 'get', path: '/snapshot/log' },
  { method: 'get', path: '/snapshot/diff' },
  { method: 'get', path: '/snapshot/ignore' },
  { method: 'put', path: '/snapshot/ignore' },
  { method: 'delete', path: '/snapshot/ignore' },
];

const FEATURES = [
  {
    feature: 'watches',
    routes: WATCHES,
    why: 'resource watches (periodic re-import) are not implemented by VikingScope',
  },
  {
    feature: 'snapshots',
    routes: SNAPSHOTS,
    why: 'git snapshots of the filesystem are not implemented by VikingScope',
  },
] as const;

/** Routes answering 501 UNIMPLEMENTED with `details.feature` and `details.route`. */
export function unimplementedRouter(): Router {
  const router = Router();
  for (const { feature, routes, why } of FEATURES) {
    for (const { method, path } of routes) {
      route(
        router,
        {
          method,
          path,
          tag: 'unimplemented',
          summary: `OpenViking's ${feature} call: answers 501 UNIMPLEMENTED`,
          description: `${why}; see the README's differences from OpenViking.`,
        },
        (req) => {
          const asked = `${req.method} ${req.originalUrl.split('?')[0] ?? ''}`;
          throw new AppError('UNIMPLEMENTED', `${why} (${asked})`, { feature, route: asked });
        },
      );
    }
  }
  return router;
}
