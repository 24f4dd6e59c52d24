/**
 * Per-request waits on index jobs (SPEC 9.3). A wait is over once none of its jobs is unfinished:
 * this process's worker reports the jobs it acknowledged ({@link JobWaiters.finished}); jobs another
 * process applied (a shared journal) are learnt by asking the journal ({@link JobWaiters.check},
 * called on a notification and on a timer). Then `afterApplied` runs (the index's cache catching up)
 * before the wait resolves. A wait fails if one of its jobs was dropped after retries: by this
 * process's worker (told at once), or by another's (the journal remembers it for a while and is asked
 * about the jobs that finished elsewhere).
 */
import { AppError, isAppError } from '../errors.js';

/** What a failed wait names: the job's account and URI. */
export interface DroppedJob {
  readonly account: string;
  readonly uri: string;
}

export interface WaitersDeps {
  /** Which of `seqs` are not applied yet, by any worker (the journal's answer). */
  readonly unfinished: (seqs: readonly number[]) => Promise<ReadonlySet<number>>;
  /** Which of `seqs` (finished) were dropped after retries, by any worker (the journal's answer). */
  readonly failures?: (seqs: readonly number[]) => Promise<ReadonlyMap<number, DroppedJob>>;
  /** Runs once a wait's jobs are applied, before it resolves (within its timeout). */
  readonly afterApplied?: (() => Promise<void>) | undefined;
}

interface Waiter {
  readonly seqs: readonly number[];
  /** Its jobs not known to be finished. */
  readonly open: Set<number>;
  readonly resolve: () => void;
  readonly reject: (error: AppError) => void;
  timer?: NodeJS.Timeout;
}

/** Dropped jobs remembered for waits that start after the job already failed (a bounded log). */
const KEEP_DROPPED = 10_000;

export class JobWaiters {
  private readonly waiters = new Set<Waiter>();
  private readonly dropped = new Map<number, DroppedJob>();
  private asking: Promise<void> | null = null;
  private askAgain = false;

  constructor(private readonly deps: WaitersDeps) {}

  /** Sequence numbers some wait is still open on (for the journal to be asked about). */
  openSeqs(): number[] {
    const seqs = new Set<number>();
    for (const waiter of this.waiters) for (const seq of waiter.open) seqs.add(seq);
    return [...seqs];
  }

  /** The jobs `seqs` are finished (applied or dropped); settles the waits that were on them. */
  finished(seqs: Iterable<number>): void {
    const done = new Set(seqs);
    if (done.size === 0) return;
    for (const waiter of this.waiters) {
      for (const seq of waiter.open) if (done.has(seq)) waiter.open.delete(seq);
      if (waiter.open.size === 0) this.applied(waiter);
    }
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
   * Resolves once every job in `seqs` is applied (and `afterApplied` ran); rejects with INTERNAL
   * naming the URI if one was dropped here, and with DEADLINE_EXCEEDED after `timeoutMs`.
   */
  wait(seqs: readonly number[], timeoutMs: number): Promise<void> {
    if (seqs.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { seqs, open: new Set(seqs), resolve, reject };
      this.waiters.add(waiter);
      waiter.timer = setTimeout(() => {
        this.forget(waiter);
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
      // Registered first: a job finished while the journal is asked is not waited for again.
      void this.check();
    });
  }

  /**
   * Asks the journal which of the open waits' jobs are still unfinished (another process may have
   * applied them); calls made while it is asked are folded into one more question.
   */
  check(): Promise<void> {
    if (this.asking !== null) {
      this.askAgain = true;
      return this.asking;
    }
    this.asking = this.ask().finally(() => {
      this.asking = null;
      if (this.askAgain) {
        this.askAgain = false;
        void this.check();
      }
    });
    return this.asking;
  }

  /** Fails every wait still open: its jobs will not finish in this process (the pipeline stopped). */
  abort(): void {
    for (const waiter of this.waiters) {
      this.forget(waiter);
      waiter.reject(new AppError('UNAVAILABLE', 'the indexer stopped before the index jobs were applied'));
    }
  }

  private async ask(): Promise<void> {
    const seqs = this.openSeqs();
    if (seqs.length === 0) return;
    let done: number[];
    try {
      const open = await this.deps.unfinished(seqs);
      done = seqs.filter((seq) => !open.has(seq));
      // Finished elsewhere: applied, or dropped by another process's worker.
      const unknown = done.filter((seq) => !this.dropped.has(seq));
      const failed = unknown.length === 0 ? undefined : await this.deps.failures?.(unknown);
      for (const [seq, job] of failed ?? []) this.drop(seq, job);
    } catch {
      // The journal could not answer (PostgreSQL unreachable): the next check asks again.
      return;
    }
    this.finished(done);
  }

  /** Every job of the wait is finished: it fails if one was dropped, else resolves after `afterApplied`. */
  private applied(waiter: Waiter): void {
    this.waiters.delete(waiter);
    const failed = waiter.seqs.map((seq) => this.dropped.get(seq)).find((job) => job !== undefined);
    if (failed !== undefined) {
      this.forget(waiter);
      waiter.reject(
        new AppError('INTERNAL', `the change is saved but indexing ${failed.uri} failed`, {
          uri: failed.uri,
          indexed: false,
        }),
      );
      return;
    }
    const after = this.deps.afterApplied;
    if (after === undefined) {
      this.forget(waiter);
      waiter.resolve();
      return;
    }
    // The timer still runs: a cache that does not catch up in time fails the wait as late.
    after().then(
      () => {
        this.forget(waiter);
        waiter.resolve();
      },
      (error: unknown) => {
        this.forget(waiter);
        waiter.reject(
          isAppError(error) ? error : new AppError('UNAVAILABLE', 'the index could not catch up'),
        );
      },
    );
  }

  private forget(waiter: Waiter): void {
    this.waiters.delete(waiter);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
  }
}
