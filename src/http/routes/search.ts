/** `POST /search/find` and `POST /search/search` (SPEC 10): request parsing only; rules live in SearchService. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { SearchService } from '../../search/service.js';
import { contextOf, sendOk } from '../context.js';
import { parseInput } from '../../validate.js';

const MAX_QUERY_CHARS = 8192;
const contextType = z.enum(['resource', 'memory', 'skill', 'session']);
const instant = z.union([z.number().finite(), z.string().min(1).max(64)]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'expected an ISO date or epoch milliseconds' });
    return z.NEVER;
  }
  return ms;
});

const searchBody = z.object({
  query: z.string().trim().min(1).max(MAX_QUERY_CHARS),
  target_uri: z.string().max(8192).nullish(),
  limit: z.number().int().min(1).max(1000).default(10),
  score_threshold: z.number().finite().nullish(),
  context_type: z.union([contextType, z.array(contextType).min(1)]).nullish(),
  mode: z.enum(['vector', 'fulltext', 'hybrid']).default('hybrid'),
  since: instant.nullish(),
  until: instant.nullish(),
  explain: z.boolean().optional(),
});

function parseBody(req: Request) {
  const b = parseInput(searchBody, req.body);
  const types = b.context_type ?? undefined;
  return {
    query: b.query,
    target_uri: b.target_uri ?? undefined,
    limit: b.limit,
    score_threshold: b.score_threshold ?? undefined,
    context_type: types === undefined ? undefined : Array.isArray(types) ? types : [types],
    mode: b.mode,
    since: b.since ?? undefined,
    until: b.until ?? undefined,
    explain: b.explain,
  };
}

export function searchRouter(service: SearchService): Router {
  const router = Router();
  for (const path of ['/search/find', '/search/search']) {
    router.post(path, async (req, res) => {
      sendOk(res, await service.search(contextOf(req), parseBody(req)));
    });
  }
  return router;
}
