/**
 * Creates and migrates the schema of distributed mode at start (SPEC 14) with node-pg-migrate's
 * runner over the SQL files in `migrations/pg/` (beside package.json). Files are named
 * `NNNN_what.sql`: node-pg-migrate orders them by that numeric prefix (1–4 digits are an index,
 * 17 a UTC timestamp), records each applied name in `schema_migrations`, and refuses to start when
 * a file sorts before one already applied. Every starter waits for one PostgreSQL advisory lock, so
 * two processes starting at once apply each migration once: the second finds nothing left to run.
 */
import { join } from 'node:path';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { PACKAGE_DIR } from '../../version.js';
import { mapPgError, type Pool } from './pool.js';

/** The folder of the SQL migrations. */
export const MIGRATIONS_DIR = join(PACKAGE_DIR ?? '.', 'migrations', 'pg');
export const MIGRATIONS_TABLE = 'schema_migrations';

export interface MigrateOptions {
  readonly dir?: string;
  readonly log?: Logger;
}

/**
 * Applies every migration not applied yet, in one transaction; returns the names applied (empty
 * when the schema is current). Waits while another process migrates.
 * @example await migrate(pool, { log }) // ['0001_base'] on a fresh database, then []
 */
export async function migrate(pool: Pool, options: MigrateOptions = {}): Promise<string[]> {
  const log = options.log;
  // A connection of its own without the pool's timeouts: waiting for another process's migration,
  // or a migration itself (an index built over a large table), may take longer than any request.
  const client = new pg.Client({ ...pool.options, statement_timeout: 0, query_timeout: 0 });
  client.on('error', () => undefined); // the pending query fails too; that is where it is seen
  try {
    await client.connect();
    const applied = await runner({
      dbClient: client,
      dir: options.dir ?? MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'wait',
      // The runner writes to the console unless given a logger.
      logger: {
        debug: (msg: string) => log?.debug(msg),
        info: (msg: string) => log?.debug(msg),
        warn: (msg: string) => log?.warn(msg),
        error: (msg: string) => log?.error(msg),
      },
    });
    const names = applied.map((migration) => migration.name);
    if (names.length > 0) log?.info({ applied: names }, 'database schema migrated');
    return names;
  } catch (error) {
    const mapped = mapPgError(error);
    if (mapped !== error) throw mapped;
    throw new Error(`database migration failed: ${messageOf(error)}`, { cause: error });
  } finally {
    // Ending the session also releases the advisory lock if the runner could not.
    await client.end().catch(() => undefined);
  }
}
