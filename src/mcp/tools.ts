/**
 * The MCP tools (issue 15): each one is a thin call into the same services the HTTP routes use —
 * the filesystem (Vfs), sessions and search (through the same admission control) — executed as the
 * request's identity, so MCP sees exactly what HTTP sees. No tool touches storage or the index itself.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Vfs } from '../fs/index.js';
import type { RequestContext } from '../policy/index.js';
import type { SearchAdmission } from '../search/admission.js';
import { searchBody, toSearchRequest } from '../search/request.js';
import type { SearchService } from '../search/service.js';
import { MESSAGE_ROLES, messageBodySchema } from '../sessions/schema.js';
import type { SessionService } from '../sessions/service.js';
import type { SkillCatalog } from '../skills/catalog.js';
import { findSkillsBody, getSkillQuery, listSkillsQuery } from '../skills/requests.js';
import { assertNever } from '../errors.js';
import { defined, parseInput } from '../validate.js';
import { resolveOwnScope } from './own-scope.js';
import { ROOT_URI } from '../policy/index.js';

export interface McpServices {
  readonly vfs: Vfs;
  readonly sessions: SessionService;
  readonly search: SearchService;
  readonly admission: SearchAdmission;
  /** The caller's skills (list, find, get); without it there is no `skills` tool. */
  readonly skills?: SkillCatalog;
}

export interface ToolDef<S extends z.ZodRawShape = z.ZodRawShape> {
  readonly name: string;
  readonly description: string;
  readonly input: S;
  /** Read-only tools are annotated so clients may call them without asking. */
  readonly readOnly: boolean;
  run(ctx: RequestContext, args: z.output<z.ZodObject<S>>, signal: AbortSignal): Promise<unknown>;
}

function tool<S extends z.ZodRawShape>(def: ToolDef<S>): ToolDef {
  return def;
}

const uri = z.string().min(1).describe('a viking:// URI');
const count = z.number().int().min(0).max(1_000_000);
const MEMORY_CATEGORIES = ['preferences', 'entities', 'events'] as const;

const searchInput = {
  query: z.string().min(1).describe('what to look for'),
  target_uri: z.string().optional().describe('restrict to this subtree'),
  mode: z.enum(['vector', 'fulltext', 'hybrid']).optional().describe('default hybrid'),
  limit: z.number().int().min(1).max(1000).optional().describe('default 10'),
  context_type: z.enum(['resource', 'memory', 'skill', 'session']).optional(),
};

function searchTool(name: string, s: McpServices): ToolDef {
  return tool({
    name,
    description:
      'Search everything the caller may read (resources, its memories and skills, session messages); hits carry their viking:// URI.',
    input: searchInput,
    readOnly: true,
    run: (ctx, args, signal) => {
      const request = toSearchRequest(parseInput(searchBody, args));
      return s.admission.run(() => s.search.search(ctx, request), signal);
    },
  });
}

function readTools(s: McpServices): ToolDef[] {
  return [
    tool({
      name: 'read',
      description: 'Read a file (or a session message), optionally a slice of lines.',
      input: { uri, offset: count.optional(), limit: z.number().int().min(-1).optional() },
      readOnly: true,
      run: (ctx, a) => s.vfs.read(ctx, a.uri, a.offset, a.limit),
    }),
    tool({
      name: 'ls',
      description: 'List the children of a folder that the caller may read.',
      input: {
        uri: uri.default(ROOT_URI),
        recursive: z.boolean().optional(),
        simple: z.boolean().optional(),
      },
      readOnly: true,
      run: (ctx, a) => s.vfs.ls(ctx, a.uri, defined({ recursive: a.recursive, simple: a.simple })),
    }),
    tool({
      name: 'tree',
      description: 'A subtree as a flat list with relative paths (readable entries only).',
      input: { uri: uri.default(ROOT_URI), level_limit: count.optional(), node_limit: count.optional() },
      readOnly: true,
      run: (ctx, a) =>
        s.vfs.tree(ctx, a.uri, defined({ levelLimit: a.level_limit, nodeLimit: a.node_limit })),
    }),
    tool({
      name: 'grep',
      description: 'Lines matching a regular expression in the readable files below a URI.',
      input: { uri, pattern: z.string().min(1), case_insensitive: z.boolean().optional() },
      readOnly: true,
      run: (ctx, a) =>
        s.vfs.grep(ctx, defined({ uri: a.uri, pattern: a.pattern, caseInsensitive: a.case_insensitive })),
    }),
    tool({
      name: 'glob',
      description: 'Readable URIs below `uri` (default: everything) whose relative path matches a glob.',
      input: { pattern: z.string().min(1), uri: uri.optional() },
      readOnly: true,
      run: (ctx, a) => s.vfs.glob(ctx, defined({ pattern: a.pattern, uri: a.uri })),
    }),
  ];
}

function writeTools(s: McpServices): ToolDef[] {
  return [
    tool({
      name: 'write',
      description: 'Create, replace or append to a file the caller may write; it is re-indexed.',
      input: { uri, content: z.string(), mode: z.enum(['replace', 'append', 'create']).default('replace') },
      readOnly: false,
      run: (ctx, a) => s.vfs.write(ctx, { uri: a.uri, content: a.content, mode: a.mode }),
    }),
    tool({
      name: 'remember',
      description:
        "Store a memory in the caller's own user scope (viking://user/memories/<category>/<name>.md).",
      input: {
        content: z.string().min(1),
        category: z.enum(MEMORY_CATEGORIES).default('events'),
        name: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,100}$/, 'name must be letters, digits, _ or -')
          .optional()
          .describe('file name without .md; a new unique name when absent'),
      },
      readOnly: false,
      run: (ctx, a) => {
        const name = a.name ?? `mem_${Date.now()}_${randomBytes(4).toString('hex')}`;
        return s.vfs.write(ctx, {
          uri: `viking://user/memories/${a.category}/${name}.md`,
          content: a.content,
        });
      },
    }),
    tool({
      name: 'add_message',
      description:
        'Append a message to a shared session (created if missing). role_id follows the API rules: user keys may not set it.',
      input: {
        session_id: z.string().min(1),
        role: z.enum(MESSAGE_ROLES),
        content: z.string().min(1),
        role_id: z.string().optional(),
      },
      readOnly: false,
      // Parsed as the HTTP body is. role_id is passed on only when given: its mere presence is
      // refused for USER keys (SPEC 8.1).
      run: (ctx, { session_id, ...message }) =>
        s.sessions.addMessage(ctx, session_id, parseInput(messageBodySchema, defined(message), 'message')),
    }),
    tool({
      name: 'commit_session',
      description:
        "Archive a shared session's live messages; with a language model configured, extract their memories as a task — each memory lands with the participant whose messages it cites.",
      input: { session_id: z.string().min(1), keep_recent_count: count.max(10_000).default(0) },
      readOnly: false,
      run: (ctx, a) => s.sessions.commit(ctx, a.session_id, { keep_recent_count: a.keep_recent_count }),
    }),
    tool({
      name: 'extract_memories',
      description:
        "Extract memories from a shared session's live messages as a task (needs a language model); each lands with the participant whose messages it cites.",
      input: { session_id: z.string().min(1) },
      readOnly: false,
      run: (ctx, a) => s.sessions.extract(ctx, a.session_id),
    }),
    tool({
      name: 'forget',
      description: "Remove a file or folder inside the caller's own user or agent scope.",
      input: { uri, recursive: z.boolean().default(false) },
      readOnly: false,
      run: (ctx, a) => s.vfs.rm(ctx, resolveOwnScope(ctx, a.uri), a.recursive),
    }),
  ];
}

/** `skills`: the caller's own skills, as `GET skills`, `POST skills/find` and `GET skills/{name}`. */
function skillsTool(catalog: SkillCatalog): ToolDef {
  return tool({
    name: 'skills',
    description:
      "The skills of the caller's agent scope: action `list`, `find` (with `query`) or `get` (with `name`: SKILL.md and its files).",
    input: {
      action: z.enum(['list', 'find', 'get']),
      query: z.string().optional().describe('for find'),
      name: z.string().optional().describe('for get'),
      limit: z.number().int().min(1).max(1000).optional(),
    },
    readOnly: true,
    run: (ctx, a) => {
      switch (a.action) {
        case 'list':
          return catalog.list(ctx, parseInput(listSkillsQuery, defined({ node_limit: a.limit })));
        case 'find':
          return catalog.find(ctx, parseInput(findSkillsBody, defined({ query: a.query, limit: a.limit })));
        case 'get':
          return catalog.get(ctx, a.name ?? '', parseInput(getSkillQuery, {}));
        default:
          return assertNever(a.action);
      }
    },
  });
}

/** Every tool, in the order they are listed to clients. */
export function mcpTools(services: McpServices): readonly ToolDef[] {
  return [
    searchTool('find', services),
    searchTool('search', services),
    ...readTools(services),
    ...writeTools(services),
    ...(services.skills === undefined ? [] : [skillsTool(services.skills)]),
  ];
}
