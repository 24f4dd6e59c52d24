/**
 * HTTP routes of the filesystem (SPEC 7), relative to /api/v1, and the router that also carries
 * grep/glob (SPEC 10: grep.ts). They parse the query or body with zod, call the Vfs and send the
 * envelope; no rules live here.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Vfs } from '../../fs/index.js';
import type { WaitOptions, WriteRequest } from '../../fs/write-ops.js';
import { defined } from '../../validate.js';
import { route } from '../openapi/route.js';
import * as results from '../openapi/results.js';
import { contextOf, sendOk } from '../context.js';
import { count, flag, uri } from './fs-params.js';
import { grepRoutes } from './grep.js';

// A page of a listing: `limit` is OpenViking's alias of `node_limit`; `offset` (ours) skips entries.
const page = { node_limit: count.optional(), limit: count.optional(), offset: count.optional() };
const lsQuery = z.object({
  uri,
  simple: flag.optional(),
  recursive: flag.optional(),
  show_all_hidden: flag.optional(),
  ...page,
});
const treeQuery = z.object({
  uri,
  level_limit: count.optional(),
  show_all_hidden: flag.optional(),
  ...page,
});
const uriQuery = z.object({ uri });
/** `wait` and `timeout` (seconds; null means the default 30) of a change (SPEC 9.3). */
const waitFields = { wait: z.boolean().nullish(), timeout: z.number().positive().max(3600).nullish() };
const rmQuery = z.object({
  uri,
  recursive: flag.optional(),
  wait: flag.optional(),
  timeout: z.coerce.number().positive().max(3600).optional(),
});
const readQuery = z.object({
  uri,
  offset: count.optional(),
  limit: z.coerce.number().int().min(-1).optional(),
});
const mkdirBody = z.object({ uri, description: z.string().optional(), ...waitFields });
const mvBody = z.object({ from_uri: uri, to_uri: uri, ...waitFields });
const writeBody = z.object({
  uri,
  content: z.string(),
  mode: z.enum(['replace', 'append', 'create']).default('replace'),
  ...waitFields,
});

/** The write of a parsed body (a function: the handler keeps no reference to the body). */
function writeRequestOf(body: z.output<typeof writeBody>): WriteRequest {
  return { uri: body.uri, content: body.content, mode: body.mode, ...waitOf(body) };
}

/** The wait options of a parsed body or query (null and absent mean "no wait", "default timeout"). */
function waitOf(input: { wait?: boolean | null | undefined; timeout?: number | null | undefined }) {
  const options: WaitOptions = {};
  if (input.wait != null) options.wait = input.wait;
  if (input.timeout != null) options.timeout = input.timeout;
  return options;
}

const RES = 'viking://resources/notes/today.md';

function fsRoutes(router: Router, vfs: Vfs): void {
  const tag = 'filesystem';
  route(
    router,
    {
      method: 'get',
      path: '/fs/ls',
      result: results.lsResult,
      tag,
      summary: 'List the children the caller may read',
      query: lsQuery,
      example: { query: { uri: 'viking://resources', simple: true } },
    },
    async (req, res, input) => {
      const q = input.query();
      const options = defined({
        simple: q.simple,
        recursive: q.recursive,
        showAllHidden: q.show_all_hidden,
        nodeLimit: q.limit ?? q.node_limit,
        offset: q.offset,
      });
      sendOk(res, await vfs.ls(contextOf(req), q.uri, options));
    },
  );
  route(
    router,
    {
      method: 'get',
      path: '/fs/tree',
      result: results.treeResult,
      tag,
      summary: 'Flat list of a subtree (readable entries only)',
      query: treeQuery,
      example: { query: { uri: 'viking://resources', level_limit: 2 } },
    },
    async (req, res, input) => {
      const q = input.query();
      const options = defined({
        levelLimit: q.level_limit,
        nodeLimit: q.limit ?? q.node_limit,
        offset: q.offset,
        showAllHidden: q.show_all_hidden,
      });
      sendOk(res, await vfs.tree(contextOf(req), q.uri, options));
    },
  );
  route(
    router,
    {
      method: 'get',
      path: '/fs/stat',
      result: results.statResult,
      tag,
      summary: 'Name, size, kind and modification time',
      query: uriQuery,
      example: { query: { uri: RES } },
    },
    async (req, res, input) => sendOk(res, await vfs.stat(contextOf(req), input.query().uri)),
  );
  route(
    router,
    {
      method: 'post',
      path: '/fs/mkdir',
      changes: true,
      result: results.mkdirResult,
      tag,
      summary: 'Create a folder (and its parents)',
      body: mkdirBody,
      example: { body: { uri: 'viking://resources/notes', description: 'Daily notes' } },
    },
    async (req, res, input) => {
      const body = input.body();
      sendOk(res, await vfs.mkdir(contextOf(req), body.uri, body.description, waitOf(body)));
    },
  );
  route(
    router,
    {
      method: 'delete',
      path: '/fs',
      changes: true,
      result: results.rmResult,
      tag,
      summary: 'Remove a file or folder (idempotent)',
      query: rmQuery,
      example: { query: { uri: 'viking://resources/notes', recursive: true } },
    },
    async (req, res, input) => {
      const q = input.query();
      sendOk(res, await vfs.rm(contextOf(req), q.uri, q.recursive ?? false, waitOf(q)));
    },
  );
  route(
    router,
    {
      method: 'post',
      path: '/fs/mv',
      changes: true,
      result: results.mvResult,
      tag,
      summary: 'Move a file or folder within one scope owner',
      body: mvBody,
      example: { body: { from_uri: RES, to_uri: 'viking://resources/notes/archive.md' } },
    },
    async (req, res, input) => {
      const body = input.body();
      sendOk(res, await vfs.mv(contextOf(req), body.from_uri, body.to_uri, waitOf(body)));
    },
  );
}

function contentRoutes(router: Router, vfs: Vfs): void {
  const tag = 'content';
  route(
    router,
    {
      method: 'get',
      path: '/content/read',
      result: results.textResult,
      tag,
      summary: 'Text of a file, sliced by lines',
      query: readQuery,
      example: { query: { uri: RES, offset: 0, limit: 100 } },
    },
    async (req, res, input) => {
      const q = input.query();
      sendOk(res, await vfs.read(contextOf(req), q.uri, q.offset, q.limit));
    },
  );
  route(
    router,
    {
      method: 'post',
      path: '/content/write',
      changes: true,
      result: results.writeResult,
      tag,
      summary: 'Create, replace or append to a file (re-indexed)',
      body: writeBody,
      example: {
        body: { uri: RES, content: '# Today\n\nShip the MCP server.', mode: 'replace', wait: true },
      },
    },
    async (req, res, input) => {
      // The write takes the content (WriteRequest): neither the request nor this handler keeps the
      // body, which may be 10 MB, while a `wait` write waits for the indexer.
      const request = writeRequestOf(input.body());
      req.body = undefined;
      sendOk(res, await vfs.write(contextOf(req), request));
    },
  );
  route(
    router,
    {
      method: 'get',
      path: '/content/abstract',
      result: results.textResult,
      tag,
      summary: "A folder's .abstract.md",
      query: uriQuery,
      example: { query: { uri: 'viking://resources/notes' } },
    },
    async (req, res, input) => sendOk(res, await vfs.abstract(contextOf(req), input.query().uri)),
  );
  route(
    router,
    {
      method: 'get',
      path: '/content/overview',
      result: results.textResult,
      tag,
      summary: "A folder's .overview.md",
      query: uriQuery,
      example: { query: { uri: 'viking://resources/notes' } },
    },
    async (req, res, input) => sendOk(res, await vfs.overview(contextOf(req), input.query().uri)),
  );
}

/** The filesystem, content and grep/glob routes (mount under /api/v1 after authentication). */
export function fsRouter(vfs: Vfs): Router {
  const router = Router();
  fsRoutes(router, vfs);
  contentRoutes(router, vfs);
  grepRoutes(router, vfs);
  return router;
}
