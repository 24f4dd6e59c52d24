/**
 * The journal's backlog as last read, for the checks that run on every write (the MAX_INDEX_LAG_S
 * refusal) and must not ask PostgreSQL each time: refreshed after this worker acknowledges a batch,
 * whenever status is read, and when a reader finds it older than {@link FRESH_MS}; this process's
 * own appends are counted as they happen. The lag itself
 * is computed at the moment of the check from the oldest job's append time.
 */
import type { Backlog } from './journal.js';

/** Older than this, a read of the figures refreshes them (for the next read). */
export const FRESH_MS = 250;

export const EMPTY_BACKLOG: Backlog = { depth: 0, oldestAt: null };

export class BacklogCache {
  private current: Backlog = EMPTY_BACKLOG;
  private readAt = 0;
  private reading: Promise<Backlog> | null = null;
  private queued: Promise<Backlog> | null = null;

  /** `read` answers undefined while there is no journal (nothing waits then). */
  constructor(private readonly read: () => Promise<Backlog> | undefined) {}

  /** The figures as last read; starts a refresh when they are stale. */
  get value(): Backlog {
    if (Date.now() - this.readAt > FRESH_MS) void this.refresh().catch(() => undefined);
    return this.current;
  }

  /** The figures read after this call (one read follows the one running, for every caller meanwhile). */
  refresh(): Promise<Backlog> {
    if (this.reading === null) return this.start();
    this.queued ??= this.reading
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<Backlog> {
    const reading = (this.read() ?? Promise.resolve(EMPTY_BACKLOG))
      .then((backlog) => {
        this.current = backlog;
        this.readAt = Date.now();
        return backlog;
      })
      .finally(() => {
        if (this.reading === reading) this.reading = null;
      });
    this.reading = reading;
    return reading;
  }

  /** This process appended a job at `at` (counted at once, without reading the journal). */
  appended(at: number): void {
    this.current = { depth: this.current.depth + 1, oldestAt: this.current.oldestAt ?? at };
  }

  /** Nothing waits (the pipeline stopped). */
  clear(): void {
    this.current = EMPTY_BACKLOG;
    this.readAt = 0;
  }
}
