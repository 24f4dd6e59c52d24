/**
 * How the worker applies one batch of journaled jobs: retried, then split in halves until the
 * failing jobs are isolated; a single job that keeps failing is logged and dropped (its waiters told
 * which URI failed) — except a rebuild, which is journaled again. A storage fault is not the jobs'
 * fault: tries that hit one wait on the {@link StorageStall} and are not counted. Acknowledging a
 * batch is retried the same way, and never applies it again.
 */
import { assertNever, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { storageFaultOf } from '../storage/faults.js';
import type { IndexJournal, JobFailure } from './journal.js';
import type { Job, QueueEntry } from './queue.js';
import { isRebuild } from './rebuild.js';
import { messageUri } from './records.js';
import type { StorageStall } from './stall.js';
import type { JobWaiters } from './waiters.js';
import { ROOT_URI } from '../policy/index.js';

export interface BatchRunnerDeps {
  /** Applies jobs to the index (IndexSync.apply); throws if they could not be. */
  readonly apply: (jobs: readonly Job[]) => Promise<void>;
  readonly stall: StorageStall;
  readonly waiters: JobWaiters;
  readonly log: Logger;
  /** Attempts per batch and per single job before giving up (default 3). */
  readonly maxAttempts?: number | undefined;
  /** Base delay between attempts in ms (default 200, multiplied by the attempt number). */
  readonly retryDelayMs?: number | undefined;
  /** Whether stop() was called: the batch in progress is abandoned, unacknowledged. */
  readonly stopping: () => boolean;
  /** Jobs up to this sequence number were replayed at start: nobody waits for them. */
  readonly replayedUpTo: () => number;
  /** Journals a dropped rebuild job again. */
  readonly requeue: (job: Job) => Promise<unknown>;
}

/** The URI a job is about, for the error of a failed wait. */
function jobUri(job: Job): string {
  switch (job.type) {
    case 'file':
    case 'remove':
      return job.uri;
    case 'move':
      return job.to;
    case 'message':
      return messageUri(job.session_id, job.message_id);
    case 'account':
      return ROOT_URI;
    default:
      return assertNever(job);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class BatchRunner {
  /** The jobs of the batch in progress given up so far, recorded in the journal with its acknowledgement. */
  private dropped = new Map<number, JobFailure>();

  constructor(private readonly deps: BatchRunnerDeps) {}

  /** Applies a batch; never throws. False if stop() interrupted it before it was done. */
  run(batch: readonly QueueEntry[]): Promise<boolean> {
    this.dropped = new Map();
    return this.process(batch, this.maxAttempts());
  }

  /**
   * Acknowledges the jobs of a batch (with the jobs given up, so that every process learns of them),
   * trying again (with the stall's backoff) until it is written; the batch is applied already, so it
   * is not applied again. False if stop() came first.
   */
  async acknowledge(journal: IndexJournal, batch: readonly QueueEntry[]): Promise<boolean> {
    const { stall, stopping, log } = this.deps;
    for (;;) {
      try {
        await journal.ack(batch, this.dropped);
        stall.clear();
        return true;
      } catch (error) {
        if (stopping()) return false;
        const fault = storageFaultOf(error);
        if (fault !== null) await stall.backoff(fault);
        else {
          log.error({ err: error }, 'could not acknowledge index jobs; retrying');
          await sleep(this.deps.retryDelayMs ?? 200);
        }
        if (stopping()) return false;
      }
    }
  }

  private maxAttempts(): number {
    return this.deps.maxAttempts ?? 3;
  }

  /**
   * A failing batch is split in halves (each tried once before it is split again) down to single
   * jobs, which get every attempt: one bad job costs a few extra writes, not one write per job.
   */
  private async process(batch: readonly QueueEntry[], attempts: number): Promise<boolean> {
    const failure = await this.attempt(
      batch.map((e) => e.job),
      attempts,
    );
    if (failure === null) return true;
    if (this.deps.stopping()) return false;
    if (batch.length === 1) {
      await this.giveUp(batch, failure.error);
      return true;
    }
    const middle = Math.ceil(batch.length / 2);
    for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
      if (!(await this.process(half, half.length === 1 ? this.maxAttempts() : 1))) return false;
    }
    return true;
  }

  /**
   * Tries `jobs` up to `attempts` times; tries that hit a storage fault are not counted. Null once
   * applied, else the last error (also when stop() interrupted it).
   */
  private async attempt(jobs: readonly Job[], attempts: number): Promise<{ error: unknown } | null> {
    const { apply, stall, stopping, log } = this.deps;
    let last: { error: unknown } = { error: new Error('not attempted') };
    for (let n = 1; n <= attempts;) {
      try {
        await apply(jobs);
        stall.clear();
        return null;
      } catch (error) {
        last = { error };
        if (stopping()) return last;
        const fault = storageFaultOf(error);
        if (fault !== null) {
          await stall.backoff(fault);
          if (stopping()) return last;
          continue;
        }
        log.warn({ err: error, jobs: jobs.length, attempt: n }, 'index batch failed');
        if (n < attempts) await sleep((this.deps.retryDelayMs ?? 200) * n);
        n++;
      }
    }
    return last;
  }

  private async giveUp(entries: readonly QueueEntry[], error: unknown): Promise<void> {
    const { log, waiters } = this.deps;
    for (const entry of entries) {
      log.error({ job: entry.job }, 'index job dropped after retries');
      const failure = { account: entry.job.account, uri: jobUri(entry.job), error: messageOf(error) };
      this.dropped.set(entry.seq, failure);
      if (entry.seq > this.deps.replayedUpTo()) waiters.drop(entry.seq, failure);
      // A dropped rebuild would leave the account's records incomplete without a trace: it is
      // journaled again before the old job is acknowledged (the account keeps answering 503), and
      // retried after the jobs behind it.
      if (isRebuild(entry.job)) {
        await this.deps
          .requeue(entry.job)
          .catch((error: unknown) =>
            log.error({ err: error, job: entry.job }, 'could not journal the rebuild again'),
          );
      }
    }
  }
}
