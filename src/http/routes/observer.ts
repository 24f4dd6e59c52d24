/**
 * OpenViking's observer and debug routes, relative to /api/v1: `GET observer/{queue,vikingdb,models,
 * system}` and `GET debug/health`. What a caller may see is decided by the {@link Observer}.
 */
import { Router } from 'express';
import type { Observer } from '../../observer.js';
import { contextOf, sendOk } from '../context.js';

export function observerRouter(observer: Observer): Router {
  const router = Router();
  router.get('/observer/queue', async (req, res) => {
    sendOk(res, await observer.queue(contextOf(req)));
  });
  router.get('/observer/vikingdb', async (req, res) => {
    sendOk(res, await observer.vikingdb(contextOf(req)));
  });
  router.get('/observer/models', (_req, res) => {
    sendOk(res, observer.models());
  });
  router.get('/observer/system', async (req, res) => {
    sendOk(res, await observer.system(contextOf(req)));
  });
  router.get('/debug/health', async (_req, res) => {
    sendOk(res, { healthy: (await observer.readiness()).ok });
  });
  return router;
}
