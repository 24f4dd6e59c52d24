/**
 * Index lag and write backpressure (SPEC 9.3). The lag is the age of the oldest pending job; the
 * drain rate is measured over the last batches the worker finished. A write is refused while the lag
 * exceeds its bound, or while a job enqueued now would wait longer than the bound at the current rate.
 */
import { AppError } from '../errors.js';
import type { StallStatus } from './stall.js';

/** Batches the drain rate is measured over. */
const RATE_WINDOW = 16;
/** Longest Retry-After a refusal asks for. */
const MAX_RETRY_AFTER_S = 60;

export interface QueueState {
  readonly depth: number;
  /** When the oldest pending job was enqueued (ms since the epoch), or null if none is pending. */
  readonly oldestAt: number | null;
}

export class LagMeter {
  private readonly samples: { jobs: number; ms: number }[] = [];

  constructor(
    /** MAX_INDEX_LAG_S. */
    readonly maxLagS: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A batch of `jobs` finished in `ms` milliseconds. */
  record(jobs: number, ms: number): void {
    this.samples.push({ jobs, ms: Math.max(ms, 1) });
    if (this.samples.length > RATE_WINDOW) this.samples.shift();
  }

  /** Jobs per second over the last batches, or null before the first one. */
  drainRate(): number | null {
    if (this.samples.length === 0) return null;
    const jobs = this.samples.reduce((sum, s) => sum + s.jobs, 0);
    const ms = this.samples.reduce((sum, s) => sum + s.ms, 0);
    return (jobs * 1000) / ms;
  }

  /** Age of the oldest pending job in seconds (0 when nothing is pending). */
  lagS(state: QueueState): number {
    return state.oldestAt === null ? 0 : Math.max(0, (this.now() - state.oldestAt) / 1000);
  }

  /**
   * Null if a write may enqueue now, else the seconds to wait before trying again (an integer ≥ 1):
   * the time until the backlog fits the bound at the current rate.
   */
  retryAfterS(state: QueueState): number | null {
    if (state.depth === 0) return null;
    const rate = this.drainRate();
    const eta = rate === null ? null : state.depth / rate;
    if (this.lagS(state) <= this.maxLagS && (eta === null || eta <= this.maxLagS)) return null;
    const excess = eta === null ? 1 : eta - this.maxLagS;
    return Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(excess)));
  }

  /**
   * RESOURCE_EXHAUSTED (429 with Retry-After) while the lag is over its bound, naming the storage
   * fault if one pauses indexing; null while a write may go on.
   */
  refusal(state: QueueState, account_id: string, paused: StallStatus | null): AppError | null {
    const retry_after_s = this.retryAfterS(state);
    if (retry_after_s === null) return null;
    const why = paused === null ? '' : ` (indexing is paused: ${paused.message})`;
    return new AppError('RESOURCE_EXHAUSTED', `the indexer is behind; retry later${why}`, {
      account_id,
      retry_after_s,
      max_index_lag_s: this.maxLagS,
      ...(paused === null ? {} : { indexing_paused: paused.reason }),
    });
  }
}
