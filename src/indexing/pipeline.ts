/**
 * The indexing pipeline (SPEC 9.3): the content hooks enqueue durable jobs, one worker takes them in
 * large batches and applies them with {@link IndexSync} through a {@link BatchRunner} (retries, halving
 * down to the failing job, a storage fault waited out with {@link StorageStall}). Requests can wait
 * for their own jobs ({@link IndexPipeline.waitFor}), and writes are refused with RESOURCE_EXHAUSTED
 * while the index lag is over its bound. Rebuilds (src/indexing/rebuild.ts) are journaled jobs too,
 * applied one account per batch.
 */
import { settlesWithin } from '../deadline.js';
import { AppError } from '../errors.js';
import type { ContentHooks, IndexTickets } from '../hooks.js';
import type { CanonicalUri } from '../policy/index.js';
import { BatchRunner } from './batches.js';
import { LagMeter } from './lag.js';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_LAG_S,
  type PipelineOptions,
  type PipelineStatus,
} from './options.js';
import { JobQueue, type Job } from './queue.js';
import { batchOf, rebuildJob, RebuildTracker } from './rebuild.js';
import { DEFAULT_STALL_MAX_MS, StorageStall, type StallStatus } from './stall.js';
import { IndexSync } from './sync.js';
import { JobWaiters } from './waiters.js';

export type { PipelineOptions, PipelineStatus } from './options.js';

export class IndexPipeline implements ContentHooks {
  private queue: JobQueue | null = null;
  private readonly sync: IndexSync;
  private readonly waiters = new JobWaiters();
  private readonly lag: LagMeter;
  private readonly stall: StorageStall;
  private readonly rebuilds: RebuildTracker;
  private readonly batches: BatchRunner;
  private worker: Promise<void> | null = null;
  private stopping = false;
  /** Holders of {@link pause}: while any, no new batch starts. */
  private holds = 0;
  private idleWaiters: Array<() => void> = [];
  /** Jobs up to this sequence number were replayed at start: nobody waits for them. */
  private replayedUpTo = 0;

  constructor(private readonly options: PipelineOptions) {
    this.sync = new IndexSync(options);
    this.lag = new LagMeter(options.maxLagS ?? DEFAULT_MAX_LAG_S);
    this.stall = new StorageStall({
      baseMs: options.retryDelayMs ?? 200,
      maxMs: options.maxStallMs ?? DEFAULT_STALL_MAX_MS,
      log: options.log,
    });
    this.rebuilds = new RebuildTracker(options.log);
    this.batches = new BatchRunner({
      apply: (jobs) => this.sync.apply(jobs),
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

  /** Opens the journal and replays every job accepted but not finished before a crash. */
  async start(): Promise<void> {
    if (this.queue !== null) return;
    this.stopping = false;
    const queue = await JobQueue.open(this.options.dataDir);
    this.queue = queue;
    this.waiters.finished(queue.ackedSeq);
    this.replayedUpTo = queue.pendingSeqs().at(-1) ?? 0;
    queue.onJob(() => this.kick());
    if (queue.depth > 0) this.options.log.info({ jobs: queue.depth }, 'replaying index jobs');
    this.rebuilds.add(queue.peek(queue.depth));
    this.kick();
  }

  /**
   * Finishes the batch in progress and closes the journal; pending jobs are replayed at next start.
   * A batch still running after `timeoutMs` is abandoned, unacknowledged (so it is replayed too; its
   * upserts are idempotent): false then, and the index must not be closed under it.
   */
  async stop(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.stopping = true;
    this.stall.interrupt();
    const finished = await settlesWithin(this.worker ?? Promise.resolve(), timeoutMs);
    if (finished) await this.queue?.close();
    else
      this.options.log.warn(
        { pending_jobs: this.queue?.depth ?? 0, timeout_ms: timeoutMs },
        'index batch unfinished at the shutdown deadline; its jobs stay in the journal for the next start',
      );
    this.queue = null;
    this.waiters.abort();
    this.releaseIdle();
    return finished;
  }

  /**
   * Holds the worker between batches (the batch in progress finishes first), for a consistent copy
   * of the journal and the index; jobs are still accepted. Resolves to the function that resumes it.
   */
  async pause(): Promise<() => void> {
    this.holds += 1;
    await this.worker;
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      this.holds -= 1;
      this.kick();
    };
  }

  /**
   * Throws RESOURCE_EXHAUSTED (429 with Retry-After) while the index lag is over its bound, naming the
   * storage fault if one pauses indexing.
   */
  admit(account_id: string): void {
    if (this.queue === null || this.stopping) return;
    const retry_after_s = this.lag.retryAfterS(this.queueState(this.queue));
    if (retry_after_s === null) return;
    const paused = this.stall.status;
    const why = paused === null ? '' : ` (indexing is paused: ${paused.message})`;
    throw new AppError('RESOURCE_EXHAUSTED', `the indexer is behind; retry later${why}`, {
      account_id,
      retry_after_s,
      max_index_lag_s: this.lag.maxLagS,
      ...(paused === null ? {} : { indexing_paused: paused.reason }),
    });
  }

  fileWritten(account_id: string, uri: CanonicalUri): Promise<IndexTickets> {
    return this.enqueue({ type: 'file', account: account_id, uri });
  }

  removed(account_id: string, uri: CanonicalUri): Promise<IndexTickets> {
    return this.enqueue({ type: 'remove', account: account_id, uri });
  }

  moved(account_id: string, from: CanonicalUri, to: CanonicalUri): Promise<IndexTickets> {
    return this.enqueue({ type: 'move', account: account_id, from, to });
  }

  messageAdded(account_id: string, session_id: string, message_id: string): Promise<IndexTickets> {
    return this.enqueue({ type: 'message', account: account_id, session_id, message_id });
  }

  accountDeleted(account_id: string): Promise<IndexTickets> {
    return this.enqueue({ type: 'account', account: account_id });
  }

  /** Removes the account's records from the index now, not through the queue (see IndexStore.purgeAccount). */
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

  /** Whether an account's records are being rebuilt (they are incomplete until then). */
  rebuilding(account_id: string): boolean {
    return this.rebuilds.rebuilding(account_id);
  }

  /** Whether the journal is open and jobs are being accepted. */
  get running(): boolean {
    return this.queue !== null && !this.stopping;
  }

  /** Why indexing is paused (a storage fault), or null while it is not. */
  get paused(): StallStatus | null {
    return this.stall.status;
  }

  /**
   * Resolves once the jobs of `tickets` are applied; rejects with INTERNAL (naming the URI) if one was
   * dropped after retries, with DEADLINE_EXCEEDED after `timeoutMs`, with UNAVAILABLE if the
   * pipeline stops first.
   */
  waitFor(tickets: IndexTickets, timeoutMs: number): Promise<void> {
    const open = tickets.some((seq) => seq > (this.queue?.ackedSeq ?? 0));
    if (open && !this.running)
      return Promise.reject(new AppError('UNAVAILABLE', 'the index queue is not running'));
    return this.waiters.wait(tickets, timeoutMs);
  }

  /**
   * `POST /system/wait`: waits for the jobs of `account_id` accepted so far (every account's with
   * null), like {@link waitFor}. Later jobs and other accounts' jobs are not waited for.
   */
  waitForAccount(account_id: string | null, timeoutMs: number): Promise<void> {
    const seqs =
      this.queue?.pendingSeqs(account_id === null ? undefined : (job) => job.account === account_id) ?? [];
    return this.waitFor(seqs, timeoutMs);
  }

  /** Index jobs of `account_id` accepted and not yet applied (the observer's per-tenant queue). */
  pendingFor(account_id: string): number {
    return this.queue?.pendingSeqs((job) => job.account === account_id).length ?? 0;
  }

  /**
   * The queue as one account sees it: its own pending jobs and the age of its oldest one, so a tenant
   * learns nothing of another tenant's write activity from status.
   */
  queueFor(account_id: string): { queue_depth: number; index_lag_s: number } {
    const mine = (job: Job) => job.account === account_id;
    if (this.queue === null) return { queue_depth: 0, index_lag_s: 0 };
    const oldestAt = this.queue.oldestEnqueuedAtOf(mine);
    const depth = this.queue.pendingSeqs(mine).length;
    return { queue_depth: depth, index_lag_s: round3(this.lag.lagS({ depth, oldestAt })) };
  }

  /** Resolves once every job accepted so far is done (or the pipeline stopped). */
  waitIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async status(): Promise<PipelineStatus> {
    const rate = this.lag.drainRate();
    const rebuild = this.rebuilds.status();
    return {
      queue_depth: this.queue?.depth ?? 0,
      index_lag_s: this.queue === null ? 0 : round3(this.lag.lagS(this.queueState(this.queue))),
      drain_rate: rate === null ? null : Math.round(rate * 10) / 10,
      records: await this.options.store.countRows(),
      embedder: { id: this.options.embedder.id, dimension: this.options.embedder.dimension },
      failed_jobs: this.batches.failedJobs,
      indexing_paused: this.stall.status,
      ...(rebuild === null ? {} : { rebuild }),
    };
  }

  private queueState(queue: JobQueue) {
    return { depth: queue.depth, oldestAt: queue.oldestEnqueuedAt };
  }

  private async enqueue(job: Job): Promise<IndexTickets> {
    if (this.queue === null || this.stopping)
      throw new AppError('UNAVAILABLE', 'the index queue is not running');
    const seq = await this.queue.enqueue(job);
    this.rebuilds.add([{ seq, job }]);
    return [seq];
  }

  private isIdle(): boolean {
    return this.queue === null || this.stopping || (this.worker === null && this.queue.depth === 0);
  }

  private releaseIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private kick(): void {
    if (this.worker !== null || this.stopping || this.holds > 0 || this.queue === null) return;
    this.worker = this.drain().finally(() => {
      this.worker = null;
      // Jobs may have arrived while the last batch was being acknowledged.
      if (!this.stopping && (this.queue?.depth ?? 0) > 0) this.kick();
      else this.releaseIdle();
    });
  }

  private async drain(): Promise<void> {
    const queue = this.queue;
    while (queue !== null && !this.stopping && this.holds === 0 && queue.depth > 0) {
      const started = Date.now();
      const batch = batchOf(queue.peek(this.options.batchSize ?? DEFAULT_BATCH_SIZE));
      // Interrupted by stop(): leave the batch in the journal for the next start.
      if (!(await this.batches.run(batch))) break;
      const last = batch[batch.length - 1];
      if (last === undefined) break;
      if (!(await this.batches.acknowledge(queue, last.seq))) break;
      this.lag.record(batch.length, Date.now() - started);
      this.waiters.finished(last.seq);
      this.rebuilds.finished(last.seq);
    }
  }
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
