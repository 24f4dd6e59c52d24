/**
 * The indexing pipeline (SPEC 9.3): the content hooks enqueue durable jobs, one worker takes them in
 * batches and applies them with {@link IndexSync}. A failing batch is retried, then its jobs one by one
 * a bounded number of times; a job that keeps failing is logged and dropped (a re-index repairs it).
 */
import { AppError } from '../errors.js';
import type { ContentHooks } from '../hooks.js';
import { JobQueue, type Job, type QueueEntry } from './queue.js';
import { IndexSync, type SyncDeps } from './sync.js';

/** What the worker needs to sync the index (SyncDeps) plus the queue's batching and retry settings. */
export interface PipelineOptions extends SyncDeps {
  /** Jobs per batch (default 32). */
  readonly batchSize?: number;
  /** Attempts per batch and per job before giving up (default 3). */
  readonly maxAttempts?: number;
  /** Base delay between attempts in ms (default 200, multiplied by the attempt number). */
  readonly retryDelayMs?: number;
}

export interface PipelineStatus {
  readonly queue_depth: number;
  readonly records: number;
  readonly embedder: { readonly id: string; readonly dimension: number };
  readonly failed_jobs: number;
  readonly integrity_errors?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class IndexPipeline implements ContentHooks {
  private queue: JobQueue | null = null;
  private readonly sync: IndexSync;
  private worker: Promise<void> | null = null;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  private failedJobs = 0;
  private integrityErrors = 0;

  constructor(private readonly options: PipelineOptions) {
    this.sync = new IndexSync(options);
  }

  /** Opens the journal and replays every job accepted but not finished before a crash. */
  async start(): Promise<void> {
    if (this.queue !== null) return;
    this.stopping = false;
    this.queue = await JobQueue.open(this.options.dataDir);
    this.queue.onJob(() => this.kick());
    if (this.queue.depth > 0) this.options.log.info({ jobs: this.queue.depth }, 'replaying index jobs');
    this.kick();
  }

  /** Finishes the batch in progress and closes the journal; pending jobs are replayed at next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.worker;
    await this.queue?.close();
    this.queue = null;
    this.releaseIdle();
  }

  fileWritten(account_id: string, uri: string): Promise<void> {
    return this.enqueue({ type: 'file', account: account_id, uri });
  }

  removed(account_id: string, uri: string): Promise<void> {
    return this.enqueue({ type: 'remove', account: account_id, uri });
  }

  moved(account_id: string, from: string, to: string): Promise<void> {
    return this.enqueue({ type: 'move', account: account_id, from, to });
  }

  messageAdded(account_id: string, session_id: string, message_id: string): Promise<void> {
    return this.enqueue({ type: 'message', account: account_id, session_id, message_id });
  }

  accountDeleted(account_id: string): Promise<void> {
    return this.enqueue({ type: 'account', account: account_id });
  }

  /** Whether the journal is open and jobs are being accepted. */
  get running(): boolean {
    return this.queue !== null && !this.stopping;
  }

  /** Resolves once every job accepted so far is done (or the pipeline stopped). */
  waitIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async status(): Promise<PipelineStatus> {
    return {
      queue_depth: this.queue?.depth ?? 0,
      records: await this.options.store.countRows(),
      embedder: { id: this.options.embedder.id, dimension: this.options.embedder.dimension },
      failed_jobs: this.failedJobs,
      integrity_errors: this.integrityErrors,
    };
  }

  /** Counts search hits dropped by the post-retrieval visibility check (reported in status()). */
  reportIntegrityErrors(count: number): void {
    this.integrityErrors += count;
  }

  private async enqueue(job: Job): Promise<void> {
    if (this.queue === null || this.stopping)
      throw new AppError('UNAVAILABLE', 'the index queue is not running');
    await this.queue.enqueue(job);
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
    if (this.worker !== null || this.stopping || this.queue === null) return;
    this.worker = this.drain().finally(() => {
      this.worker = null;
      // Jobs may have arrived while the last batch was being acknowledged.
      if (!this.stopping && (this.queue?.depth ?? 0) > 0) this.kick();
      else this.releaseIdle();
    });
  }

  private async drain(): Promise<void> {
    const queue = this.queue;
    while (queue !== null && !this.stopping && queue.depth > 0) {
      const batch = queue.peek(this.options.batchSize ?? 32);
      // Interrupted by stop(): leave the batch in the journal for the next start.
      if (!(await this.process(batch))) break;
      const last = batch[batch.length - 1];
      if (last === undefined) break;
      try {
        await queue.ack(last.seq);
      } catch (error) {
        this.options.log.error({ err: error }, 'could not acknowledge index jobs; retrying');
        await sleep(this.options.retryDelayMs ?? 200);
      }
    }
  }

  /** Applies a batch; never throws. False if stop() interrupted it before it was done. */
  private async process(batch: readonly QueueEntry[]): Promise<boolean> {
    if (await this.attempt(batch.map((e) => e.job))) return true;
    if (this.stopping) return false;
    for (const entry of batch.length > 1 ? batch : []) {
      if (await this.attempt([entry.job])) continue;
      if (this.stopping) return false;
      this.giveUp([entry]);
    }
    if (batch.length === 1) this.giveUp(batch);
    return true;
  }

  private async attempt(jobs: readonly Job[]): Promise<boolean> {
    const attempts = this.options.maxAttempts ?? 3;
    for (let n = 1; n <= attempts; n++) {
      try {
        await this.sync.apply(jobs);
        return true;
      } catch (error) {
        this.options.log.warn({ err: error, jobs: jobs.length, attempt: n }, 'index batch failed');
        if (this.stopping) return false;
        if (n < attempts) await sleep((this.options.retryDelayMs ?? 200) * n);
      }
    }
    return false;
  }

  private giveUp(entries: readonly QueueEntry[]): void {
    this.failedJobs += entries.length;
    for (const entry of entries)
      this.options.log.error({ job: entry.job }, 'index job dropped after retries');
  }
}
