/**
 * `POST /api/v1/resources` (add_resource, OpenViking's AddResourceRequest) and the task routes
 * `GET /api/v1/tasks/{id}` and `GET /api/v1/tasks`, relative to /api/v1. Parsing and the envelope
 * only; the rules live in the ResourceService and the TaskRegistry.
 */
import { Router } from 'express';
import { z } from 'zod';
import { addResourceSchema } from '../../resources/request.js';
import type { ResourceService } from '../../resources/service.js';
import { TASK_STATUSES, type TaskRegistry } from '../../tasks/registry.js';
import { contextOf, paramOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';
import { resourceAdded, task, taskList } from '../openapi/results-system.js';

const listQuery = z.object({
  task_type: z.string().min(1).optional(),
  status: z.enum(TASK_STATUSES).optional(),
  resource_id: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function resourcesRouter(resources: ResourceService, tasks: TaskRegistry): Router {
  const router = Router();
  const tag = 'resources';
  route(
    router,
    {
      method: 'post',
      path: '/resources',
      changes: true,
      result: resourceAdded,
      tag,
      summary: 'Add a file, a zip of a folder or a URL as resources (OpenViking add_resource)',
      body: addResourceSchema,
      example: { body: { temp_file_id: 'upload_0123456789abcdef.md', reason: 'ops docs', wait: true } },
    },
    async (req, res, input) => sendOk(res, await resources.add(contextOf(req), input.body())),
  );
  route(
    router,
    { method: 'get', path: '/tasks/:id', result: task, tag, summary: 'One background task of the caller' },
    (req, res) => sendOk(res, tasks.get(contextOf(req), paramOf(req, 'id'))),
  );
  route(
    router,
    {
      method: 'get',
      path: '/tasks',
      result: taskList,
      tag,
      summary: "The caller's background tasks, newest first",
      query: listQuery,
      example: { query: { status: 'running', limit: 20 } },
    },
    (req, res, input) => {
      const q = input.query();
      const filter = {
        limit: q.limit,
        ...(q.task_type === undefined ? {} : { task_type: q.task_type }),
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.resource_id === undefined ? {} : { resource_id: q.resource_id }),
      };
      sendOk(res, tasks.list(contextOf(req), filter));
    },
  );
  return router;
}
