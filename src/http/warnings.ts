/**
 * Warnings of a successful answer (the envelope's optional `warnings`): an unknown field of a valid
 * body that looks like a known one is ignored, as OpenViking ignores unknown fields, but named with
 * the field it looks like, so `"limt": 5` does not silently give the default limit. Fields that
 * OpenViking's clients send on purpose never warn.
 */
import type { Response } from 'express';
import type { z } from 'zod';
import { unknownFieldGuesses } from '../validate.js';

/**
 * Every field of OpenViking's request bodies (the models of openviking/server/routers/*.py): its
 * clients send some that a route here does not know (`telemetry`, `filter`, `include_provenance`,
 * `session_id`, …) and expect them to be ignored quietly.
 */
const OPENVIKING_FIELDS: ReadonlySet<string> = new Set([
  ...['abstract', 'account_id', 'admin_user_id', 'case_insensitive', 'content', 'context_type'],
  ...['contexts', 'created_at', 'data', 'description', 'directly_upload_media', 'exclude'],
  ...['exclude_uri', 'filter', 'force', 'from_uri', 'ignore_dirs', 'include', 'include_provenance'],
  ...['instruction', 'isolate_agent_scope_by_user', 'isolate_user_scope_by_agent', 'level_limit'],
  ...['limit', 'mode', 'node_limit', 'parent', 'parts', 'path', 'pattern', 'preserve_structure'],
  ...['query', 'reason', 'regenerate', 'role', 'role_id', 'score_threshold', 'session_id', 'since'],
  ...['skill', 'skill_uri', 'source_name', 'strict', 'target_uri', 'telemetry', 'temp_file_id'],
  ...['text', 'time_field', 'timeout', 'to', 'to_uri', 'to_uris', 'tool_id', 'tool_input'],
  ...['tool_name', 'tool_output', 'tool_status', 'tool_uri', 'type', 'until', 'uri', 'user_id'],
  ...['vectorize', 'wait', 'watch_interval'],
]);

const WARNINGS = Symbol('vikingscope.warnings');

declare module 'express-serve-static-core' {
  interface Response {
    /** The answer's warnings, noted by {@link warnUnknownFields} (the symbol stays in this module). */
    [WARNINGS]?: string[];
  }
}

/**
 * Notes each unknown field of a body that parsed with `schema` and looks like one of its fields.
 * @example "unknown field 'limt' ignored; did you mean 'limit'?"
 */
export function warnUnknownFields(res: Response, schema: z.ZodType, body: unknown): void {
  for (const { field, guess } of unknownFieldGuesses(schema, body)) {
    if (guess === undefined || OPENVIKING_FIELDS.has(field)) continue;
    const list = (res[WARNINGS] ??= []);
    const warning = `unknown field '${field}' ignored; did you mean '${guess}'?`;
    // A handler may read its body twice; each field is named once.
    if (!list.includes(warning)) list.push(warning);
  }
}

/** The warnings noted for this answer (none: the envelope has no `warnings`). */
export function warningsOf(res: Response): readonly string[] {
  return res[WARNINGS] ?? [];
}
