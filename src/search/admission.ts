/**
 * Search admission control (issue 11): at most `maxInflight` searches run at once, at most `maxQueue`
 * more wait their turn in arrival order, and anything beyond that is refused at once with 503
 * `UNAVAILABLE` (`details.retry_after_s`, sent as `Retry-After`). Under overload callers learn to back
 * off instead of every search waiting longer and longer. The search service still limits its own
 * index queries; this bounds the requests in front of it. The queue is `p-queue`'s.
 */
import PQueue from 'p-queue';
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

const abandoned = (): AppError =>
  new AppError('UNAVAILABLE', 'the search was abandoned while waiting for a slot');

export class SearchAdmission {
  /** Runs `maxInflight` at once; first in, first out, so a newcomer cannot overtake the queue. */
  private readonly queue: PQueue;

  constructor(private readonly options: AdmissionOptions) {
    this.queue = new PQueue({ concurrency: options.maxInflight });
  }

  stats(): AdmissionStats {
    return { inflight: this.queue.pending, queued: this.queue.size };
  }

  /**
   * Runs `task` once a slot is free; the slot is released however the task ends. Throws 503
   * UNAVAILABLE without running it when the queue is full. An aborted `signal` (the client went away)
   * takes a waiting search out of the queue; a search already running is not interrupted.
   * @example await admission.run(() => service.search(ctx, request))
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const full = this.queue.pending >= this.options.maxInflight;
    if (full && this.queue.size >= this.options.maxQueue) {
      this.options.onReject?.();
      throw new AppError('UNAVAILABLE', 'too many searches in progress; retry shortly', {
        retry_after_s: RETRY_AFTER_S,
      });
    }
    if (full && signal?.aborted === true) throw abandoned();
    // p-queue's signal also cancels a running task: only the wait is tied to the caller's.
    const waiting = new AbortController();
    const giveUp = (): void => waiting.abort(abandoned());
    signal?.addEventListener('abort', giveUp, { once: true });
    try {
      return await this.queue.add(
        () => {
          signal?.removeEventListener('abort', giveUp);
          return task();
        },
        { signal: waiting.signal },
      );
    } finally {
      signal?.removeEventListener('abort', giveUp);
    }
  }
}
