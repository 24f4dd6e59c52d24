/**
 * HTTP routes of grep and glob (SPEC 10), relative to /api/v1, mounted with the filesystem routes
 * (fs.ts). They parse the body with zod, call the Vfs and send the envelope; no rules live here.
 */
import type { Router } from 'express';
import { z } from 'zod';
import type { Vfs } from '../../fs/index.js';
import { defined } from '../../validate.js';
import { route } from '../openapi/route.js';
import * as results from '../openapi/results.js';
import { contextOf, sendOk } from '../context.js';
import { count, uri } from './fs-params.js';

const grepBody = z.object({
  uri,
  pattern: z.string().min(1),
  case_insensitive: z.boolean().optional(),
  node_limit: count.optional(),
});
const globBody = z.object({ pattern: z.string().min(1), uri: uri.optional(), node_limit: count.optional() });

/** `POST /search/grep` and `POST /search/glob` on `router`. */
export function grepRoutes(router: Router, vfs: Vfs): void {
  const tag = 'search';
  route(
    router,
    {
      method: 'post',
      path: '/search/grep',
      result: results.grepResult,
      tag,
      summary: 'Lines matching a regular expression, in readable files',
      body: grepBody,
      example: { body: { uri: 'viking://resources', pattern: 'MCP', case_insensitive: true } },
    },
    async (req, res, input) => {
      const body = input.body();
      const request = defined({
        uri: body.uri,
        pattern: body.pattern,
        caseInsensitive: body.case_insensitive,
        nodeLimit: body.node_limit,
      });
      sendOk(res, await vfs.grep(contextOf(req), request));
    },
  );
  route(
    router,
    {
      method: 'post',
      path: '/search/glob',
      result: results.globResult,
      tag,
      summary: 'Readable URIs matching a glob pattern',
      body: globBody,
      example: { body: { pattern: '**/*.md', uri: 'viking://resources' } },
    },
    async (req, res, input) => {
      const body = input.body();
      const request = defined({ pattern: body.pattern, uri: body.uri, nodeLimit: body.node_limit });
      sendOk(res, await vfs.glob(contextOf(req), request));
    },
  );
}
