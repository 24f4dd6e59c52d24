/**
 * What the indexing pipeline needs of a durable job journal, whoever stores it: append a job, take a
 * batch to apply, acknowledge what was applied, and tell which jobs are not applied yet. Two
 * implementations: {@link LocalJournal} over the embedded mode's file queue (./queue.ts, one worker
 * per data directory) and `PgJournal` (src/storage/pg/journal.ts: any number of workers on one
 * PostgreSQL, claims with row locks and leases). Both hand out one account's jobs in order and to
 * one worker at a time, so two jobs for one URI are never applied out of order or at once.
 */
import { JobQueue, type Job, type QueueEntry } from './queue.js';
import { isRebuild } from './rebuild.js';

/** The jobs waiting (pending or taken, not yet acknowledged) and when the oldest was appended. */
export interface Backlog {
  readonly depth: number;
  /** Ms since the epoch, or null when nothing waits. */
  readonly oldestAt: number | null;
}

/** A job given up after retries: what a wait on it fails with, on any process. */
export interface JobFailure {
  readonly account: string;
  /** The URI the job was about (the wait's error names it). */
  readonly uri: string;
  /** Why the last attempt failed (for operators; never shown to tenants). */
  readonly error: string;
}

/** How many failures the local journal remembers for {@link IndexJournal.failures}. */
const KEEP_FAILURES = 10_000;

export interface IndexJournal {
  /** Appends a job; resolves with its sequence number once it is durable. */
  append(job: Job): Promise<number>;
  /**
   * Up to `n` jobs for this worker to apply, oldest first; nobody else is given them (nor later jobs
   * of their accounts) until they are acknowledged or released (or the worker's lease lapses).
   */
  take(n: number): Promise<QueueEntry[]>;
  /**
   * The jobs of `entries` (taken by this worker) are finished: never handed out again. Those in
   * `failures` (by sequence number) were given up after retries; the journal remembers them for a
   * while ({@link failures}, {@link failedCount}) so that every process learns it.
   */
  ack(entries: readonly QueueEntry[], failures?: ReadonlyMap<number, JobFailure>): Promise<void>;
  /** Hands the jobs taken and not acknowledged back (a worker stopping between batches). */
  release(): Promise<void>;
  /** The backlog of one account, or of every account. */
  backlog(account?: string): Promise<Backlog>;
  /** The jobs not applied yet (of one account), oldest first, whoever appended or holds them. */
  pending(account?: string): Promise<QueueEntry[]>;
  /** Which of `seqs` are not applied yet, by any worker. */
  unfinished(seqs: readonly number[]): Promise<Set<number>>;
  /** Which of `seqs` (finished) were given up after retries, by any worker, as far as remembered. */
  failures(seqs: readonly number[]): Promise<Map<number, JobFailure>>;
  /** Jobs given up after retries that the journal remembers (status's `failed_jobs`). */
  failedCount(): Promise<number>;
  /** The rebuild jobs not applied yet, oldest first, whoever appended them. */
  rebuilds(): Promise<QueueEntry[]>;
  /**
   * Calls `onChange` when another process may have appended or applied jobs (a notification); the
   * pipeline polls besides. Resolves to the function that stops watching.
   */
  watch(onChange: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * The embedded mode's queue as an {@link IndexJournal}. Its one worker takes jobs from the head of
 * the queue; acknowledgements go in order (the queue records "done up to seq"). Nobody else appends
 * or applies (the data directory is locked to one process), so there is nothing to watch, and
 * failures are remembered in memory (the last {@link KEEP_FAILURES}; counted since the open).
 */
export class LocalJournal implements IndexJournal {
  /** Jobs handed out and not acknowledged: the head of the queue's pending jobs. */
  private taken = 0;
  /** Jobs given up since the journal was opened. */
  private failed = 0;
  private readonly failuresBySeq = new Map<number, JobFailure>();
  /** The pending rebuild jobs (few), so that {@link rebuilds} never scans the queue. */
  private readonly pendingRebuilds: QueueEntry[];

  constructor(private readonly queue: JobQueue) {
    this.pendingRebuilds = queue.peek(queue.depth).filter((e) => isRebuild(e.job));
  }

  /** The journal of `{DATA_DIR}/index/` (the jobs not acknowledged before are pending again). */
  static async open(dataDir: string): Promise<LocalJournal> {
    return new LocalJournal(await JobQueue.open(dataDir));
  }

  async append(job: Job): Promise<number> {
    const seq = await this.queue.enqueue(job);
    if (isRebuild(job)) this.pendingRebuilds.push({ seq, job });
    return seq;
  }

  take(n: number): Promise<QueueEntry[]> {
    const entries = this.queue.peek(this.taken + n).slice(this.taken);
    this.taken += entries.length;
    return Promise.resolve(entries);
  }

  async ack(entries: readonly QueueEntry[], failures?: ReadonlyMap<number, JobFailure>): Promise<void> {
    if (entries.length === 0) return;
    const head = this.queue.peek(entries.length).map((e) => e.seq);
    const seqs = entries.map((e) => e.seq).sort((a, b) => a - b);
    if (entries.length > this.taken || head.some((seq, i) => seq !== seqs[i])) {
      throw new Error('the local journal acknowledges the oldest jobs taken, in order');
    }
    await this.queue.ack(Math.max(...seqs));
    this.taken -= entries.length;
    for (const [seq, failure] of failures ?? []) {
      this.failed += 1;
      this.failuresBySeq.set(seq, failure);
      const oldest = this.failuresBySeq.keys().next();
      if (this.failuresBySeq.size > KEEP_FAILURES && oldest.done !== true)
        this.failuresBySeq.delete(oldest.value);
    }
    const acked = this.queue.ackedSeq;
    while ((this.pendingRebuilds[0]?.seq ?? Infinity) <= acked) this.pendingRebuilds.shift();
  }

  release(): Promise<void> {
    this.taken = 0;
    return Promise.resolve();
  }

  backlog(account?: string): Promise<Backlog> {
    if (account === undefined) {
      return Promise.resolve({ depth: this.queue.depth, oldestAt: this.queue.oldestEnqueuedAt });
    }
    const mine = (job: Job) => job.account === account;
    return Promise.resolve({
      depth: this.queue.pendingSeqs(mine).length,
      oldestAt: this.queue.oldestEnqueuedAtOf(mine),
    });
  }

  pending(account?: string): Promise<QueueEntry[]> {
    const all = this.queue.peek(this.queue.depth);
    return Promise.resolve(account === undefined ? all : all.filter((e) => e.job.account === account));
  }

  /** Jobs are acknowledged in order here: every job after the acknowledged one is pending. */
  unfinished(seqs: readonly number[]): Promise<Set<number>> {
    return Promise.resolve(new Set(seqs.filter((seq) => seq > this.queue.ackedSeq)));
  }

  failures(seqs: readonly number[]): Promise<Map<number, JobFailure>> {
    const found = new Map<number, JobFailure>();
    for (const seq of seqs) {
      const failure = this.failuresBySeq.get(seq);
      if (failure !== undefined) found.set(seq, failure);
    }
    return Promise.resolve(found);
  }

  failedCount(): Promise<number> {
    return Promise.resolve(this.failed);
  }

  rebuilds(): Promise<QueueEntry[]> {
    return Promise.resolve([...this.pendingRebuilds]);
  }

  watch(): Promise<() => Promise<void>> {
    return Promise.resolve(() => Promise.resolve());
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
