/**
 * The requests of OpenViking's skills router as its TypeScript SDK sends them (`listSkills`,
 * `findSkills`, `getSkill`, `validateSkill`, `updateSkill`, `deleteSkill`): one zod schema each,
 * declared by the routes (and so in the OpenAPI document) and parsed before the catalog runs.
 */
import { z } from 'zod';

const flag = z.union([z.boolean(), z.stringbool()]);
const targetUri = z.string().max(8192).nullish();
const levelNumber = z.number().int().min(0).max(2);

export const listSkillsQuery = z.object({
  node_limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  target_uri: targetUri,
});
export type ListSkillsQuery = z.output<typeof listSkillsQuery>;

export const findSkillsBody = z.object({
  query: z.string().trim().min(1).max(8192),
  limit: z.number().int().min(1).max(1000).default(10),
  score_threshold: z.number().finite().nullish(),
  level: z.array(levelNumber).max(3).nullish(),
  target_uri: targetUri,
  // Accepted for OpenViking's clients, and ignored.
  telemetry: z.unknown().optional(),
});
export type FindSkillsBody = z.output<typeof findSkillsBody>;

export const getSkillQuery = z.object({
  include_content: flag.optional(),
  include_files: flag.default(true),
  include_source: flag.default(false),
  include_integrity: flag.optional(),
  level: z.coerce.number().int().min(0).max(2).optional(),
  target_uri: targetUri,
});
export type GetSkillQuery = z.output<typeof getSkillQuery>;

export const deleteSkillQuery = z.object({ target_uri: targetUri });

export const validateSkillBody = z.object({
  data: z.unknown(),
  strict: z.boolean().default(false),
  source_path: z.string().max(4096).nullish(),
  skill_dir_name: z.string().max(255).nullish(),
  target_uri: targetUri,
});
export type ValidateSkillBody = z.output<typeof validateSkillBody>;

export const updateSkillBody = z
  .object({
    data: z.unknown().optional(),
    temp_file_id: z.string().min(1).nullish(),
    wait: z.boolean().nullish(),
    timeout: z.number().positive().max(3600).nullish(),
    target_uri: targetUri,
    // Accepted for OpenViking's clients, and ignored (we keep no source record of a skill).
    source_metadata: z.record(z.string(), z.unknown()).nullish(),
    telemetry: z.unknown().optional(),
  })
  .refine((b) => (b.data !== undefined && b.data !== null) || typeof b.temp_file_id === 'string', {
    message: "either 'data' or 'temp_file_id' is required",
    path: ['data'],
  });
export type UpdateSkillBody = z.output<typeof updateSkillBody>;

/** What a file of a skill folder is, in OpenViking's words. */
export function skillFileKind(path: string, isDir: boolean): string {
  if (isDir) return 'directory';
  if (path === 'SKILL.md') return 'definition';
  if (path === '.abstract.md' || path === '.overview.md') return 'summary';
  return 'auxiliary';
}
