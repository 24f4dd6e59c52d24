/**
 * The small SQL surface the index's PostgreSQL modules (journal, records, search) are written
 * against: a query and a transaction. A process's `pg` pool provides it ({@link poolDatabase}, with the
 * pool's error mapping: an unreachable database is UNAVAILABLE), and so does PGlite as it is, which
 * is how the pgvector path is tested (pgvector is not packaged for this machine's PostgreSQL).
 */
import type { QueryResultRow } from 'pg';
import { query, withTransaction, type Pool } from './pool.js';

export interface SqlClient {
  query<R extends QueryResultRow>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface SqlDatabase extends SqlClient {
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
}

/** A pool as a {@link SqlDatabase}. */
export function poolDatabase(pool: Pool): SqlDatabase {
  return {
    async query<R extends QueryResultRow>(text: string, params: unknown[] = []) {
      const result = await query<R>(pool, text, params);
      return { rows: result.rows };
    },
    transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      return withTransaction(pool, (client) =>
        fn({
          async query<R extends QueryResultRow>(text: string, params: unknown[] = []) {
            const result = await query<R>(client, text, params);
            return { rows: result.rows };
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

/**
 * A `real[]` as read with `array_send(column)` (binary: a fraction of the bytes of the text form and
 * no float parsing; 8× faster to read than pg's array parser here), or as an array of numbers.
 * Layout: ndim, flags, element type, then per dimension its size and lower bound, then per element
 * its length (4) and a big-endian float4.
 */
export function realArrayOf(value: unknown): Float32Array {
  if (Array.isArray(value)) return Float32Array.from(value, Number);
  // ArrayBuffer.isView, not instanceof: a Buffer may come from another realm (jest's).
  if (!ArrayBuffer.isView(value)) throw new Error('expected a real[] (array_send) value');
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const ndim = view.getInt32(0);
  if (ndim === 0) return new Float32Array(0);
  if (ndim !== 1) throw new Error(`expected a one-dimensional real[], got ${ndim} dimensions`);
  const out = new Float32Array(view.getInt32(12));
  for (let i = 0, at = 24; i < out.length; i++, at += 8) out[i] = view.getFloat32(at);
  return out;
}

/** A vector as a `real[]` literal: float32 values print exactly enough to read back the same. */
export function realArrayLiteral(vector: Float32Array): string {
  return `{${vector.join(',')}}`;
}
