/**
 * The indexer's pause on storage faults. While the disk is full or read-only an index batch (or its
 * acknowledgement) fails for a reason that is not the jobs' fault, so the worker must not spend their
 * retries and drop them: it waits with exponential backoff and tries again until the fault clears.
 * The pause is reported in status and /ready, and logged once when it starts and once when it ends.
 */
import type { Logger } from '../log.js';
import { describeFault, type StorageFault, type StorageFaultKind } from '../storage/faults.js';

/** What status reports while indexing is paused. */
export interface StallStatus {
  readonly reason: StorageFaultKind;
  readonly errno: string;
  readonly message: string;
  /** When the pause began (ISO 8601). */
  readonly since: string;
  /** Tries that failed since then. */
  readonly retries: number;
  /** The wait before the current (or next) try, in seconds; it doubles after each failed try. */
  readonly backoff_s: number;
}

export interface StallOptions {
  /** First wait in ms; doubled after every failed try (default 200). */
  readonly baseMs?: number;
  /** Longest wait in ms (default 30 s). */
  readonly maxMs?: number;
  readonly log: Logger;
}

export const DEFAULT_STALL_MAX_MS = 30_000;

export class StorageStall {
  /** `waitMs` is the wait before the current try, `nextMs` the one after it fails again. */
  private current: {
    fault: StorageFault;
    since: Date;
    retries: number;
    waitMs: number;
    nextMs: number;
  } | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: StallOptions) {}

  get paused(): boolean {
    return this.current !== null;
  }

  get status(): StallStatus | null {
    const c = this.current;
    if (c === null) return null;
    const { kind, errno } = c.fault;
    return {
      reason: kind,
      errno,
      message: describeFault(c.fault),
      since: c.since.toISOString(),
      retries: c.retries,
      backoff_s: c.waitMs / 1000,
    };
  }

  /** A try failed with `fault`: waits before the next one (base, 2×, 4×, … up to max). */
  async backoff(fault: StorageFault): Promise<void> {
    const base = this.options.baseMs ?? 200;
    const max = this.options.maxMs ?? DEFAULT_STALL_MAX_MS;
    if (this.current === null) {
      this.current = { fault, since: new Date(), retries: 0, waitMs: base, nextMs: base };
      this.options.log.error(
        { reason: fault.kind, errno: fault.errno },
        `indexing paused: ${describeFault(fault)}`,
      );
    }
    const c = this.current;
    c.fault = fault;
    c.retries++;
    const delay = c.nextMs;
    c.waitMs = delay;
    c.nextMs = Math.min(delay * 2, max);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, delay);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** A try succeeded: the pause (if any) is over. */
  clear(): void {
    if (this.current === null) return;
    const { since, retries } = this.current;
    this.current = null;
    this.options.log.info({ paused_s: (Date.now() - since.getTime()) / 1000, retries }, 'indexing resumed');
  }

  /** Ends the current wait now (the pipeline is stopping). */
  interrupt(): void {
    this.wake?.();
  }
}
