/**
 * `POST /search/find` and `POST /search/search` (SPEC 10): the body is parsed with the search request
 * schema (src/search/request.ts, shared with the MCP tools), then admission control runs it (a bounded
 * number of searches in flight, 503 past a short queue); rules live in SearchService.
 */
import { Router, type Response } from 'express';
import type { SearchAdmission } from '../../search/admission.js';
import { searchBody, toSearchRequest } from '../../search/request.js';
import type { SearchService } from '../../search/service.js';
import { contextOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';
import { searchResult } from '../openapi/results.js';

/** Aborts when the client goes away before its answer is sent (a queued search is then skipped). */
function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function searchRouter(service: SearchService, admission: SearchAdmission): Router {
  const router = Router();
  for (const path of ['/search/find', '/search/search']) {
    const doc = {
      method: 'post',
      path,
      tag: 'search',
      summary: 'Semantic, full-text or hybrid search over what the caller may read',
      body: searchBody,
      result: searchResult,
      example: {
        body: { query: 'release plan', target_uri: 'viking://resources', limit: 5, mode: 'hybrid' },
      },
    } as const;
    route(router, doc, async (req, res, input) => {
      const ctx = contextOf(req);
      // Parsed before admission: a malformed request never takes or waits for a slot.
      const request = toSearchRequest(input.body());
      sendOk(res, await admission.run(() => service.search(ctx, request), clientGone(res)));
    });
  }
  return router;
}
