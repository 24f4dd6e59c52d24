/**
 * An in-process PostgreSQL (PGlite) with the pgvector extension, holding the index tables of
 * migration 0002: the pgvector SQL path is tested here, since pgvector is not packaged for this
 * machine's PostgreSQL 15.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { MIGRATIONS_DIR } from '../../src/storage/pg/migrate.js';

/** A fresh PGlite with the `up` part of `migrations/pg/0002_index.sql` applied. */
export async function pgliteWithIndex(): Promise<PGlite> {
  const db = new PGlite({ extensions: { vector } });
  const migration = readFileSync(join(MIGRATIONS_DIR, '0002_index.sql'), 'utf8');
  const up = migration.split('-- Down Migration')[0] ?? '';
  await db.exec(up);
  return db;
}
