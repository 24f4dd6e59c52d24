/**
 * Scan threads of the vector arena: worker threads that share the arena's WebAssembly memory and run
 * the same scoring kernels on parts of a large scan alongside the calling thread. A scan is cut into
 * chunks that every participant claims one at a time from a shared counter, so the work balances
 * itself: when a worker is slow to wake or the other cores are busy, the calling thread simply scores
 * more chunks, and it never waits for more than the chunks already claimed. The call is synchronous —
 * it returns when every chunk is scored — so no write can move or reuse a vector while it runs.
 *
 * Workers start on the first scan large enough to split (small indexes, like most tests', never
 * start one). A worker whose kernel fails says so before it leaves the job and exits: the caller
 * scores that scan again alone, without waiting, and a replacement starts. A scan whose claimed
 * chunks are not finished in time (a worker hung or killed) is scored again by the caller alone and
 * the workers are replaced. Replacements start after a delay that doubles with each failure in a
 * row (up to a minute), so a kernel that always fails costs a few scans, not every one.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.js';
import type { Kernel } from './kernel.js';

/** Which kernel a worker runs (the worker instantiates the same module, so it knows both). */
export type KernelName = 'dots' | 'dots8';

/** Scans of at least this many rows are shared (below it, waking a worker costs more than it saves). */
export const SPLIT_FROM = 4096;
/** Rows per chunk: at least this many, and at most 64 chunks per scan. */
const MIN_CHUNK = 512;
const MAX_CHUNKS = 64;
/** How long the caller waits for chunks claimed by workers before scoring the scan alone. */
const WORKER_TIMEOUT_MS = 2000;

export interface ScanThreadsOptions {
  /** Worker threads to use (0: scans always run on the calling thread). */
  readonly count: number;
  /** How long claimed chunks may take (default {@link WORKER_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** Where giving the workers up is reported. */
  readonly log?: Pick<Logger, 'warn'>;
}

/** Slots (int32) of the shared job block. */
const SEQ = 0; // bumped for each job (-1: stop)
const NEXT = 1; // next chunk to claim
const BUSY = 2; // workers inside a job
const KIND = 4;
const ADDRS = 5;
const ROWS = 6;
const QUERY = 7;
const BYTES = 8;
const OUT = 9;
const CHUNK = 10;
const FAILED = 11; // set by a worker whose kernel threw during the job
const SLOTS = 12;
/** Delay before replacing failed workers: doubled per failure in a row, up to the maximum. */
const RESPAWN_MS = 100;
const MAX_RESPAWN_MS = 60_000;
/** NEXT while a job's arguments are being written: no claim can succeed. */
const CLOSED = 2 ** 30;
const STOP = -1;

// Plain JavaScript evaluated from this string, so the worker runs the same way from the compiled
// build and from the TypeScript sources under test.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, control } = workerData;
const c = new Int32Array(control);
const { dots, dots8 } = new WebAssembly.Instance(module, { env: { memory } }).exports;
// A replacement waits for the job after the current one; it says it is ready only once it knows
// which one that is (read after the message, a job started meanwhile would be missed).
let seen = Atomics.load(c, ${SEQ});
parentPort.postMessage('ready');
for (;;) {
  Atomics.wait(c, ${SEQ}, seen);
  seen = Atomics.load(c, ${SEQ});
  if (seen === ${STOP}) break;
  Atomics.add(c, ${BUSY}, 1);
  let failure = null;
  try {
    for (;;) {
      const chunk = Atomics.add(c, ${NEXT}, 1);
      const rows = Atomics.load(c, ${ROWS});
      const size = Atomics.load(c, ${CHUNK});
      if (chunk >= ${CLOSED} || chunk * size >= rows) break;
      const from = chunk * size;
      const kernel = Atomics.load(c, ${KIND}) === 1 ? dots8 : dots;
      kernel(Atomics.load(c, ${ADDRS}) + from * 4, Math.min(size, rows - from), Atomics.load(c, ${QUERY}),
        Atomics.load(c, ${BYTES}), Atomics.load(c, ${OUT}) + from * 4);
    }
  } catch (error) {
    failure = error;
    Atomics.store(c, ${FAILED}, 1);
  }
  Atomics.sub(c, ${BUSY}, 1);
  Atomics.notify(c, ${BUSY});
  // Leaves (its chunk unscored: the caller scores the scan again) and is replaced.
  if (failure !== null) throw failure;
}
`;

export class ScanThreads {
  private control = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private workers: Worker[] = [];
  /** Workers that said they are ready and have not left. */
  private ready = new Set<Worker>();
  private started: Promise<void> | null = null;
  private closed = false;
  /** Failures since the last scan the workers shared successfully. */
  private failures = 0;
  private respawn: NodeJS.Timeout | null = null;

  /**
   * @param module the compiled kernel module (importing a shared memory), run by each worker
   * @param memory the arena's shared memory
   */
  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly options: ScanThreadsOptions,
  ) {
    Atomics.store(this.control, NEXT, CLOSED);
  }

  /** Workers started and ready to share scans. */
  get active(): number {
    return this.closed ? 0 : this.ready.size;
  }

  /** Starts the workers (once); resolves when each has started or stopped. */
  start(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.started ??= Promise.all(
      Array.from({ length: this.options.count - this.workers.length }, () => this.spawn()),
    ).then(() => undefined);
    return this.started;
  }

  /** Starts one worker on the current control block; resolves when it is ready or gone. */
  private spawn(): Promise<void> {
    const control = this.control;
    const workerData = { module: this.module, memory: this.memory, control: control.buffer };
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    this.workers.push(worker);
    // A waiting worker must not keep the process alive.
    worker.unref();
    return new Promise<void>((resolve) => {
      worker.once('message', () => {
        if (this.workers.includes(worker)) this.ready.add(worker);
        resolve();
      });
      worker.once('error', (error) => this.lost(worker, error));
      worker.once('exit', (code) => {
        this.lost(worker, new Error(`scan worker exited with code ${code}`));
        resolve();
      });
    });
  }

  /** A worker left: forget it and start a replacement after a delay. */
  private lost(worker: Worker, error: unknown): void {
    if (!this.workers.includes(worker)) return;
    this.workers = this.workers.filter((w) => w !== worker);
    this.ready.delete(worker);
    if (this.closed) return;
    this.failures += 1;
    this.options.log?.warn({ err: error }, 'scan worker lost; a replacement starts');
    this.scheduleRespawn();
  }

  private scheduleRespawn(): void {
    if (this.respawn !== null || this.closed) return;
    const delay = Math.min(RESPAWN_MS * 2 ** Math.max(0, this.failures - 1), MAX_RESPAWN_MS);
    this.respawn = setTimeout(() => {
      this.respawn = null;
      this.started = null;
      void this.start();
    }, delay);
    this.respawn.unref();
  }

  /**
   * Runs `kernel` (named `name`) over rows [0, n) of the address list, chunks shared with the
   * workers; returns when every row is scored: true, or false when the workers were given up
   * meanwhile (one may still write into `out` until it stops: the caller must not reuse that memory).
   */
  run(
    name: KernelName,
    kernel: Kernel,
    addrs: number,
    n: number,
    q: number,
    bytes: number,
    out: number,
  ): boolean {
    if (this.options.count === 0 || n < SPLIT_FROM || this.closed) {
      kernel(addrs, n, q, bytes, out);
      return true;
    }
    void this.start();
    if (this.active === 0) {
      kernel(addrs, n, q, bytes, out);
      return true;
    }
    const c = this.control;
    const size = Math.max(MIN_CHUNK, Math.ceil(n / MAX_CHUNKS));
    c[KIND] = name === 'dots8' ? 1 : 0;
    c[ADDRS] = addrs;
    c[ROWS] = n;
    c[QUERY] = q;
    c[BYTES] = bytes;
    c[OUT] = out;
    c[CHUNK] = size;
    Atomics.store(c, NEXT, 0);
    const seq = Atomics.load(c, SEQ);
    Atomics.store(c, SEQ, seq >= 2 ** 31 - 2 ? 1 : seq + 1);
    Atomics.notify(c, SEQ);
    for (;;) {
      const chunk = Atomics.add(c, NEXT, 1);
      if (chunk * size >= n) break;
      const from = chunk * size;
      kernel(addrs + from * 4, Math.min(size, n - from), q, bytes, out + from * 4);
    }
    const finished = this.awaitWorkers();
    Atomics.store(c, NEXT, CLOSED);
    const failed = Atomics.exchange(c, FAILED, 0) === 1;
    if (finished && !failed) this.failures = 0;
    // A failed worker left the job before saying so: nothing writes into `out` any more.
    if (finished && failed) kernel(addrs, n, q, bytes, out);
    if (finished) return true;
    kernel(addrs, n, q, bytes, out);
    return false;
  }

  /** Waits until no worker is inside the job; false (and the workers given up) past the timeout. */
  private awaitWorkers(): boolean {
    const timeout = this.options.timeoutMs ?? WORKER_TIMEOUT_MS;
    const deadline = performance.now() + timeout;
    for (let busy = Atomics.load(this.control, BUSY); busy > 0; busy = Atomics.load(this.control, BUSY)) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.giveUp(new Error(`scan chunks not finished within ${timeout} ms`));
        return false;
      }
      Atomics.wait(this.control, BUSY, busy, left);
    }
    return true;
  }

  /**
   * Replaces every worker: those of a job that did not finish in time may be hung (or gone without a
   * word). They are stopped, and new ones start on a fresh control block after a delay.
   */
  private giveUp(error: unknown): void {
    this.failures += 1;
    this.options.log?.warn(
      { err: error },
      'scan threads replaced; scans run on the calling thread meanwhile',
    );
    const old = this.workers;
    this.workers = [];
    this.ready.clear();
    void this.stop(old, this.control);
    this.control = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
    Atomics.store(this.control, NEXT, CLOSED);
    this.scheduleRespawn();
  }

  private stop(workers: readonly Worker[], control: Int32Array): Promise<void> {
    Atomics.store(control, SEQ, STOP);
    Atomics.notify(control, SEQ);
    return Promise.all(workers.map((w) => w.terminate())).then(() => undefined);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.respawn !== null) clearTimeout(this.respawn);
    this.respawn = null;
    const workers = this.workers;
    this.workers = [];
    this.ready.clear();
    await this.stop(workers, this.control);
  }
}
