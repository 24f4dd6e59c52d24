/**
 * The search request (SPEC 10) as callers send it: one zod schema shared by the HTTP route and the
 * MCP tools, and its translation into a {@link SearchRequest}.
 */
import { z } from 'zod';
import { searchTags } from '../tags/schema.js';
import type { SearchRequest } from './types.js';

const MAX_QUERY_CHARS = 8192;
const MAX_TARGETS = 64;
const contextType = z.enum(['resource', 'memory', 'skill', 'session']);
const RELATIVE = /^(\d{1,9})([smhdw])$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 864e5;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1e3, m: 6e4, h: 36e5, d: DAY_MS, w: 7 * DAY_MS };

/**
 * Epoch milliseconds of a time bound. Like OpenViking (utils/search_filters.py), a bound may be
 * relative to now (`7d`, `2h`; units s m h d w) or a date, which as an upper bound covers its whole day.
 */
function instantOf(value: number | string, upper: boolean): number {
  if (typeof value === 'number') return value;
  const relative = RELATIVE.exec(value);
  if (relative !== null) {
    const [, amount = '', unit = ''] = relative;
    return Date.now() - Number(amount) * (UNIT_MS[unit] ?? 0);
  }
  const ms = Date.parse(value);
  return upper && DATE_ONLY.test(value) ? ms + DAY_MS - 1 : ms;
}

const instant = (upper: boolean) =>
  z.union([z.number().finite(), z.string().min(1).max(64)]).transform((value, ctx) => {
    const ms = instantOf(value, upper);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected an ISO date, epoch milliseconds or a duration like 7d',
      });
      return z.NEVER;
    }
    return ms;
  });

const targetUri = z.string().max(8192);
const limit = z.number().int().min(1).max(1000);
const levelNumber = z.number().int().min(0).max(2);

/** OpenViking's `level`: a number, a list, or a comma-separated string (`"0,1"`) of record levels. */
const level = z
  .union([
    levelNumber.transform((n) => [n]),
    z.array(levelNumber).max(3),
    z
      .string()
      .regex(/^\s*[0-2]\s*(,\s*[0-2]\s*)*$/, 'expected levels 0, 1 or 2, comma-separated')
      .transform((s) => s.split(',').map(Number)),
  ])
  .transform((levels) => [...new Set(levels)]);

// `node_limit`, a list `target_uri`, `level`, `time_field` and `tags` are OpenViking's (FindRequest in
// its search router). Its other fields (`telemetry`, `filter`, `include_provenance`, `image_url`,
// `session_id`) are accepted and ignored, as the README lists.
export const searchBody = z.object({
  query: z.string().trim().min(1).max(MAX_QUERY_CHARS),
  target_uri: z.union([targetUri, z.array(targetUri).max(MAX_TARGETS)]).nullish(),
  limit: limit.default(10),
  node_limit: limit.nullish(),
  score_threshold: z.number().finite().nullish(),
  context_type: z
    .union([contextType, z.array(contextType).min(1)], {
      error: `expected one of ${contextType.options.map((t) => `'${t}'`).join(', ')}, or a list of them`,
    })
    .nullish(),
  mode: z.enum(['vector', 'fulltext', 'hybrid']).default('hybrid'),
  since: instant(false).nullish(),
  until: instant(true).nullish(),
  time_field: z.enum(['updated_at', 'created_at']).nullish(),
  level: level.nullish(),
  tags: searchTags.nullish(),
  explain: z.boolean().optional(),
});

/** The service's request for a parsed body (`node_limit` wins over `limit`, one type becomes a list). */
export function toSearchRequest(b: z.output<typeof searchBody>): SearchRequest {
  const types = b.context_type ?? undefined;
  return {
    query: b.query,
    target_uri: b.target_uri ?? undefined,
    limit: b.node_limit ?? b.limit,
    score_threshold: b.score_threshold ?? undefined,
    context_type: types === undefined ? undefined : Array.isArray(types) ? types : [types],
    mode: b.mode,
    since: b.since ?? undefined,
    until: b.until ?? undefined,
    time_field: b.time_field ?? undefined,
    levels: b.level ?? undefined,
    tags: b.tags ?? undefined,
    explain: b.explain,
  };
}
