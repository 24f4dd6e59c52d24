/**
 * OpenViking's `GET /api/v1/fs/attrs` (a URI's logical attributes: its tags) and
 * `POST /api/v1/fs/attrs/set_tags`, relative to /api/v1. The rules live in the TagService.
 */
import { Router } from 'express';
import { z } from 'zod';
import { setTagsBody, type TagService } from '../../tags/service.js';
import { contextOf, sendOk } from '../context.js';
import { route } from '../openapi/route.js';
import { attrsResult, tagsSet } from '../openapi/results.js';

const attrsQuery = z.object({ uri: z.string().min(1) });

export function attrsRouter(tags: TagService): Router {
  const router = Router();
  const tag = 'filesystem';
  route(
    router,
    {
      method: 'get',
      path: '/fs/attrs',
      result: attrsResult,
      tag,
      summary: 'The attributes (tags) of a file or folder the caller may read',
      query: attrsQuery,
      example: { query: { uri: 'viking://resources/notes/today.md' } },
    },
    async (req, res, input) => sendOk(res, await tags.attrs(contextOf(req), input.query().uri)),
  );
  route(
    router,
    {
      method: 'post',
      path: '/fs/attrs/set_tags',
      changes: true,
      result: tagsSet,
      tag,
      summary: 'Set retrieval tags of a file or folder the caller may write (search takes `tags`)',
      body: setTagsBody,
      bodyName: 'request body',
      example: {
        body: { uri: 'viking://resources/notes', tags: ['team=ops'], mode: 'replace', recursive: true },
      },
    },
    async (req, res, input) => sendOk(res, await tags.setTags(contextOf(req), input.body())),
  );
  return router;
}
