/**
 * The small SQL surface the index's PostgreSQL modules (journal, records, search) are written
 * against: a query and a transaction. A process's `pg` pool provides it ({@link poolDatabase}, with the
 * pool's error mapping: an unreachable database is UNAVAILABLE), and so does PGlite as it is, which
 * is how the pgvector path is tested (pgvector is not packaged for this machine's PostgreSQL).
 */
import { query, withTransaction, type Pool } from './pool.js';

export interface SqlClient {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface SqlDatabase extends SqlClient {
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
}

/** A pool as a {@link SqlDatabase}. */
export function poolDatabase(pool: Pool): SqlDatabase {
  return {
    async query<R>(text: string, params: unknown[] = []) {
      const result = await query(pool, text, params);
      return { rows: result.rows as R[] };
    },
    transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      return withTransaction(pool, (client) =>
        fn({
          async query<R>(text: string, params: unknown[] = []) {
            const result = await query(client, text, params);
            return { rows: result.rows as R[] };
          },
        }),
      );
    },
  };
}

/** A bigint column as a number (`pg` returns int8 as text; the values here stay below 2^53). */
export function int(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${String(value)}`);
  return n;
}
