/**
 * The HTTP side of a `ROLE=worker` process (SPEC 14): it only indexes, so it answers `/health` and
 * `/ready` (for the orchestrator's probes) and nothing else — every other path is the 404 envelope.
 */
import express, { type Express } from 'express';
import type { Observer } from '../observer.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { probesRouter } from './routes/system.js';

export function createWorkerApp(services: { readonly observer: Observer }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(probesRouter(() => services.observer.readiness()));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
