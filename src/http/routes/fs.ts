/**
 * HTTP routes of the filesystem (SPEC 7) and of grep/glob (SPEC 10), relative to /api/v1. They parse
 * the query or body with zod, call the Vfs and send the envelope; no rules live here.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Vfs } from '../../fs/index.js';
import type { WaitOptions } from '../../fs/write-ops.js';
import { parseInput } from '../../validate.js';
import { contextOf, sendOk } from '../context.js';

const flag = z.union([z.boolean(), z.stringbool()]);
const count = z.coerce.number().int().min(0).max(1_000_000);
const uri = z.string().min(1);

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
const grepBody = z.object({
  uri,
  pattern: z.string().min(1),
  case_insensitive: z.boolean().optional(),
  node_limit: count.optional(),
});
const globBody = z.object({ pattern: z.string().min(1), uri: uri.optional(), node_limit: count.optional() });

/** Drops undefined values so optional fields stay absent (exactOptionalPropertyTypes). */
function defined<T extends Record<string, unknown>>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/** The wait options of a parsed body or query (null and absent mean "no wait", "default timeout"). */
function waitOf(input: { wait?: boolean | null | undefined; timeout?: number | null | undefined }) {
  const options: WaitOptions = {};
  if (input.wait != null) options.wait = input.wait;
  if (input.timeout != null) options.timeout = input.timeout;
  return options;
}

function fsRoutes(router: Router, vfs: Vfs): void {
  router.get('/fs/ls', async (req: Request, res) => {
    const q = parseInput(lsQuery, req.query);
    const options = defined({
      simple: q.simple,
      recursive: q.recursive,
      showAllHidden: q.show_all_hidden,
      nodeLimit: q.limit ?? q.node_limit,
      offset: q.offset,
    });
    sendOk(res, await vfs.ls(contextOf(req), q.uri, options));
  });
  router.get('/fs/tree', async (req: Request, res) => {
    const q = parseInput(treeQuery, req.query);
    const options = defined({
      levelLimit: q.level_limit,
      nodeLimit: q.limit ?? q.node_limit,
      offset: q.offset,
      showAllHidden: q.show_all_hidden,
    });
    sendOk(res, await vfs.tree(contextOf(req), q.uri, options));
  });
  router.get('/fs/stat', async (req: Request, res) => {
    sendOk(res, await vfs.stat(contextOf(req), parseInput(uriQuery, req.query).uri));
  });
  router.post('/fs/mkdir', async (req: Request, res) => {
    const body = parseInput(mkdirBody, req.body);
    sendOk(res, await vfs.mkdir(contextOf(req), body.uri, body.description, waitOf(body)));
  });
  router.delete('/fs', async (req: Request, res) => {
    const q = parseInput(rmQuery, req.query);
    sendOk(res, await vfs.rm(contextOf(req), q.uri, q.recursive ?? false, waitOf(q)));
  });
  router.post('/fs/mv', async (req: Request, res) => {
    const body = parseInput(mvBody, req.body);
    sendOk(res, await vfs.mv(contextOf(req), body.from_uri, body.to_uri, waitOf(body)));
  });
}

function contentRoutes(router: Router, vfs: Vfs): void {
  router.get('/content/read', async (req: Request, res) => {
    const q = parseInput(readQuery, req.query);
    sendOk(res, await vfs.read(contextOf(req), q.uri, q.offset, q.limit));
  });
  router.post('/content/write', async (req: Request, res) => {
    const body = parseInput(writeBody, req.body);
    const request = { uri: body.uri, content: body.content, mode: body.mode, ...waitOf(body) };
    sendOk(res, await vfs.write(contextOf(req), request));
  });
  router.get('/content/abstract', async (req: Request, res) => {
    sendOk(res, await vfs.abstract(contextOf(req), parseInput(uriQuery, req.query).uri));
  });
  router.get('/content/overview', async (req: Request, res) => {
    sendOk(res, await vfs.overview(contextOf(req), parseInput(uriQuery, req.query).uri));
  });
}

function searchRoutes(router: Router, vfs: Vfs): void {
  router.post('/search/grep', async (req: Request, res) => {
    const body = parseInput(grepBody, req.body);
    const request = defined({
      uri: body.uri,
      pattern: body.pattern,
      caseInsensitive: body.case_insensitive,
      nodeLimit: body.node_limit,
    });
    sendOk(res, await vfs.grep(contextOf(req), request));
  });
  router.post('/search/glob', async (req: Request, res) => {
    const body = parseInput(globBody, req.body);
    sendOk(
      res,
      await vfs.glob(
        contextOf(req),
        defined({ pattern: body.pattern, uri: body.uri, nodeLimit: body.node_limit }),
      ),
    );
  });
}

/** The filesystem, content and grep/glob routes (mount under /api/v1 after authentication). */
export function fsRouter(vfs: Vfs): Router {
  const router = Router();
  fsRoutes(router, vfs);
  contentRoutes(router, vfs);
  searchRoutes(router, vfs);
  return router;
}
