/**
 * The `result` schemas of the skills, pack (import, restore), maintenance (reindex, consistency) and
 * system backup routes (see results.ts for how they are used and checked). Pack export and backup
 * answer the zip itself, not an envelope, and stay as they are.
 */
import { z } from 'zod';
import type { PackImportResult } from '../../pack/service.js';
import type { AddSkillResult } from '../../skills/service.js';
import type { SkillSummary } from '../../skills/catalog.js';
import { manifestSchema } from '../../storage/snapshot.js';

// Skills (OpenViking's skills router).
const summary = z.object({
  type: z.literal('skill'),
  name: z.string(),
  uri: z.string(),
  root_uri: z.string(),
  skill_md_uri: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  allowed_tools: z.array(z.string()),
}) satisfies z.ZodType<SkillSummary>;
const where = {
  root_uris: z.array(z.string()).optional().describe('Without target_uri: the folders listed'),
  root_uri: z.string().optional().describe('With target_uri: the folder listed'),
};
export const skillAdded = z.object({
  status: z.literal('success'),
  uri: z.string(),
  name: z.string(),
  auxiliary_files: z.number().int(),
}) satisfies z.ZodType<AddSkillResult>;
export const skillUpdated = skillAdded.extend({ action: z.literal('update') });
export const skillList = z.object({ ...where, skills: z.array(summary), total: z.number().int() });
export const skillsFound = z.object({
  ...where,
  skills: z.array(
    summary.extend({
      score: z.number(),
      match_reason: z.string(),
      level: z.number().int(),
      abstract: z.string(),
    }),
  ),
  total: z.number().int(),
});
export const skillValidated = z.object({
  valid: z.boolean(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })),
  warnings: z.array(z.string()),
});
export const skillShown = summary.extend({
  abstract: z.string().optional().describe('Unless level is 1 or 2'),
  overview: z.string().optional().describe('Unless level is 0 or 2'),
  content: z.string().optional().describe("SKILL.md's text (include_content, or level 2)"),
  content_sha256: z.string().optional(),
  files: z
    .array(
      z.object({
        name: z.string(),
        uri: z.string(),
        path: z.string(),
        is_dir: z.boolean(),
        kind: z.string(),
        size: z.number().int(),
      }),
    )
    .optional()
    .describe('include_files'),
  source: z.null().optional().describe('include_source (no source is kept)'),
});
export const skillDeleted = z.object({ name: z.string(), uri: z.string(), root_uri: z.string() });

// Pack.
export const packImported = z.object({
  uri: z.string(),
  written: z.number().int(),
  skipped: z.number().int(),
  warnings: z.array(z.string()).describe('What the import rule left out, and why'),
}) satisfies z.ZodType<PackImportResult>;
export const packRestored = z.object({
  uri: z.literal('viking://'),
  written: z.number().int(),
  skipped: z.number().int(),
});

// Maintenance: small subtrees answer at once, larger ones with a task.
const accepted = {
  status: z.literal('accepted').optional().describe('A large subtree: the work runs as a task'),
  task_id: z.string().optional().describe('GET /tasks/{id}'),
};
const listed = (what: string) => z.array(z.string()).optional().describe(`${what} (the first 100)`);
export const reindexed = z.object({
  uri: z.string(),
  files: z.number().int(),
  ...accepted,
  mode: z.string().optional(),
  dry_run: z.boolean().optional(),
  reindexed: z.number().int().optional(),
  orphans: z.number().int().optional(),
  orphan_records: listed('Records whose file is gone'),
  orphans_removed: z.number().int().optional(),
  missing_before: z.number().int().optional(),
  stale_before: z.number().int().optional(),
  indexed: z.boolean().optional().describe('With wait: applied before the answer'),
});
export const consistencyResult = z.object({
  uri: z.string(),
  ...accepted,
  files: z.number().int().optional().describe('With a task: the files to check'),
  consistent: z.boolean().optional(),
  files_checked: z.number().int().optional(),
  counts: z
    .object({ missing: z.number().int(), stale: z.number().int(), orphans: z.number().int() })
    .optional(),
  missing_records: listed('Files without records'),
  stale_records: listed('Files whose records are older'),
  orphan_records: listed('Records whose file is gone'),
  fixed: z.object({ queued: z.number().int(), index_jobs: z.number().int() }).optional(),
});

// System.
export const backupTaken = manifestSchema.extend({ dest: z.string() });
