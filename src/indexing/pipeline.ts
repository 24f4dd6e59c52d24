/**
 * The indexing pipeline (SPEC 9.3): the content hooks append durable jobs to an {@link IndexJournal}
 * (the file queue, or PostgreSQL shared by several processes), a {@link JobWorker} takes them in
 * large batches and applies them with {@link IndexSync} through a {@link BatchRunner} (retries,
 * halving down to the failing job, a storage fault waited out with {@link StorageStall}). Requests
 * can wait for their own jobs, whichever process applies them ({@link IndexPipeline.waitFor}), and
 * writes are refused with RESOURCE_EXHAUSTED while the index lag is over its bound. Rebuilds
 * (src/indexing/rebuild.ts) are journaled jobs too, applied one account per batch.
 */
import { settlesWithin } from '../deadline.js';
import { AppError } from '../errors.js';
import type { IndexTickets } from '../hooks.js';
import { BacklogCache, EMPTY_BACKLOG } from './backlog.js';
import { BatchRunner } from './batches.js';
import { JobHooks } from './job-hooks.js';
import { LocalJournal, type IndexJournal } from './journal.js';
import { LagMeter } from './lag.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_MAX_LAG_S, DEFAULT_POLL_MS } from './options.js';
import type { PipelineOptions, PipelineStatus } from './options.js';
import type { Job, QueueEntry } from './queue.js';
import { rebuildJob, RebuildTracker } from './rebuild.js';
import { DEFAULT_STALL_MAX_MS, StorageStall, type StallStatus } from './stall.js';
import { IndexSync } from './sync.js';
import { JobWaiters } from './waiters.js';
import { JobWorker, wakeUps } from './worker.js';

export type { PipelineOptions, PipelineStatus } from './options.js';

const notRunning = (): AppError => new AppError('UNAVAILABLE', 'the index queue is not running');

export class IndexPipeline extends JobHooks {
  private journal: IndexJournal | null = null;
  /** This process's worker (null while stopped, and always with `worker: false`). */
  private worker: JobWorker | null = null;
  private readonly waiters: JobWaiters;
  private readonly lag: LagMeter;
  private readonly stall: StorageStall;
  private readonly rebuilds: RebuildTracker;
  private readonly batches: BatchRunner;
  private readonly backlog = new BacklogCache(() => this.journal?.backlog());
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  /** Jobs up to this sequence number were replayed at start: nobody waits for them. */
  private replayedUpTo = 0;
  /** Stops the notifications and the poll that wake the worker and the waits. */
  private sleep: (() => Promise<void>) | null = null;

  constructor(private readonly options: PipelineOptions) {
    super();
    const sync = new IndexSync(options);
    this.lag = new LagMeter(options.maxLagS ?? DEFAULT_MAX_LAG_S);
    this.stall = new StorageStall({
      baseMs: options.retryDelayMs ?? 200,
      maxMs: options.maxStallMs ?? DEFAULT_STALL_MAX_MS,
      log: options.log,
    });
    this.rebuilds = new RebuildTracker(options.log);
    this.waiters = new JobWaiters({
      unfinished: (seqs) => this.journal?.unfinished(seqs) ?? Promise.resolve(new Set(seqs)),
      failures: (seqs) => this.journal?.failures(seqs) ?? Promise.resolve(new Map()),
      afterApplied: options.afterApplied,
    });
    this.batches = new BatchRunner({
      apply: (jobs) => sync.apply(jobs),
      stall: this.stall,
      waiters: this.waiters,
      log: options.log,
      maxAttempts: options.maxAttempts,
      retryDelayMs: options.retryDelayMs,
      stopping: () => this.stopping,
      replayedUpTo: () => this.replayedUpTo,
      requeue: (job) => this.enqueue(job),
    });
  }

  /**
   * Opens the journal and, as a worker, applies every job not finished: after a crash (the local
   * journal replays what was accepted and not acknowledged), or appended by other processes.
   */
  async start(): Promise<void> {
    if (this.journal !== null) return;
    this.stopping = false;
    const journal = this.options.journal ?? (await LocalJournal.open(this.options.dataDir));
    // Not started if the journal cannot be read (PostgreSQL unreachable): start may be called again.
    const pending = await journal.pending().catch(async (error: unknown) => {
      await journal.close().catch(() => undefined);
      throw error;
    });
    this.journal = journal;
    this.replayedUpTo = pending.at(-1)?.seq ?? 0;
    this.rebuilds.add(pending);
    await this.backlog.refresh().catch(() => undefined);
    if (this.options.worker !== false) {
      if (pending.length > 0) this.options.log.info({ jobs: pending.length }, 'replaying index jobs');
      this.worker = new JobWorker(journal, {
        batches: this.batches,
        batchSize: this.options.batchSize ?? DEFAULT_BATCH_SIZE,
        log: this.options.log,
        stopping: () => this.stopping,
        applied: (batch, ms) => this.applied(batch, ms),
        idle: () => this.releaseIdle(),
      });
    }
    this.sleep = await wakeUps(journal, this.options.pollMs ?? DEFAULT_POLL_MS, () => this.wake());
    this.worker?.kick();
  }

  /**
   * Finishes the batch in progress, hands the jobs held back and closes the journal. A batch still
   * running after `timeoutMs` is abandoned, unacknowledged (applied again by the next start or another
   * worker; its upserts are idempotent): false then, and the index must not be closed under it.
   */
  async stop(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.stopping = true;
    this.stall.interrupt();
    await this.sleep?.().catch(() => undefined);
    this.sleep = null;
    const finished = await settlesWithin(this.worker?.settled() ?? Promise.resolve(), timeoutMs);
    const journal = this.journal;
    await this.worker?.release().catch(() => undefined);
    if (finished)
      await journal
        ?.close()
        .catch((error: unknown) =>
          this.options.log.warn({ err: error }, 'could not close the index journal'),
        );
    else
      this.options.log.warn(
        { pending_jobs: this.backlog.value.depth, timeout_ms: timeoutMs },
        'index batch unfinished at the shutdown deadline; its jobs stay in the journal for the next start',
      );
    this.journal = null;
    this.worker = null;
    this.backlog.clear();
    this.waiters.abort();
    this.releaseIdle();
    return finished;
  }

  /**
   * Holds the worker between batches (the batch in progress finishes first), for a consistent copy of
   * the journal and the index; jobs are still accepted. Resolves to the function that resumes it.
   */
  async pause(): Promise<() => void> {
    return this.worker === null ? () => undefined : this.worker.pause();
  }

  /**
   * Throws RESOURCE_EXHAUSTED (429 with Retry-After) while the index lag is over its bound, naming the
   * storage fault if one pauses indexing. Reads the journal's backlog as cached (./backlog.ts).
   */
  admit(account_id: string): void {
    if (this.journal === null || this.stopping) return;
    const refusal = this.lag.refusal(this.backlog.value, account_id, this.stall.status);
    if (refusal !== null) throw refusal;
  }

  /** Removes the account's records from the index now, not through the queue (see RecordIndex.purgeAccount). */
  purgeAccount(account_id: string): Promise<void> {
    return this.options.store.purgeAccount(account_id);
  }

  /**
   * Journals a rebuild of each account's records from its files (accounts already being rebuilt are
   * skipped); searches of those accounts answer 503 until their job is applied.
   */
  async rebuild(accounts: readonly string[], reason: string): Promise<IndexTickets> {
    const wanted = accounts.filter((a) => !this.rebuilds.rebuilding(a));
    if (wanted.length === 0) return [];
    this.options.log.warn({ reason, accounts: wanted.length }, 'rebuilding the index from the filesystem');
    const tickets: number[] = [];
    for (const account of wanted) tickets.push(...(await this.enqueue(rebuildJob(account))));
    return tickets;
  }

  /**
   * Whether an account's (or any account's) records are being rebuilt, by a job of any process; reads
   * no journal (the tracker follows it on every notification and poll).
   */
  rebuilding(account_id?: string): boolean {
    return account_id === undefined ? this.rebuilds.status() !== null : this.rebuilds.rebuilding(account_id);
  }

  /** Whether the journal is open and jobs are being accepted. */
  get running(): boolean {
    return this.journal !== null && !this.stopping;
  }

  /** Why indexing is paused (a storage fault), or null while it is not. */
  get paused(): StallStatus | null {
    return this.stall.status;
  }

  /**
   * Resolves once the jobs of `tickets` are applied, by this process or another, and `afterApplied`
   * ran; rejects with INTERNAL (naming the URI) if a worker (of any process) dropped one, with
   * DEADLINE_EXCEEDED after `timeoutMs`, with UNAVAILABLE if the pipeline stops first.
   */
  async waitFor(tickets: IndexTickets, timeoutMs: number): Promise<void> {
    if (!this.running && tickets.length > 0) {
      const journal = this.journal;
      if (journal === null || (await journal.unfinished(tickets)).size > 0) throw notRunning();
    }
    return this.waiters.wait(tickets, timeoutMs);
  }

  /**
   * `POST /system/wait`: waits for the jobs of `account_id` accepted so far (every account's with
   * null), like {@link waitFor}. Later jobs and other accounts' jobs are not waited for.
   */
  async waitForAccount(account_id: string | null, timeoutMs: number): Promise<void> {
    const pending = (await this.journal?.pending(account_id ?? undefined)) ?? [];
    return this.waitFor(pending.map(seqOf), timeoutMs);
  }

  /** Index jobs of `account_id` accepted and not yet applied (the observer's per-tenant queue). */
  async pendingFor(account_id: string): Promise<number> {
    return (await this.journal?.backlog(account_id))?.depth ?? 0;
  }

  /**
   * The queue as one account sees it: its own pending jobs and the age of its oldest one, so a tenant
   * learns nothing of another tenant's write activity from status.
   */
  async queueFor(account_id: string): Promise<{ queue_depth: number; index_lag_s: number }> {
    const backlog = (await this.journal?.backlog(account_id)) ?? EMPTY_BACKLOG;
    return { queue_depth: backlog.depth, index_lag_s: round3(this.lag.lagS(backlog)) };
  }

  /** Resolves once the journal holds no job (every one accepted so far is applied), or on stop. */
  async waitIdle(): Promise<void> {
    while (this.running) {
      const signal = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      if (this.worker?.busy !== true && (await this.backlog.refresh()).depth === 0) return;
      let timer: NodeJS.Timeout | undefined;
      const poll = new Promise<void>(
        (resolve) => (timer = setTimeout(resolve, this.options.pollMs ?? DEFAULT_POLL_MS)),
      );
      await Promise.race([signal, poll]);
      clearTimeout(timer);
    }
  }

  async status(): Promise<PipelineStatus> {
    const rate = this.lag.drainRate();
    const rebuild = this.rebuilds.status();
    const backlog = this.journal === null ? EMPTY_BACKLOG : await this.backlog.refresh();
    const failed = (await this.journal?.failedCount()) ?? 0;
    return {
      queue_depth: backlog.depth,
      index_lag_s: round3(this.lag.lagS(backlog)),
      drain_rate: rate === null ? null : Math.round(rate * 10) / 10,
      records: await this.options.store.countRows(),
      embedder: { id: this.options.embedder.id, dimension: this.options.embedder.dimension },
      failed_jobs: failed,
      indexing_paused: this.stall.status,
      ...(rebuild === null ? {} : { rebuild }),
    };
  }

  protected async enqueue(job: Job): Promise<IndexTickets> {
    const journal = this.journal;
    if (journal === null || this.stopping) throw notRunning();
    const seq = await journal.append(job);
    this.backlog.appended(Date.now());
    this.rebuilds.add([{ seq, job }]);
    this.worker?.kick();
    return [seq];
  }

  /** This worker applied and acknowledged a batch. */
  private applied(batch: readonly QueueEntry[], ms: number): void {
    this.lag.record(batch.length, ms);
    const seqs = batch.map(seqOf);
    this.waiters.finished(seqs);
    this.rebuilds.finished(seqs);
    void this.backlog.refresh().catch(() => undefined);
  }

  /**
   * Jobs may have been appended or applied elsewhere (a notification, the poll): the worker looks
   * for jobs, the open waits ask the journal about theirs, and the rebuilds pending are read again.
   */
  private wake(): void {
    if (this.stopping) return;
    this.worker?.kick();
    void this.waiters.check();
    const journal = this.journal;
    if (journal !== null) void this.rebuilds.refresh(() => journal.rebuilds()).catch(() => undefined);
  }

  private releaseIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

const seqOf = (entry: QueueEntry): number => entry.seq;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;
