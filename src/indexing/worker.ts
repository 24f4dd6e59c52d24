/**
 * The indexing worker's loop: takes a batch of jobs from the journal, applies it with the
 * {@link BatchRunner} (a rebuild alone in its batch, see ./rebuild.ts), acknowledges it, and goes on
 * while jobs come. It is woken by this process's appends, by the journal's notifications and by the
 * pipeline's poll (jobs appended, or an account released, by another process). Jobs taken and not
 * yet applied stay held across a pause; stop hands them back to the journal.
 */
import type { Logger } from '../log.js';
import type { BatchRunner } from './batches.js';
import type { IndexJournal } from './journal.js';
import type { QueueEntry } from './queue.js';
import { batchOf } from './rebuild.js';

export interface WorkerDeps {
  readonly batches: BatchRunner;
  readonly batchSize: number;
  readonly log: Logger;
  /** Whether stop() was called: no batch starts, the one in progress is abandoned. */
  readonly stopping: () => boolean;
  /** A batch was applied and acknowledged in `ms`. */
  readonly applied: (batch: readonly QueueEntry[], ms: number) => void;
  /** The worker went idle (nothing it could take). */
  readonly idle: () => void;
}

export class JobWorker {
  private running: Promise<void> | null = null;
  /** Jobs taken from the journal and not yet acknowledged, oldest first. */
  private held: QueueEntry[] = [];
  /** Woken while a drain ran: look again once it is over. */
  private wanted = false;
  /** Holders of {@link pause}: while any, no new batch starts. */
  private holds = 0;
  /** The last take failed (logged once until one succeeds again). */
  private failing = false;

  constructor(
    private readonly journal: IndexJournal,
    private readonly deps: WorkerDeps,
  ) {}

  /** Whether a drain is running. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves once the drain in progress (if any) is over. */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Jobs may be waiting: drains them unless stopping, paused or already draining. */
  kick(): void {
    if (this.running !== null) {
      this.wanted = true;
      return;
    }
    if (this.deps.stopping() || this.holds > 0) return;
    this.wanted = false;
    this.running = this.drain().finally(() => {
      this.running = null;
      // Jobs may have arrived while the last batch was being acknowledged.
      if (this.wanted && !this.deps.stopping()) this.kick();
      else this.deps.idle();
    });
  }

  /** Holds the worker between batches (the one in progress finishes first); resolves to resume. */
  async pause(): Promise<() => void> {
    this.holds += 1;
    await this.running;
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      this.holds -= 1;
      this.kick();
    };
  }

  /** Hands the jobs held and not applied back to the journal (after stop, for the next worker). */
  async release(): Promise<void> {
    this.held = [];
    await this.journal.release();
  }

  private async drain(): Promise<void> {
    const { batches, batchSize, log, stopping } = this.deps;
    while (!stopping() && this.holds === 0) {
      if (this.held.length === 0) {
        try {
          this.held = await this.journal.take(batchSize);
        } catch (error) {
          // The journal cannot be read now (PostgreSQL unreachable): the next wake-up tries again.
          if (!this.failing) log.warn({ err: error }, 'could not take index jobs; retrying');
          this.failing = true;
          return;
        }
        if (this.failing) log.info('taking index jobs again');
        this.failing = false;
        if (this.held.length === 0) return;
        if (stopping()) return;
      }
      const started = Date.now();
      const batch = batchOf(this.held);
      // Interrupted by stop(): the batch stays held until stop releases it.
      if (!(await batches.run(batch))) return;
      if (!(await batches.acknowledge(this.journal, batch))) return;
      this.held = this.held.slice(batch.length);
      this.deps.applied(batch, Date.now() - started);
    }
  }
}

/**
 * Calls `wake` on every notification of the journal and every `pollMs` (the safety net: a
 * notification can be lost); resolves to the function that stops both.
 */
export async function wakeUps(
  journal: IndexJournal,
  pollMs: number,
  wake: () => void,
): Promise<() => Promise<void>> {
  const unwatch = await journal.watch(wake);
  const poll = setInterval(wake, pollMs);
  poll.unref();
  return () => {
    clearInterval(poll);
    return unwatch();
  };
}
