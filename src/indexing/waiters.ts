/**
 * Per-request waits on index jobs (SPEC 9.3). The worker acknowledges a prefix of the queue at a
 * time, so jobs finish in sequence order: a wait is over once the acknowledged sequence number
 * reaches its highest job, and it fails if one of its jobs was dropped after retries. Outcomes live in
 * memory only, for jobs enqueued by this process (a job replayed after a restart has no waiter).
 */
import { AppError } from '../errors.js';

/** What a failed wait names: the job's account and URI. */
export interface DroppedJob {
  readonly account: string;
  readonly uri: string;
}

interface Waiter {
  readonly seqs: readonly number[];
  readonly last: number;
  readonly resolve: () => void;
  readonly reject: (error: AppError) => void;
  timer?: NodeJS.Timeout;
}

/** Dropped jobs remembered for waits that start after the job already failed (a bounded log). */
const KEEP_DROPPED = 10_000;

export class JobWaiters {
  private readonly waiters = new Set<Waiter>();
  private readonly dropped = new Map<number, DroppedJob>();
  private done = 0;

  /** Every job up to `seq` is finished (applied or dropped); settles the waits that were on them. */
  finished(seq: number): void {
    this.done = Math.max(this.done, seq);
    for (const waiter of this.waiters) if (waiter.last <= this.done) this.settle(waiter);
  }

  /** A job was given up after retries. */
  drop(seq: number, job: DroppedJob): void {
    this.dropped.set(seq, job);
    if (this.dropped.size > KEEP_DROPPED) {
      const oldest = this.dropped.keys().next();
      if (oldest.done !== true) this.dropped.delete(oldest.value);
    }
  }

  /**
   * Resolves once every job in `seqs` is applied; rejects with INTERNAL naming the URI if one was
   * dropped, and with DEADLINE_EXCEEDED after `timeoutMs`.
   */
  wait(seqs: readonly number[], timeoutMs: number): Promise<void> {
    const last = seqs.reduce((max, seq) => Math.max(max, seq), 0);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { seqs, last, resolve, reject };
      if (last <= this.done) {
        this.settle(waiter);
        return;
      }
      this.waiters.add(waiter);
      waiter.timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const seconds = Math.round(timeoutMs) / 1000;
        reject(
          new AppError(
            'DEADLINE_EXCEEDED',
            `the change is saved but its index jobs were not applied within ${seconds} s`,
            { timeout_s: seconds },
          ),
        );
      }, timeoutMs);
      waiter.timer.unref();
    });
  }

  /** Fails every wait still open: its jobs will not finish in this process (the pipeline stopped). */
  abort(): void {
    for (const waiter of this.waiters) {
      this.forget(waiter);
      waiter.reject(new AppError('UNAVAILABLE', 'the indexer stopped before the index jobs were applied'));
    }
  }

  private settle(waiter: Waiter): void {
    this.forget(waiter);
    const failed = waiter.seqs.map((seq) => this.dropped.get(seq)).find((job) => job !== undefined);
    if (failed === undefined) {
      waiter.resolve();
      return;
    }
    waiter.reject(
      new AppError('INTERNAL', `the change is saved but indexing ${failed.uri} failed`, {
        uri: failed.uri,
        indexed: false,
      }),
    );
  }

  private forget(waiter: Waiter): void {
    this.waiters.delete(waiter);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
  }
}
