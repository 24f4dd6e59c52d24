/**
 * `POST /api/v1/resources` (add_resource, OpenViking's AddResourceRequest) and the task routes
 * `GET /api/v1/tasks/{id}` and `GET /api/v1/tasks`, relative to /api/v1. Parsing and the envelope
 * only; the rules live in the ResourceService and the TaskRegistry.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import { addResourceSchema } from '../../resources/request.js';
import type { ResourceService } from '../../resources/service.js';
import { TASK_STATUSES, type TaskRegistry } from '../../tasks/registry.js';
import { parseInput } from '../../validate.js';
import { contextOf, sendOk } from '../context.js';

const listQuery = z.object({
  task_type: z.string().min(1).optional(),
  status: z.enum(TASK_STATUSES).optional(),
  resource_id: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

function idParam(req: Request): string {
  const { id } = req.params as Record<string, unknown>;
  return typeof id === 'string' ? id : '';
}

export function resourcesRouter(resources: ResourceService, tasks: TaskRegistry): Router {
  const router = Router();
  router.post('/resources', async (req: Request, res) => {
    const body = parseInput(addResourceSchema, req.body);
    sendOk(res, await resources.add(contextOf(req), body));
  });
  router.get('/tasks/:id', (req: Request, res) => {
    sendOk(res, tasks.get(contextOf(req), idParam(req)));
  });
  router.get('/tasks', (req: Request, res) => {
    const q = parseInput(listQuery, req.query);
    const filter = {
      limit: q.limit,
      ...(q.task_type === undefined ? {} : { task_type: q.task_type }),
      ...(q.status === undefined ? {} : { status: q.status }),
      ...(q.resource_id === undefined ? {} : { resource_id: q.resource_id }),
    };
    sendOk(res, tasks.list(contextOf(req), filter));
  });
  return router;
}
