/**
 * Reading LanceDB result rows back into records, with parsers held to the column table
 * (policy/columns.ts) by their types and by rows.test.ts. A row that does not fit its columns is a fault of the server, not of the
 * client: the ZodError it raises is answered 500 INTERNAL.
 */
import { z } from 'zod';
import { COLUMN_NAMES, HIT_COLUMNS, type RecordDraft, type ScoredRow } from '../policy/index.js';

/** The columns of a record without its vector (scans). */
export const DRAFT_COLUMNS = COLUMN_NAMES.filter((name) => name !== 'vector');

const SCORES = ['_distance', '_score'] as const;

const text = z.string();
const optionalText = z.string().nullable();
const number = z.number();

/**
 * Each column's parser but the vector's (no row read back is parsed with its vector). The kinds and
 * nullability repeat the column table's: `satisfies` below holds each parser's output to its
 * column's type, and the parse results are returned as the record types unasserted.
 */
const COLUMN_PARSERS = {
  id: text,
  account_id: text,
  uri: text,
  scope: text,
  owner_user_id: optionalText,
  owner_agent_id: optionalText,
  context_type: text,
  text,
  abstract: text,
  session_id: optionalText,
  message_id: optionalText,
  role: optionalText,
  role_id: optionalText,
  level: number,
  chunk_index: number,
  created_at: number,
  updated_at: number,
} satisfies { [K in keyof RecordDraft]: z.ZodType<RecordDraft[K]> };

const scores = { _distance: z.number().optional(), _score: z.number().optional() };
const draftSchema = z.object({ ...COLUMN_PARSERS, ...scores });
const hitSchema = z.object({ ...COLUMN_PARSERS, ...scores }).omit({ text: true });

/** Arrow result rows are proxies; copy their fields into a plain object for parsing. */
function toPlain(row: unknown, columns: readonly string[]): unknown {
  if (row === null || typeof row !== 'object') return row;
  const out: Record<string, unknown> = {};
  for (const key of [...columns, ...SCORES]) {
    const value: unknown = Reflect.get(row, key);
    out[key] = value;
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

/** A search result row: every hit column plus `_distance` or `_score`. */
export function parseHit(row: unknown): ScoredRow {
  // The schema was built from the same columns as the type.
  return hitSchema.parse(toPlain(row, HIT_COLUMNS));
}

/** A scanned row: every column but the vector. */
export function parseDraft(row: unknown): RecordDraft {
  return draftSchema.parse(toPlain(row, DRAFT_COLUMNS));
}
