/**
 * A small pool of worker threads for work whose cost an uploader controls (inflating archives,
 * reading PDFs, converting HTML), so that work never runs on the event loop every tenant shares.
 * Bounded on every side: at most `size` tasks run at once and `maxQueue` wait, each at most
 * `maxWaitMs` (past either a task is refused as `busy`), of which at most `maxQueuePerKey` for one
 * key (an account; past it `key_busy`); waiting tasks are taken fairly across keys (fair-queue.ts),
 * so one account's many tasks do not delay another's by all of them. Each task has a deadline, and a
 * worker past it is terminated — the only way to stop synchronous work — and replaced by a fresh one
 * on the next task; each worker's heap is capped with `resourceLimits`, so a task that needs more
 * kills only its own worker.
 *
 * Workers run plain JavaScript evaluated from a string (as the scan threads do, src/index/memory/
 * threads.ts), so they run the same way from the compiled build and from the TypeScript sources
 * under test. The source receives `{ id, task }` messages and answers `{ id, ok, value | error }`.
 */
import { Worker } from 'node:worker_threads';
import { FairQueue } from './fair-queue.js';

export interface WorkerPoolOptions {
  /** The worker's JavaScript (CommonJS, `require` available). */
  readonly source: string;
  readonly workerData?: unknown;
  /** Tasks running at once (one per worker). */
  readonly size: number;
  /** Tasks waiting for a worker; past it {@link WorkerPool.run} fails with `busy`. */
  readonly maxQueue: number;
  /** Tasks of one key waiting; past it {@link WorkerPool.run} fails with `key_busy` (default maxQueue). */
  readonly maxQueuePerKey?: number;
  /** How long a task may wait for a worker before it fails with `busy` (default 10 s). */
  readonly maxWaitMs?: number;
  /** Heap of each worker (V8's old generation), in MiB. */
  readonly memoryMb: number;
  /**
   * A worker idle this long is ended, its heap freed with it (default: kept). An idle worker's
   * garbage is never collected: a parse of a 9.5 MiB body left ~30 MB in its heap (issue 23 item 5).
   */
  readonly idleMs?: number;
}

export interface TaskOptions {
  /** How long the task may run once a worker has it. */
  readonly timeoutMs: number;
  /** Buffers moved to the worker instead of copied (the caller must not use them afterwards). */
  readonly transfer?: readonly ArrayBuffer[];
  /** Who the task is for (an account): waiting tasks are taken fairly across keys (default ''). */
  readonly key?: string;
}

const DEFAULT_MAX_WAIT_MS = 10_000;

/**
 * Why a task produced no answer: past its deadline, out of memory, the worker died, or no room (in
 * the whole queue or in time: `busy`; among its key's waiting tasks: `key_busy`).
 */
export type PoolFailureKind = 'deadline' | 'memory' | 'crashed' | 'busy' | 'key_busy';

export class PoolFailure extends Error {
  constructor(
    readonly kind: PoolFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'PoolFailure';
  }
}

/** A worker's answer: a value, or what the worker source reported as the error. */
export type TaskReply = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Pending {
  readonly key: string;
  readonly task: unknown;
  readonly options: TaskOptions;
  readonly resolve: (reply: TaskReply) => void;
  readonly reject: (error: Error) => void;
  /** Fails the task if no worker takes it in time. */
  waiting?: NodeJS.Timeout;
}

interface Slot {
  readonly worker: Worker;
  job: (Pending & { id: number; timer: NodeJS.Timeout }) | null;
  /** Ends the worker once idle for `idleMs`. */
  idle?: NodeJS.Timeout;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue = new FairQueue<Pending>();
  private nextId = 1;
  private closed = false;
  /** Workers terminated or crashed so far (each replaced when needed). */
  restarts = 0;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** Runs one task; resolves with the worker's reply, rejects with a {@link PoolFailure}. */
  run(task: unknown, options: TaskOptions): Promise<TaskReply> {
    if (this.closed) return Promise.reject(new PoolFailure('crashed', 'the worker pool is closed'));
    const key = options.key ?? '';
    const refusal = this.refusal(key);
    if (refusal !== null) return Promise.reject(refusal);
    return new Promise<TaskReply>((resolve, reject) => {
      const pending: Pending = { key, task, options, resolve, reject };
      this.queue.push(key, pending);
      this.dispatch();
      if (!this.queue.has(key, pending)) return;
      pending.waiting = setTimeout(() => {
        this.queue.remove(key, pending);
        reject(new PoolFailure('busy', 'no worker was free in time'));
      }, this.options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
    });
  }

  /** Tasks running and waiting, and the workers alive. */
  get load(): { running: number; queued: number; workers: number } {
    const running = this.slots.filter((s) => s.job !== null).length;
    return { running, queued: this.queue.size, workers: this.slots.length };
  }

  /** Terminates every worker; waiting and running tasks fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.drain()) {
      clearTimeout(pending.waiting);
      pending.reject(new PoolFailure('crashed', 'pool closed'));
    }
    await Promise.all(this.slots.splice(0).map((slot) => this.kill(slot, 'crashed', 'pool closed')));
  }

  /** Why a new task of `key` cannot wait (when no worker is free), or null. */
  private refusal(key: string): PoolFailure | null {
    const { maxQueue, maxQueuePerKey = maxQueue } = this.options;
    if (this.queue.sizeOf(key) < maxQueuePerKey && this.queue.size < maxQueue) return null;
    if (this.idleSlot() !== null) return null;
    return this.queue.size >= maxQueue
      ? new PoolFailure('busy', 'too many conversions are waiting')
      : new PoolFailure('key_busy', `at most ${maxQueuePerKey} conversions of one account may wait`);
  }

  private idleSlot(): Slot | null {
    const idle = this.slots.find((s) => s.job === null);
    if (idle !== undefined) return idle;
    return this.slots.length < this.options.size ? this.spawn() : null;
  }

  private dispatch(): void {
    while (this.queue.size > 0) {
      const slot = this.idleSlot();
      if (slot === null) return;
      const taken = this.queue.take();
      if (taken === undefined) return;
      const pending = taken.item;
      clearTimeout(pending.waiting);
      const id = this.nextId++;
      const timer = setTimeout(() => {
        const ms = pending.options.timeoutMs;
        void this.kill(slot, 'deadline', `the task did not finish within ${ms} ms`);
      }, pending.options.timeoutMs);
      clearTimeout(slot.idle);
      slot.job = { ...pending, id, timer };
      slot.worker.ref();
      slot.worker.postMessage({ id, task: pending.task }, [...(pending.options.transfer ?? [])]);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.options.source, {
      eval: true,
      workerData: this.options.workerData,
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb },
    });
    const slot: Slot = { worker, job: null };
    worker.on('message', (message: { id: number } & TaskReply) => this.settle(slot, message));
    worker.on('error', (error: Error & { code?: string }) => {
      const memory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      void this.kill(slot, memory ? 'memory' : 'crashed', error.message);
    });
    worker.on('exit', () => void this.kill(slot, 'crashed', 'the worker exited'));
    // An idle worker must not keep the process alive; a busy one is ref'd while it works.
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private settle(slot: Slot, message: { id: number } & TaskReply): void {
    const job = slot.job;
    if (job === null || job.id !== message.id) return;
    clearTimeout(job.timer);
    slot.job = null;
    this.queue.finish(job.key);
    slot.worker.unref();
    job.resolve(message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error });
    this.dispatch();
    if (slot.job === null && this.options.idleMs !== undefined) {
      slot.idle = setTimeout(() => void this.retire(slot), this.options.idleMs).unref();
    }
  }

  /** Ends an idle worker (not counted as a restart); the next task starts a fresh one. */
  private async retire(slot: Slot): Promise<void> {
    const index = this.slots.indexOf(slot);
    if (index < 0 || slot.job !== null) return;
    this.slots.splice(index, 1);
    await slot.worker.terminate();
  }

  /** Stops a worker (the only way to stop synchronous work), failing its task with `kind`. */
  private async kill(slot: Slot, kind: PoolFailureKind, message: string): Promise<void> {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    this.restarts++;
    clearTimeout(slot.idle);
    const job = slot.job;
    slot.job = null;
    if (job !== null) {
      clearTimeout(job.timer);
      this.queue.finish(job.key);
      job.reject(new PoolFailure(kind, message));
    }
    // A replacement starts when a task needs one.
    if (!this.closed) this.dispatch();
    await slot.worker.terminate();
  }
}
