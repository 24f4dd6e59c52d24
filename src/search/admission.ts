/**
 * Search admission control (issue 11): at most `maxInflight` searches run at once, at most `maxQueue`
 * more wait their turn in arrival order, and anything beyond that is refused at once with 503
 * `UNAVAILABLE` (`details.retry_after_s`, sent as `Retry-After`). Under overload callers learn to back
 * off instead of every search waiting longer and longer. The search service still limits its own
 * index queries; this bounds the requests in front of it.
 */
import { AppError } from '../errors.js';

export interface AdmissionOptions {
  /** Searches running at once (≥ 1). */
  readonly maxInflight: number;
  /** Searches waiting for a slot (≥ 0); more are refused. */
  readonly maxQueue: number;
  /** Told about every refused search (metrics). */
  readonly onReject?: () => void;
}

export interface AdmissionStats {
  readonly inflight: number;
  readonly queued: number;
}

/** Seconds a refused caller is told to wait before retrying. */
export const RETRY_AFTER_S = 1;

interface Waiter {
  readonly start: () => void;
  readonly cancel: (reason: unknown) => void;
}

const abandoned = (): AppError =>
  new AppError('UNAVAILABLE', 'the search was abandoned while waiting for a slot');

export class SearchAdmission {
  private inflight = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly options: AdmissionOptions) {}

  stats(): AdmissionStats {
    return { inflight: this.inflight, queued: this.waiting.length };
  }

  /**
   * Runs `task` once a slot is free; the slot is released however the task ends. Throws 503
   * UNAVAILABLE without running it when the queue is full. An aborted `signal` (the client went away)
   * takes a waiting search out of the queue.
   * @example await admission.run(() => service.search(ctx, request))
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    if (this.inflight < this.options.maxInflight) {
      this.inflight += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.maxQueue) {
      this.options.onReject?.();
      return Promise.reject(
        new AppError('UNAVAILABLE', 'too many searches in progress; retry shortly', {
          retry_after_s: RETRY_AFTER_S,
        }),
      );
    }
    if (signal?.aborted === true) return Promise.reject(abandoned());
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        waiter.cancel(abandoned());
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        cancel: reject,
      };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands the slot straight to the next waiter, so a newcomer cannot overtake the queue. */
  private release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.inflight -= 1;
    else next.start();
  }
}
