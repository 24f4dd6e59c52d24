/**
 * What the store asks the records table itself (the store of record) instead of trusting the mirror:
 * which ids it holds (for appends instead of merges) and the current rows of given ids (to patch or catch
 * up the mirror after a failed write or a load). Ids reach the filter through the one quoting function.
 */
import type * as lancedb from '@lancedb/lancedb';
import { HIT_COLUMNS, quoteString } from '../policy/index.js';
import { IdHashSet } from './id-set.js';
import { readColumn, type ArrowBatch } from './arrow-read.js';

/** Ids per `id IN (…)` filter (a filter string of a few tens of KiB). */
const IDS_PER_QUERY = 500;

/** The columns the mirror keeps of a row. */
export const MIRROR_COLUMNS = [...HIT_COLUMNS, 'text', 'vector'];

/** Every id the table holds now, as a hash set. */
export async function readIds(table: lancedb.Table): Promise<IdHashSet> {
  const ids = new IdHashSet();
  for await (const batch of table.query().select(['id']) as AsyncIterable<ArrowBatch>) {
    for (const id of readColumn(batch.getChild('id'), batch.numRows)) if (typeof id === 'string') ids.add(id);
  }
  return ids;
}

/** The table's current rows (mirror columns) of `ids`; an id it does not hold has none. */
export async function readRows(table: lancedb.Table, ids: Iterable<string>): Promise<ArrowBatch[]> {
  return selectByIds(table, [...ids], MIRROR_COLUMNS);
}

/**
 * Which of `ids` the table holds now: one `id IN (…)` query per 500 ids, served by the btree index
 * on `id` (plus a scan of the fragments written since the last compaction).
 */
export async function heldIds(table: lancedb.Table, ids: readonly string[]): Promise<Set<string>> {
  const held = new Set<string>();
  for (const batch of await selectByIds(table, ids, ['id'])) {
    for (const id of readColumn(batch.getChild('id'), batch.numRows))
      if (typeof id === 'string') held.add(id);
  }
  return held;
}

/** The rows of `ids` (the columns given), by `id IN (…)` filters of {@link IDS_PER_QUERY} ids. */
async function selectByIds(
  table: lancedb.Table,
  ids: readonly string[],
  columns: string[],
): Promise<ArrowBatch[]> {
  const out: ArrowBatch[] = [];
  for (let from = 0; from < ids.length; from += IDS_PER_QUERY) {
    const where = `id IN (${ids
      .slice(from, from + IDS_PER_QUERY)
      .map(quoteString)
      .join(', ')})`;
    const query = table.query().where(where).select(columns);
    for await (const batch of query as AsyncIterable<ArrowBatch>) out.push(batch);
  }
  return out;
}
