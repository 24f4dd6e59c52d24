/**
 * The PostgreSQL connection pool of distributed mode (SPEC 14): one `pg.Pool` per process, its
 * timeouts, transactions that retry what PostgreSQL asks to retry, and the one mapping of "the
 * database cannot be reached" to `UNAVAILABLE` (503 with `Retry-After`) instead of a 500.
 */
import pg from 'pg';
import { AppError, errnoOf, isAppError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that runs a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Retry-After (s) of requests refused while PostgreSQL is unreachable or restarting. */
export const DB_RETRY_AFTER_S = 1;

export interface PoolOptions {
  /** Shown in `pg_stat_activity` (e.g. `vikingscope-api-1234`). */
  readonly applicationName?: string;
  readonly max?: number;
  /** Server-side bound of one statement; the client gives up a little later (a cut network). */
  readonly statementTimeoutMs?: number;
  /** Bound of opening a connection, or of waiting for a free one. */
  readonly connectionTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
}

const DEFAULTS = {
  applicationName: `vikingscope-${process.pid}`,
  max: 10,
  statementTimeoutMs: 30_000,
  connectionTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
} as const;

/** Slack of the client-side read timeout over the server's statement timeout. */
const CLIENT_TIMEOUT_SLACK_MS = 5_000;

/**
 * The process's pool. Errors of idle connections (PostgreSQL restarted, a network cut) are logged,
 * never thrown: the pool drops the connection and opens a new one at the next checkout.
 * @example const pool = createPool('postgres://postgres@127.0.0.1:5432/vs', {}, logger);
 */
export function createPool(url: string, options: PoolOptions = {}, log?: Logger): Pool {
  const o = { ...DEFAULTS, ...options };
  const pool = new pg.Pool({
    connectionString: url,
    application_name: o.applicationName,
    max: o.max,
    statement_timeout: o.statementTimeoutMs,
    query_timeout: o.statementTimeoutMs + CLIENT_TIMEOUT_SLACK_MS,
    connectionTimeoutMillis: o.connectionTimeoutMs,
    idleTimeoutMillis: o.idleTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  pool.on('error', (error) => {
    log?.warn({ err: messageOf(error), code: errnoOf(error) }, 'idle PostgreSQL connection lost');
  });
  return pool;
}

/**
 * SQLSTATEs after which the connection itself is no use: the server it reached is read-only now (a
 * primary demoted in a failover: 25006) or shutting down. Such a connection is destroyed rather than
 * returned to the pool, so the next checkout connects again (to the new primary). pg-pool already
 * destroys a connection on any error of a single `pool.query`; transactions are handled here.
 */
const DISCARD_STATES = new Set(['25006', '57P01', '57P02', '57P03']);

/** SQLSTATEs after which the same transaction, run again, may succeed. */
const RETRYABLE = new Set(['40001', '40P01']);

/** SQLSTATEs meaning the server is going away, restarting, overloaded or read-only (a failover). */
function unavailableState(state: string): boolean {
  return (
    state.startsWith('08') || // connection exception
    state.startsWith('53') || // insufficient resources (too many connections, disk full)
    ['57P01', '57P02', '57P03', '57014', '25006', '40001', '40P01'].includes(state)
  );
}

const UNREACHABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * pg's own connection failures carry no code, only these messages (pg 8.23 `client.js`,
 * `pg-pool`); this list is the one place that reads them.
 */
const UNREACHABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client was closed and is not queryable',
];

/** The SQLSTATE of a PostgreSQL error (five characters), or undefined. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = errnoOf(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Whether the error says PostgreSQL cannot be reached or cannot serve now (vs. a bad statement). */
export function isUnavailable(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state !== undefined) return unavailableState(state);
  const errno = errnoOf(error);
  if (errno !== undefined) return UNREACHABLE_ERRNO.has(errno);
  const message = messageOf(error);
  return UNREACHABLE_MESSAGES.some((known) => message.startsWith(known));
}

/**
 * The error a caller should see: an unreachable database becomes `UNAVAILABLE` with
 * `retry_after_s`; anything else (an AppError, a bug in a statement) is returned unchanged.
 */
export function mapPgError(error: unknown): unknown {
  if (isAppError(error) || !isUnavailable(error)) return error;
  return new AppError('UNAVAILABLE', 'the database is unavailable; retry shortly', {
    retry_after_s: DB_RETRY_AFTER_S,
  });
}

/** One statement with the error mapping of {@link mapPgError}. */
export async function query<R extends pg.QueryResultRow>(
  db: Queryable,
  text: string,
  values: readonly unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await db.query<R>(text, [...values]);
  } catch (error) {
    throw mapPgError(error);
  }
}

const guarded = new WeakSet<PoolClient>();

/**
 * Checks out a client. A connection lost while checked out makes pg emit `error` on the client, and
 * an `error` event without a listener ends the process; the loss also fails the client's pending
 * query, which is where callers see it, so the event itself is only acknowledged here.
 */
export async function connect(pool: Pool): Promise<PoolClient> {
  const client = await pool.connect().catch((error: unknown) => {
    throw mapPgError(error);
  });
  if (!guarded.has(client)) {
    guarded.add(client);
    client.on('error', () => undefined);
  }
  return client;
}

export interface TransactionOptions {
  /** Attempts after the first on a serialization failure or deadlock. */
  readonly retries?: number;
  readonly isolation?: 'read committed' | 'repeatable read' | 'serializable';
}

/**
 * Runs `fn` in a transaction: BEGIN, fn, COMMIT; ROLLBACK on any error. A serialization failure
 * (40001) or deadlock (40P01) runs the whole of `fn` again (up to `retries` more times), so `fn`
 * must have no effect outside the database. An unreachable database is `UNAVAILABLE`; a COMMIT
 * cut off by a lost connection may have committed or not, so such a write is never acknowledged.
 * @example await withTransaction(pool, (c) => c.query('UPDATE sessions SET …'));
 */
export async function withTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await attemptTransaction(pool, fn, options.isolation);
    } catch (error) {
      const state = sqlStateOf(error);
      if (attempt < retries && state !== undefined && RETRYABLE.has(state)) {
        await backoff(attempt);
        continue;
      }
      throw mapPgError(error);
    }
  }
}

async function attemptTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  isolation: TransactionOptions['isolation'],
): Promise<T> {
  const client = await connect(pool);
  try {
    await client.query(isolation === undefined ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${isolation}`);
    const result = await fn(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    // A connection that failed other than by a statement's error (no SQLSTATE: cut, timed out), to
    // a server that can no longer serve it (DISCARD_STATES), or that cannot roll back is destroyed,
    // not returned to the pool.
    const state = sqlStateOf(error);
    const broken = await client.query('ROLLBACK').then(
      () => !isAppError(error) && (state === undefined || DISCARD_STATES.has(state)),
      () => true,
    );
    client.release(broken ? asError(error) : undefined);
    throw error;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(messageOf(error));
}

/** 10–40 ms, doubling: enough for the other transaction to finish, short for a request. */
function backoff(attempt: number): Promise<void> {
  const ms = 10 * 2 ** Math.min(attempt, 2) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
