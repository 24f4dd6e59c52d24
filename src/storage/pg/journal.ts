/**
 * The index journal on PostgreSQL (SPEC 14): the `index_jobs` table shared by every process. A job
 * is durable once its INSERT commits (and `index_jobs` is notified, to wake idle workers). Workers
 * claim jobs with `FOR UPDATE SKIP LOCKED` and a lease (`claimed_by`, `lease_until`) that they renew
 * while they hold jobs; a job whose lease lapsed — its worker died — is claimed by another. Applied
 * jobs are deleted (only by the worker that holds them); a job given up after retries is deleted
 * too, its failure recorded in `index_failures` by the same statement (kept an hour, at most 10,000),
 * where a wait on any process and every process's status find it.
 *
 * Acknowledgements and releases notify `index_jobs` too: a worker waits for an account another holds,
 * and a request on any process waits for its jobs (`unfinished`).
 *
 * Order: one account's jobs go to one worker at a time, oldest first. A job is handed out only if
 * every earlier job of its account is held by the same worker or handed out with it, so two jobs
 * for one URI (or a file and its folder, or a move and anything else of the account) are never
 * applied out of order or at once. The claim checks this against what it locked itself: a row
 * another worker is claiming at the same moment (locked, not yet committed) blocks the later jobs of
 * its account too. Accounts are the unit, not URIs: a job can touch a subtree (a folder removed, a
 * move, an account rebuilt), and per-account order is what the single-worker queue gave.
 */
import { randomUUID } from 'node:crypto';
import type { Backlog, IndexJournal, JobFailure } from '../../indexing/journal.js';
import { jobSchema, type Job, type QueueEntry } from '../../indexing/queue.js';
import type { Logger } from '../../log.js';
import { STAMP_EPOCH } from './epochs.js';
import { listen } from './listen.js';
import type { Pool } from './pool.js';
import { int, type SqlDatabase } from './sql.js';

/** The channel notified at every append. */
export const JOBS_CHANNEL = 'index_jobs';

export interface PgJournalOptions {
  /** This worker's name in `claimed_by` (default: a fresh UUID). */
  readonly workerId?: string;
  /** How long a claim holds without renewal (default 30 s); renewed every third of it. */
  readonly leaseMs?: number;
  /**
   * Stamp each job with its account's epoch in the registry (epochs.ts) as it is appended, so its
   * records never land in a later incarnation of the account. Only with a registry (api_key mode):
   * trusted and dev mode have no accounts, and their jobs carry no epoch (nothing is checked).
   */
  readonly epochs?: boolean;
  /** A pool to LISTEN on, so that `watch` hears other processes at once (without it, they poll). */
  readonly pool?: Pool;
  readonly log?: Logger;
  /** How long a job's failure is remembered (default an hour). */
  readonly failuresKeptMs?: number;
  /** How many failures are remembered at most, the newest (default 10,000). */
  readonly failuresKept?: number;
}

export const DEFAULT_LEASE_MS = 30_000;
const FAILURES_KEPT_MS = 60 * 60_000;
const FAILURES_KEPT = 10_000;

/**
 * `$1` seqs, `$2` worker, `$3`–`$5` the failures' seqs, URIs and errors. Deletes the jobs this worker
 * still holds and records the failures among them; notifies once something was deleted.
 */
const ACK = `
WITH done AS (
  DELETE FROM index_jobs WHERE seq = ANY($1::bigint[]) AND claimed_by = $2 RETURNING seq, account_id
), failed AS (
  INSERT INTO index_failures (seq, account_id, uri, error)
  SELECT d.seq, d.account_id, f.uri, f.error
  FROM done d JOIN unnest($3::bigint[], $4::text[], $5::text[]) AS f(seq, uri, error) ON f.seq = d.seq
  ON CONFLICT (seq) DO NOTHING
)
SELECT pg_notify('${JOBS_CHANNEL}', 'done') WHERE EXISTS (SELECT 1 FROM done)`;

/**
 * `$1` worker, `$2` batch size, `$3` lease in ms. `candidates` locks the oldest unclaimed (or lapsed)
 * jobs whose account no other worker holds; `kept` drops every candidate with an earlier job of its
 * account that is neither held by this worker nor among the candidates (another worker's claim in
 * flight, a row SKIP LOCKED passed over).
 */
const CLAIM = `
WITH candidates AS (
  SELECT j.seq, j.account_id FROM index_jobs j
  WHERE (j.claimed_by IS NULL OR j.lease_until < now())
    AND NOT EXISTS (
      SELECT 1 FROM index_jobs e
      WHERE e.account_id = j.account_id AND e.seq < j.seq
        AND e.claimed_by <> $1 AND e.lease_until >= now())
  ORDER BY j.seq
  LIMIT $2
  FOR UPDATE OF j SKIP LOCKED
), kept AS (
  SELECT c.seq FROM candidates c
  WHERE NOT EXISTS (
    SELECT 1 FROM index_jobs e
    WHERE e.account_id = c.account_id AND e.seq < c.seq
      AND NOT (e.claimed_by IS NOT DISTINCT FROM $1 AND e.lease_until >= now())
      AND e.seq NOT IN (SELECT seq FROM candidates))
)
UPDATE index_jobs j SET claimed_by = $1, lease_until = now() + $3 * interval '1 millisecond'
FROM kept WHERE j.seq = kept.seq
RETURNING j.seq, j.job`;

export class PgJournal implements IndexJournal {
  readonly workerId: string;
  private readonly leaseMs: number;
  private held = 0;
  private renewal: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: SqlDatabase,
    private readonly options: PgJournalOptions = {},
  ) {
    this.workerId = options.workerId ?? randomUUID();
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Appends a job (stamped with its account's epoch, replacing any it had, with `epochs`). */
  async append(job: Job): Promise<number> {
    const valid = jobSchema.parse(job);
    // `||` keeps the right-hand key: a job journaled again (a dropped rebuild) gets the epoch of now.
    const stamped =
      this.options.epochs === true ? `$2::jsonb || jsonb_build_object('epoch', ${STAMP_EPOCH})` : '$2';
    const { rows } = await this.db.query<{ seq: unknown }>(
      `WITH j AS (INSERT INTO index_jobs (account_id, job) VALUES ($1, ${stamped}) RETURNING seq)
       SELECT seq, pg_notify('${JOBS_CHANNEL}', seq::text) FROM j`,
      [valid.account, JSON.stringify(valid)],
    );
    return int(rows[0]?.seq);
  }

  async take(n: number): Promise<QueueEntry[]> {
    if (n <= 0) return [];
    const { rows } = await this.db.query<{ seq: unknown; job: unknown }>(CLAIM, [
      this.workerId,
      n,
      this.leaseMs,
    ]);
    const entries = rows
      .map((row) => ({ seq: int(row.seq), job: jobSchema.parse(row.job) }))
      .sort((a, b) => a.seq - b.seq);
    this.held += entries.length;
    this.renewWhileHolding();
    return entries;
  }

  /**
   * Deletes the jobs this worker still holds (one whose lease lapsed and went to another stays
   * theirs), recording those of `failures` among them; then forgets the failures past their time.
   */
  async ack(
    entries: readonly QueueEntry[],
    failures: ReadonlyMap<number, JobFailure> = new Map(),
  ): Promise<void> {
    if (entries.length === 0) return;
    const failed = [...failures];
    await this.db.query(ACK, [
      entries.map((e) => e.seq),
      this.workerId,
      failed.map(([seq]) => seq),
      failed.map(([, f]) => f.uri),
      failed.map(([, f]) => f.error),
    ]);
    this.held = Math.max(0, this.held - entries.length);
    if (this.held === 0) this.stopRenewal();
    if (failed.length > 0) await this.forgetOldFailures();
  }

  /** Which of `seqs` were given up after retries, by any worker (as long as their failure is kept). */
  async failures(seqs: readonly number[]): Promise<Map<number, JobFailure>> {
    if (seqs.length === 0) return new Map();
    const { rows } = await this.db.query<{ seq: unknown; account_id: string; uri: string; error: string }>(
      'SELECT seq, account_id, uri, error FROM index_failures WHERE seq = ANY($1::bigint[])',
      [[...seqs]],
    );
    return new Map(rows.map((r) => [int(r.seq), { account: r.account_id, uri: r.uri, error: r.error }]));
  }

  /** The failures of the last hour (of every worker), at most the number kept. */
  async failedCount(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM index_failures WHERE failed_at >= now() - $1 * interval '1 millisecond'`,
      [this.options.failuresKeptMs ?? FAILURES_KEPT_MS],
    );
    return rows[0]?.n ?? 0;
  }

  /** The rebuild jobs pending (index `index_jobs_rebuilds`, migration 0009). */
  async rebuilds(): Promise<QueueEntry[]> {
    const { rows } = await this.db.query<{ seq: unknown; job: unknown }>(
      `SELECT seq, job FROM index_jobs WHERE job @> '{"rebuild": true}' ORDER BY seq`,
    );
    return rows.map((row) => ({ seq: int(row.seq), job: jobSchema.parse(row.job) }));
  }

  async release(): Promise<void> {
    this.held = 0;
    this.stopRenewal();
    await this.db.query(
      `WITH r AS (UPDATE index_jobs SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = $1 RETURNING 1)
       SELECT pg_notify('${JOBS_CHANNEL}', 'released') WHERE EXISTS (SELECT 1 FROM r)`,
      [this.workerId],
    );
  }

  /** Extends the lease of every job this worker holds (also one that lapsed and nobody took). */
  async renew(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `WITH r AS (UPDATE index_jobs SET lease_until = now() + $2 * interval '1 millisecond'
                  WHERE claimed_by = $1 RETURNING 1)
       SELECT count(*)::int AS n FROM r`,
      [this.workerId, this.leaseMs],
    );
    return rows[0]?.n ?? 0;
  }

  async backlog(account?: string): Promise<Backlog> {
    const { rows } = await this.db.query<{ depth: number; oldest: unknown }>(
      `SELECT count(*)::int AS depth, (extract(epoch FROM min(enqueued_at)) * 1000)::float8 AS oldest
       FROM index_jobs WHERE $1::text IS NULL OR account_id = $1`,
      [account ?? null],
    );
    const row = rows[0];
    return { depth: row?.depth ?? 0, oldestAt: row?.oldest == null ? null : Math.round(Number(row.oldest)) };
  }

  async pending(account?: string): Promise<QueueEntry[]> {
    const { rows } = await this.db.query<{ seq: unknown; job: unknown }>(
      'SELECT seq, job FROM index_jobs WHERE $1::text IS NULL OR account_id = $1 ORDER BY seq',
      [account ?? null],
    );
    return rows.map((row) => ({ seq: int(row.seq), job: jobSchema.parse(row.job) }));
  }

  /** LISTENs on `index_jobs` when a pool was given (appends, acknowledgements and releases). */
  async watch(onChange: () => void): Promise<() => Promise<void>> {
    const { pool, log } = this.options;
    if (pool === undefined) return () => Promise.resolve();
    return listen(pool, JOBS_CHANNEL, () => onChange(), log === undefined ? {} : { log });
  }

  /** Which of `seqs` are not applied yet (a request waiting for its jobs, on any process). */
  async unfinished(seqs: readonly number[]): Promise<Set<number>> {
    if (seqs.length === 0) return new Set();
    const { rows } = await this.db.query<{ seq: unknown }>(
      'SELECT seq FROM index_jobs WHERE seq = ANY($1::bigint[])',
      [[...seqs]],
    );
    return new Set(rows.map((r) => int(r.seq)));
  }

  /** Stops renewing; the jobs still held are released, so another worker takes them at once. */
  async close(): Promise<void> {
    await this.release();
  }

  /** Deletes the failures older than kept, and all but the newest kept (best effort: the next failure retries). */
  private async forgetOldFailures(): Promise<void> {
    await this.db
      .query(
        `DELETE FROM index_failures WHERE failed_at < now() - $1 * interval '1 millisecond'
           OR seq <= (SELECT seq FROM index_failures ORDER BY seq DESC OFFSET $2 LIMIT 1)`,
        [this.options.failuresKeptMs ?? FAILURES_KEPT_MS, this.options.failuresKept ?? FAILURES_KEPT],
      )
      .catch((error: unknown) =>
        this.options.log?.warn({ err: error }, 'could not forget old index failures'),
      );
  }

  private renewWhileHolding(): void {
    if (this.held === 0 || this.renewal !== null) return;
    this.renewal = setInterval(
      () => {
        // A failed renewal is retried at the next tick; the lease covers two more of them.
        this.renew().catch(() => undefined);
      },
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
    this.renewal.unref();
  }

  private stopRenewal(): void {
    if (this.renewal !== null) clearInterval(this.renewal);
    this.renewal = null;
  }
}
