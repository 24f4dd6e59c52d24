/**
 * Reading LanceDB result rows back into records, with parsers derived from the column table
 * (policy/columns.ts). A row that does not fit its columns is a fault of the server, not of the
 * client: the ZodError it raises is answered 500 INTERNAL.
 */
import { z } from 'zod';
import {
  COLUMN_NAMES,
  COLUMNS,
  HIT_COLUMNS,
  type ColumnName,
  type RecordDraft,
  type ScoredRow,
} from '../policy/index.js';

/** The columns of a record without its vector (scans). */
export const DRAFT_COLUMNS = COLUMN_NAMES.filter((name) => name !== 'vector');

const SCORES = ['_distance', '_score'] as const;

/** A zod object of the named columns (strings or numbers, null where the column allows it). */
function schemaOf(names: readonly ColumnName[]) {
  const shape = Object.fromEntries(
    names.map((name) => {
      const { kind, nullable } = COLUMNS[name];
      const value = kind === 'string' ? z.string() : z.number();
      return [name, nullable ? value.nullable() : value];
    }),
  );
  return z.object({ ...shape, _distance: z.number().optional(), _score: z.number().optional() });
}

const hitSchema = schemaOf(HIT_COLUMNS);
const draftSchema = schemaOf(DRAFT_COLUMNS);

/** Arrow result rows are proxies; copy their fields into a plain object for parsing. */
function toPlain(row: unknown, columns: readonly string[]): unknown {
  if (row === null || typeof row !== 'object') return row;
  const out: Record<string, unknown> = {};
  for (const key of [...columns, ...SCORES]) {
    out[key] = (row as Record<string, unknown>)[key];
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

/** A search result row: every hit column plus `_distance` or `_score`. */
export function parseHit(row: unknown): ScoredRow {
  // The schema was built from the same columns as the type.
  return hitSchema.parse(toPlain(row, HIT_COLUMNS)) as ScoredRow;
}

/** A scanned row: every column but the vector. */
export function parseDraft(row: unknown): RecordDraft {
  return draftSchema.parse(toPlain(row, DRAFT_COLUMNS)) as RecordDraft;
}
