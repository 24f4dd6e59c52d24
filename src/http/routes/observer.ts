/**
 * OpenViking's observer and debug routes, relative to /api/v1: `GET observer/{queue,vikingdb,models,
 * system}` and `GET debug/health`. What a caller may see is decided by the {@link Observer}.
 */
import { Router, type Request } from 'express';
import type { Observer } from '../../observer.js';
import { contextOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';

export function observerRouter(observer: Observer): Router {
  const router = Router();
  const get = (path: string, summary: string, answer: (req: Request) => unknown): void =>
    route(router, { method: 'get', path, tag: 'observer', summary }, async (req, res) =>
      sendOk(res, await answer(req)),
    );
  get('/observer/queue', "Index queue (ROOT: the server's; others: their account's)", (req) =>
    observer.queue(contextOf(req)),
  );
  get('/observer/vikingdb', "Index records (ROOT: the server's; others: their account's)", (req) =>
    observer.vikingdb(contextOf(req)),
  );
  get('/observer/models', 'The embedder in use', () => observer.models());
  get('/observer/system', 'Components and their health', (req) => observer.system(contextOf(req)));
  get('/debug/health', 'Whether every readiness check passes', async () => ({
    healthy: (await observer.readiness()).ok,
  }));
  return router;
}
