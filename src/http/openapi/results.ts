/**
 * The `result` of each route's success envelope, as zod schemas the OpenAPI document renders
 * (`RouteDoc.result`; `RouteDoc.response` for the one answer outside the envelope, `/health`): here
 * search, files and sessions; admin, system, tasks and resources in results-system.ts. Each is
 * checked against the type the service returns where one is exported (`satisfies`), and against real
 * answers of the running app by test/http/openapi-results.test.ts, so the document cannot drift from
 * what the routes send. Shapes follow OpenViking's routers where the route is OpenViking's.
 */
import { z } from 'zod';
import type { LsEntry, StatResult, TreeEntry } from '../../fs/index.js';
import { sessionMetaSchema, storedMessageSchema } from '../../sessions/schema.js';
import type { SessionArchive } from '../../sessions/archives.js';
import type { SessionContext } from '../../sessions/context.js';
import type { ArchiveMemories } from '../../sessions/extraction.js';
import type { AppendResult, CommitResult, SessionUser } from '../../sessions/service.js';

/** An ISO 8601 instant (UTC). */
export const instant = z.string().describe('ISO 8601 (UTC)');

// Search (SPEC 10).
const hit = z.object({
  context_type: z.string(),
  uri: z.string(),
  level: z.number().int().describe('0 folder abstract, 1 folder overview, 2 file chunk or message'),
  score: z.number().describe("The mode's measure: cosine (vector), BM25 (fulltext), fused rank (hybrid)"),
  abstract: z.string(),
  match_reason: z.string().describe('The retrieval paths that found it: vector, fulltext or both'),
  session_id: z.string().optional(),
  message_id: z.string().optional(),
  role: z.string().optional(),
  role_id: z.string().optional(),
  peer_id: z.string().optional(),
});
export const searchResult = z.object({
  memories: z.array(hit),
  resources: z.array(hit),
  skills: z.array(hit),
  sessions: z.array(hit),
  total: z.number().int(),
  explain: z
    .object({
      target_uri: z.string().nullable(),
      filter: z.string(),
      mode: z.enum(['vector', 'fulltext', 'hybrid']),
      dropped: z.number().int(),
      plan: z
        .object({
          name: z.string(),
          matching: z.number().int().nullable(),
          stages_ms: z.record(z.string(), z.number()),
        })
        .optional(),
      stages_ms: z.record(z.string(), z.number()),
    })
    .optional()
    .describe('With `explain: true`: the compiled filter, the plan and the time of each stage'),
});

// Filesystem (SPEC 7) and attributes.
const entryFields = {
  uri: z.string(),
  size: z.number().int(),
  isDir: z.boolean(),
  modTime: instant,
  abstract: z.string(),
};
const lsEntry = z.object({
  ...entryFields,
  rel_path: z.string().exactOptional(),
}) satisfies z.ZodType<LsEntry>;
export const lsResult = z
  .union([z.array(lsEntry), z.array(z.string())])
  .describe('Entries, or canonical URIs with `simple=true`');
export const treeResult = z.array(z.object({ ...entryFields, rel_path: z.string() })) satisfies z.ZodType<
  TreeEntry[]
>;
export const statResult = z.object({
  uri: z.string(),
  name: z.string(),
  size: z.number().int(),
  isDir: z.boolean(),
  modTime: instant,
}) satisfies z.ZodType<StatResult>;
export const textResult = z.string();
export const mkdirResult = z.object({ uri: z.string(), description: z.string().optional() });
export const rmResult = z.object({
  uri: z.string(),
  deleted: z.boolean().describe('false: nothing was there'),
});
export const mvResult = z.object({
  from_uri: z.string(),
  to_uri: z.string(),
  from: z.string().describe('OpenViking spelling of from_uri'),
  to: z.string().describe('OpenViking spelling of to_uri'),
});
export const writeResult = z.object({
  uri: z.string(),
  mode: z.enum(['replace', 'append', 'create']),
  size: z.number().int().describe('Bytes written'),
});
export const grepResult = z.object({
  matches: z.array(z.object({ uri: z.string(), line: z.number().int(), content: z.string() })),
  count: z.number().int(),
  truncated: z.boolean().optional().describe('Present (true) when a time or byte limit cut the scan short'),
});
export const globResult = z.object({
  matches: z.array(z.string()),
  count: z.number().int(),
  truncated: z.boolean().optional(),
});
export const attrsResult = z.object({
  uri: z.string(),
  context_type: z.string(),
  is_dir: z.boolean(),
  attrs: z.object({ tags: z.array(z.string()) }),
});
export const tagsSet = z.object({
  uri: z.string(),
  tags: z.array(z.string()).describe("The URI's tags after the change"),
  mode: z.string(),
  recursive: z.boolean(),
  updated: z.number().int().describe('Files and folders whose tags were set'),
});

// Sessions (SPEC 8).
const sessionUser = z.object({
  account_id: z.string(),
  user_id: z.string(),
  agent_id: z.string(),
}) satisfies z.ZodType<SessionUser>;
export const sessionCreated = z.object({ session_id: z.string(), uri: z.string(), user: sessionUser });
export const sessionList = z.array(
  z.object({ session_id: z.string(), uri: z.string(), is_dir: z.literal(true) }),
);
export const sessionResult = sessionMetaSchema.extend({ user: sessionUser });
export const sessionDeleted = z.object({ session_id: z.string(), deleted: z.literal(true) });
export const appendResult = z.object({
  session_id: z.string(),
  message_count: z.number().int().describe('Live messages after the append'),
}) satisfies z.ZodType<AppendResult>;
export const batchResult = appendResult.extend({ added: z.number().int() });
export const commitResult = z.object({
  session_id: z.string(),
  status: z.literal('accepted'),
  task_id: z.string().nullable().describe('The memory extraction task (GET /tasks/{id}), if one started'),
  archived: z.boolean(),
  archive_uri: z.string().nullable(),
  extraction: z.enum(['started', 'skipped', 'nothing']),
}) satisfies z.ZodType<CommitResult>;
export const contextResult = z.object({
  latest_archive_overview: z.string(),
  pre_archive_abstracts: z.array(z.object({ archive_id: z.string(), abstract: z.string() })),
  messages: z.array(storedMessageSchema),
  estimatedTokens: z.number().int(),
  stats: z.object({
    totalArchives: z.number().int(),
    includedArchives: z.number().int(),
    droppedArchives: z.number().int(),
    failedArchives: z.number().int(),
    activeTokens: z.number().int(),
    archiveTokens: z.number().int(),
  }),
}) satisfies z.ZodType<SessionContext>;

export const archiveResult = z.object({
  archive_id: z.string(),
  abstract: z.string(),
  overview: z.string(),
  messages: z.array(storedMessageSchema),
}) satisfies z.ZodType<SessionArchive>;
export const usedResult = z.object({
  session_id: z.string(),
  contexts_used: z.number().int(),
  skills_used: z.number().int(),
});
export const extractStarted = z.object({
  session_id: z.string(),
  status: z.literal('accepted'),
  task_id: z.string().describe('GET /tasks/{id}'),
});
export const memoriesResult = z.object({
  session_id: z.string(),
  archives: z.array(
    z.object({
      archive_id: z.string(),
      status: z.string(),
      memories: z
        .record(z.string(), z.array(z.string()))
        .describe('Readable memory URIs by owner scope root'),
    }),
  ),
}) satisfies z.ZodType<{ session_id: string; archives: ArchiveMemories[] }>;
