/**
 * The `result` of each route's success envelope, as zod schemas the OpenAPI document renders
 * (`RouteDoc.result`; `RouteDoc.response` for the one answer outside the envelope, `/health`). Each is
 * checked against the type the service returns where one is exported (`satisfies`), and against real
 * answers of the running app by test/http/openapi-results.test.ts, so the document cannot drift from
 * what the routes send. Shapes follow OpenViking's routers where the route is OpenViking's.
 */
import { z } from 'zod';
import type { AccountInfo } from '../../accounts/store.js';
import type { LsEntry, StatResult, TreeEntry } from '../../fs/index.js';
import { sessionMetaSchema, storedMessageSchema } from '../../sessions/schema.js';
import type { SessionArchive } from '../../sessions/archives.js';
import type { SessionContext } from '../../sessions/context.js';
import type { ArchiveMemories } from '../../sessions/extraction.js';
import type { AppendResult, CommitResult, SessionUser } from '../../sessions/service.js';
import type { TaskView } from '../../tasks/registry.js';

const policy = { isolate_user_scope_by_agent: z.boolean(), isolate_agent_scope_by_user: z.boolean() };
const role = z.enum(['admin', 'user']);
/** An ISO 8601 instant (UTC). */
const instant = z.string().describe('ISO 8601 (UTC)');

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

// Filesystem (SPEC 7).
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

// Admin (SPEC 5).
export const accountCreated = z.object({
  account_id: z.string(),
  admin_user_id: z.string(),
  user_key: z.string().describe("The admin's key: shown once, keep it"),
  ...policy,
});
export const accountInfo = z.object({
  account_id: z.string(),
  created_at: instant,
  user_count: z.number().int(),
  ...policy,
}) satisfies z.ZodType<AccountInfo>;
export const accountList = z.array(accountInfo);
export const deleted = z.object({ deleted: z.literal(true) });
export const userCreated = z.object({
  account_id: z.string(),
  user_id: z.string(),
  user_key: z.string().describe("The user's key: shown once, keep it"),
});
export const userList = z.array(z.object({ user_id: z.string(), role }));
export const roleSet = z.object({ account_id: z.string(), user_id: z.string(), role });
export const keyReplaced = z.object({ user_key: z.string().describe('The new key: shown once') });

// System (SPEC 12).
export const health = z.object({
  status: z.literal('ok'),
  healthy: z.literal(true),
  version: z.string(),
  user_id: z.string().optional().describe('When the key and identity headers resolve to a user'),
});
export const readyResult = z.object({ ready: z.literal(true), checks: z.record(z.string(), z.unknown()) });
export const drained = z.object({ drained: z.literal(true) });
/** What every caller sees; ROOT also sees the whole index's counters and memory (open-ended). */
export const statusResult = z.looseObject({
  initialized: z.literal(true),
  user: z.string(),
  account_id: z.string(),
  agent_id: z.string(),
  version: z.string(),
  auth_mode: z.enum(['api_key', 'trusted']),
  uptime_seconds: z.number().int(),
  role: z.enum(['root', 'admin', 'user']),
  index: z.string().describe('ok, or missing / rebuilding'),
  queue_depth: z.number().int().describe("Index jobs not yet applied (non-ROOT: its account's)"),
  index_lag_s: z.number(),
  records: z.number().int().describe("Index records (non-ROOT: its account's)"),
  embedder: z.object({ id: z.string(), dimension: z.number().int() }),
  indexing_paused: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('Set while a storage fault pauses it'),
  drain_rate: z.number().nullable().optional().describe('ROOT: jobs per second'),
  failed_jobs: z.number().int().optional().describe('ROOT'),
  integrity_errors: z.number().int().optional().describe('ROOT'),
  search_memory: z.record(z.string(), z.unknown()).optional().describe('ROOT: the in-memory index'),
  process_memory: z.record(z.string(), z.unknown()).optional().describe('ROOT'),
});

// Tasks and uploads.
export const task = z.object({
  task_id: z.string(),
  task_type: z.string(),
  status: z.enum(['pending', 'running', 'completed', 'failed']),
  created_at: z.number().describe('Epoch seconds (OpenViking)'),
  updated_at: z.number().describe('Epoch seconds (OpenViking)'),
  created_at_iso: instant,
  updated_at_iso: instant,
  resource_id: z.string().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  error_code: z.string().nullable(),
}) satisfies z.ZodType<TaskView>;
export const taskList = z.array(task);
export const resourceAdded = z.object({
  status: z.literal('success'),
  errors: z.array(z.string()),
  warnings: z.array(z.string()).describe('What the import skipped, and why'),
  source_path: z.string(),
  root_uri: z.string(),
  meta: z.object({ format: z.string(), documents: z.number().int(), files: z.number().int() }),
  queue_status: z
    .object({ indexed: z.literal(true) })
    .optional()
    .describe('With wait: indexed before the answer'),
  task_id: z.string().optional().describe('Without wait: the indexing task (GET /tasks/{id})'),
});
export const uploaded = z.object({ temp_file_id: z.string().describe('Pass it to POST /resources') });
