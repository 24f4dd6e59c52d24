/**
 * The `result` schemas of the admin, system, task, resource and observer routes (see results.ts, which
 * holds search, files and sessions, for how they are used and checked).
 */
import { z } from 'zod';
import type { AccountInfo } from '../../accounts/store.js';
import type { TaskView } from '../../tasks/registry.js';
import { instant } from './results.js';

const policy = { isolate_user_scope_by_agent: z.boolean(), isolate_agent_scope_by_user: z.boolean() };
const role = z.enum(['admin', 'user']);

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
  index: z.enum(['ok', 'missing', 'rebuilding']).describe('missing or rebuilding: searches answer 503'),
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

// Observer (OpenViking's observer routes).
/** One component: its health and open-ended figures (queue depths, record counts, the embedder). */
export const component = z.looseObject({
  name: z.string(),
  is_healthy: z.boolean(),
  has_errors: z.boolean(),
  status: z.string(),
});
export const systemView = z.object({
  is_healthy: z.boolean(),
  errors: z.array(z.string()),
  components: z.record(z.string(), component),
});
export const debugHealth = z.object({ healthy: z.boolean() });
