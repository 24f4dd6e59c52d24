/**
 * OpenViking's observer and debug routes, relative to /api/v1: `GET observer/{queue,vikingdb,models,
 * system}` and `GET debug/health`. What a caller may see is decided by the {@link Observer}.
 */
import { Router, type Request } from 'express';
import type { Observer } from '../../observer.js';
import { contextOf, sendOk } from '../context.js';
import type { z } from 'zod';
import { route } from '../openapi/route.js';
import { component, debugHealth, systemView } from '../openapi/results-system.js';

export function observerRouter(observer: Observer): Router {
  const router = Router();
  const get = (path: string, summary: string, result: z.ZodType, answer: (req: Request) => unknown): void =>
    route(router, { method: 'get', path, tag: 'observer', summary, result }, async (req, res) =>
      sendOk(res, await answer(req)),
    );
  get('/observer/queue', "Index queue (ROOT: the server's; others: their account's)", component, (req) =>
    observer.queue(contextOf(req)),
  );
  get('/observer/vikingdb', "Index records (ROOT: the server's; others: their account's)", component, (req) =>
    observer.vikingdb(contextOf(req)),
  );
  get('/observer/models', 'The embedder in use', component, () => observer.models());
  get('/observer/system', 'Components and their health', systemView, (req) =>
    observer.system(contextOf(req)),
  );
  get('/debug/health', 'Whether every readiness check passes', debugHealth, async () => ({
    healthy: (await observer.readiness()).ok,
  }));
  return router;
}
