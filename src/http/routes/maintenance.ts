/**
 * `POST /api/v1/content/reindex` and `POST /api/v1/system/consistency` (OpenViking's index
 * maintenance for a subtree), relative to /api/v1. The rules live in the MaintenanceService.
 */
import { Router } from 'express';
import { consistencyBody, reindexBody, type MaintenanceService } from '../../maintenance/service.js';
import { contextOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';
import * as more from '../openapi/results-more.js';

export function maintenanceRouter(maintenance: MaintenanceService): Router {
  const router = Router();
  route(
    router,
    {
      method: 'post',
      path: '/content/reindex',
      changes: true,
      result: more.reindexed,
      tag: 'content',
      summary: 'Re-embed the files below a URI the caller may write (a task for large subtrees)',
      body: reindexBody,
      bodyName: 'request body',
      example: { body: { uri: 'viking://resources/docs', mode: 'vectors_only', wait: true } },
    },
    async (req, res, input) => sendOk(res, await maintenance.reindex(contextOf(req), input.body())),
  );
  route(
    router,
    {
      method: 'post',
      path: '/system/consistency',
      changes: true,
      result: more.consistencyResult,
      tag: 'system',
      summary: 'Compare the files below a URI with their index records and queue fixes for what differs',
      body: consistencyBody,
      bodyName: 'request body',
      example: { body: { uri: 'viking://resources' } },
    },
    async (req, res, input) => sendOk(res, await maintenance.consistency(contextOf(req), input.body().uri)),
  );
  return router;
}
