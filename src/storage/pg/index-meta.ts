/**
 * The embedder identity of the index records in PostgreSQL (`index_meta`, migration 0007): the first
 * process to open the index records its embedder; every later one must use the same (vectors of
 * another model or dimension would be compared with these), unless it resets the index.
 */
import type { EmbedderIdentity } from '../../index/identity.js';
import { int, type SqlClient } from './sql.js';

/** The identity the records were built with, or null if none was recorded yet. */
export async function storedIdentity(db: SqlClient): Promise<EmbedderIdentity | null> {
  const { rows } = await db.query<{ embedder_id: string; dimension: unknown }>(
    'SELECT embedder_id, dimension FROM index_meta',
  );
  const row = rows[0];
  return row === undefined ? null : { id: row.embedder_id, dimension: int(row.dimension) };
}

/**
 * Records `wanted` when no identity is recorded yet, or over the recorded one with `replace` (the
 * index was emptied for a rebuild); resolves with the identity recorded now (a concurrent first
 * start may have recorded its own).
 */
export async function claimIdentity(
  db: SqlClient,
  wanted: EmbedderIdentity,
  replace: boolean,
): Promise<EmbedderIdentity | null> {
  const onConflict = replace
    ? 'UPDATE SET embedder_id = EXCLUDED.embedder_id, dimension = EXCLUDED.dimension'
    : 'NOTHING';
  await db.query(
    `INSERT INTO index_meta (singleton, embedder_id, dimension) VALUES (true, $1, $2)
     ON CONFLICT (singleton) DO ${onConflict}`,
    [wanted.id, wanted.dimension],
  );
  return storedIdentity(db);
}
