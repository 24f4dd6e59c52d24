/**
 * The indexing pipeline's settings (the sync's dependencies plus batching, retries and the lag bound)
 * and the status it reports.
 */
import type { IndexJournal } from './journal.js';
import type { RebuildStatus } from './rebuild.js';
import type { StallStatus } from './stall.js';
import type { SyncDeps } from './sync.js';

/** What the worker needs to sync the index (SyncDeps) plus the queue's batching and retry settings. */
export interface PipelineOptions extends SyncDeps {
  /** DATA_DIR: where the job queue (the journal) is kept. */
  readonly dataDir: string;
  /** Jobs per batch (default 512): a backlog drains in few index writes. */
  readonly batchSize?: number;
  /** Attempts per batch and per single job before giving up (default 3). */
  readonly maxAttempts?: number;
  /** Base delay between attempts in ms (default 200, multiplied by the attempt number). */
  readonly retryDelayMs?: number;
  /** MAX_INDEX_LAG_S: writes are refused while the index lag would exceed it (default 5). */
  readonly maxLagS?: number;
  /** Longest wait between tries while a storage fault pauses indexing, in ms (default 30 s). */
  readonly maxStallMs?: number;
  /**
   * The job journal (default: the file queue of `{DATA_DIR}/index/`, opened at start). A shared one
   * (`PgJournal`) lets other processes append and apply jobs; stop closes it.
   */
  readonly journal?: IndexJournal | undefined;
  /** Whether this process applies jobs (default true; `ROLE=api`: false, it appends and waits). */
  readonly worker?: boolean;
  /**
   * Runs once a wait's jobs are applied, by whichever process, before `waitFor` resolves: this
   * process's index catching up with what was written (a no-op where it writes the index itself).
   */
  readonly afterApplied?: () => Promise<void>;
  /** How often the journal is asked about jobs of other processes, in ms (default 200). */
  readonly pollMs?: number;
}

export interface PipelineStatus {
  readonly queue_depth: number;
  /** Age in seconds of the oldest job not yet applied (0 when the queue is empty). */
  readonly index_lag_s: number;
  /** Jobs per second over the last batches (null before the first batch). */
  readonly drain_rate: number | null;
  readonly records: number;
  readonly embedder: { readonly id: string; readonly dimension: number };
  readonly failed_jobs: number;
  /** Set while a storage fault (disk full, read-only) pauses indexing. */
  readonly indexing_paused: StallStatus | null;
  /** Present while a rebuild is in progress. */
  readonly rebuild?: RebuildStatus;
}

export const DEFAULT_BATCH_SIZE = 512;
export const DEFAULT_MAX_LAG_S = 5;
export const DEFAULT_POLL_MS = 200;
