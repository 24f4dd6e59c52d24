/**
 * HTTP routes of the session API (SPEC 8), relative to /api/v1. Turns requests into
 * {@link SessionService} calls and results into the envelope; all rules live in the service.
 */
import { Router, type Request } from 'express';
import type { SessionService } from '../../sessions/service.js';
import { contextOf, sendOk } from '../context.js';

function param(req: Request, name: string): string {
  const value = (req.params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

const idParam = (req: Request): string => param(req, 'id');

export function sessionsRouter(service: SessionService): Router {
  const router = Router();
  router.post('/sessions', async (req, res) => {
    sendOk(res, await service.create(contextOf(req), req.body));
  });
  router.get('/sessions', async (req, res) => {
    sendOk(res, await service.list(contextOf(req)));
  });
  router.get('/sessions/:id', async (req, res) => {
    sendOk(res, await service.get(contextOf(req), idParam(req), req.query));
  });
  router.delete('/sessions/:id', async (req, res) => {
    sendOk(res, await service.delete(contextOf(req), idParam(req)));
  });
  router.post('/sessions/:id/messages', async (req, res) => {
    sendOk(res, await service.addMessage(contextOf(req), idParam(req), req.body));
  });
  router.post('/sessions/:id/messages/batch', async (req, res) => {
    sendOk(res, await service.addMessages(contextOf(req), idParam(req), req.body));
  });
  router.get('/sessions/:id/archives/:archive', async (req, res) => {
    sendOk(res, await service.archive(contextOf(req), idParam(req), param(req, 'archive')));
  });
  router.get('/sessions/:id/context', async (req, res) => {
    sendOk(res, await service.context(contextOf(req), idParam(req), req.query));
  });
  router.post('/sessions/:id/commit', async (req, res) => {
    sendOk(res, await service.commit(contextOf(req), idParam(req), req.body));
  });
  return router;
}
