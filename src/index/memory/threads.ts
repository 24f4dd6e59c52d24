/**
 * Scan threads of the vector arena: worker threads that share the arena's WebAssembly memory and run
 * the same scoring kernels on part of a large scan while the calling thread scores the rest. The
 * split is fork-join and synchronous — the caller hands each worker a range through a shared control
 * block, scores its own range, then waits for theirs — so a scan stays one uninterrupted call: no
 * write can move or reuse a vector while it runs, and nothing else about the index changes.
 *
 * Workers start on the first scan large enough to split (small indexes, like most tests', never
 * start one) and scans run on the calling thread alone until a worker reports ready. A worker that
 * does not answer in time is given up: its range is scored by the caller and later scans no longer
 * use it.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.js';

/** Kernel signature shared by `dots` and `dots8`: score `n` rows whose addresses start at `addrs`. */
export type Kernel = (addrs: number, n: number, q: number, bytes: number, out: number) => unknown;

/** Which kernel a worker runs (the worker instantiates the same module, so it knows both). */
export type KernelName = 'dots' | 'dots8';

/** Scans of at least this many rows are split (below it, waking a worker costs more than it saves). */
export const SPLIT_FROM = 4096;
/** A worker that takes longer than this for its range is given up (its range is scored here). */
const WORKER_TIMEOUT_MS = 2000;

export interface ScanThreadsOptions {
  /** Worker threads to use (0: scans always run on the calling thread). */
  readonly count: number;
  /** How long a worker may take for its range (default {@link WORKER_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** Where a worker given up is reported. */
  readonly log?: Pick<Logger, 'warn'>;
}

/** Control block slots (int32): job sequence, done sequence, ready flag, kernel and its arguments. */
const SEQ = 0;
const DONE = 1;
const READY = 2;
const KIND = 3;
const ADDRS = 4;
const ROWS = 5;
const QUERY = 6;
const BYTES = 7;
const OUT = 8;
const SLOTS = 9;
/** A job sequence of -1 tells the worker to stop. */
const STOP = -1;

// The worker is plain JavaScript evaluated from this string, so it runs the same way from the
// compiled build and from the TypeScript sources under test.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, control } = workerData;
const c = new Int32Array(control);
const { dots, dots8 } = new WebAssembly.Instance(module, { env: { memory } }).exports;
Atomics.store(c, ${READY}, 1);
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(c, ${SEQ}, seen);
  seen = Atomics.load(c, ${SEQ});
  if (seen === ${STOP}) break;
  (c[${KIND}] === 1 ? dots8 : dots)(c[${ADDRS}], c[${ROWS}], c[${QUERY}], c[${BYTES}], c[${OUT}]);
  Atomics.store(c, ${DONE}, seen);
  Atomics.notify(c, ${DONE});
}
`;

interface ScanWorker {
  readonly worker: Worker;
  readonly control: Int32Array;
  alive: boolean;
}

export class ScanThreads {
  private workers: ScanWorker[] | null = null;
  private started: Promise<void> | null = null;

  /**
   * @param module the compiled kernel module (importing a shared memory), run by each worker
   * @param memory the arena's shared memory
   */
  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly options: ScanThreadsOptions,
  ) {}

  /** Workers ready to take a range now. */
  private ready(): ScanWorker[] {
    void this.start();
    return (this.workers ?? []).filter((w) => w.alive && Atomics.load(w.control, READY) === 1);
  }

  /** Starts the workers (once); resolves when each has reported ready or stopped. */
  start(): Promise<void> {
    this.started ??= this.spawn();
    return this.started;
  }

  private async spawn(): Promise<void> {
    const workers: ScanWorker[] = [];
    this.workers = workers;
    for (let i = 0; i < this.options.count; i++) {
      const control = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module: this.module, memory: this.memory, control: control.buffer },
      });
      const entry: ScanWorker = { worker, control, alive: true };
      worker.on('error', (error) => this.giveUp(entry, error));
      worker.on('exit', () => (entry.alive = false));
      // A blocked worker must not keep the process alive.
      worker.unref();
      workers.push(entry);
    }
    await Promise.all(
      workers.map(
        ({ worker }) => new Promise<void>((resolve) => worker.once('message', resolve).once('exit', resolve)),
      ),
    );
  }

  /**
   * Runs `kernel` (named `name`) over rows [0, n) of the address list, in ranges shared between the
   * calling thread and the ready workers; returns when every range is scored: true, or false when a
   * worker was given up meanwhile (it may still write into `out` until it stops: the caller must not
   * reuse that memory).
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
    const helpers = this.options.count > 0 && n >= SPLIT_FROM ? this.ready() : [];
    if (helpers.length === 0) {
      kernel(addrs, n, q, bytes, out);
      return true;
    }
    const size = Math.ceil(n / (helpers.length + 1));
    const jobs = helpers.map((w, i) => {
      const from = size * (i + 1);
      const rows = Math.max(0, Math.min(n, from + size) - from);
      const c = w.control;
      c[KIND] = name === 'dots8' ? 1 : 0;
      c[ADDRS] = addrs + from * 4;
      c[ROWS] = rows;
      c[QUERY] = q;
      c[BYTES] = bytes;
      c[OUT] = out + from * 4;
      const seq = nextSeq(c);
      Atomics.store(c, SEQ, seq);
      Atomics.notify(c, SEQ);
      return { w, seq, from, rows };
    });
    kernel(addrs, Math.min(size, n), q, bytes, out);
    let complete = true;
    for (const { w, seq, from, rows } of jobs) {
      if (this.await(w, seq)) continue;
      kernel(addrs + from * 4, rows, q, bytes, out + from * 4);
      complete = false;
    }
    return complete;
  }

  /** Waits for a worker's job; false (and the worker given up) when it does not finish in time. */
  private await(w: ScanWorker, seq: number): boolean {
    const timeout = this.options.timeoutMs ?? WORKER_TIMEOUT_MS;
    const deadline = performance.now() + timeout;
    for (;;) {
      const done = Atomics.load(w.control, DONE);
      if (done === seq) return true;
      const left = deadline - performance.now();
      if (left <= 0 || !w.alive) {
        this.giveUp(w, new Error(`scan worker did not answer within ${timeout} ms`));
        return false;
      }
      Atomics.wait(w.control, DONE, done, Math.min(left, 50));
    }
  }

  private giveUp(w: ScanWorker, error: unknown): void {
    if (!w.alive) return;
    w.alive = false;
    this.options.log?.warn(
      { err: error },
      'scan worker given up; its share of scans runs on the main thread',
    );
    void w.worker.terminate();
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const workers = this.workers ?? [];
    this.workers = [];
    this.started = Promise.resolve();
    for (const w of workers) {
      w.alive = false;
      Atomics.store(w.control, SEQ, STOP);
      Atomics.notify(w.control, SEQ);
    }
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  /** Threads currently scoring with the caller (for status). */
  get active(): number {
    return (this.workers ?? []).filter((w) => w.alive && Atomics.load(w.control, READY) === 1).length;
  }
}

/** The next job sequence of a worker: positive, never the stop value. */
function nextSeq(c: Int32Array): number {
  const last = Atomics.load(c, SEQ);
  return last >= 2 ** 31 - 2 ? 1 : last + 1;
}
