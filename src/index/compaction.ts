/**
 * Compaction of the records table, off the write path: every `every` writes a run starts in the
 * background (small fragments merged, new rows folded into the scalar and full-text indexes, versions
 * older than a minute pruned); one run at a time.
 */
import type * as lancedb from '@lancedb/lancedb';
import type { Logger } from '../log.js';

export interface CompactorDeps {
  readonly table: () => lancedb.Table;
  /** Resolves when a run may start (a mirror load reads a pinned version that must not be pruned). */
  readonly ready: () => Promise<void>;
  /** Writes between runs. */
  readonly every: number;
  readonly log: Logger;
}

export class Compactor {
  private writes = 0;
  private maintenance: Promise<void> | null = null;

  constructor(private readonly deps: CompactorDeps) {}

  /**
   * Compacts small fragments, folds new rows into the scalar and full-text indexes (unindexed rows
   * are still searched, only slower) and prunes versions older than a minute. Waits for a background
   * run in progress instead of starting a second one.
   */
  optimize(): Promise<void> {
    if (this.maintenance !== null) return this.maintenance;
    this.writes = 0;
    this.maintenance = this.deps
      .ready()
      .then(() => this.deps.table().optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) }))
      .then(() => undefined)
      .finally(() => (this.maintenance = null));
    return this.maintenance;
  }

  /** Resolves when no background compaction is running. */
  async settled(): Promise<void> {
    await this.maintenance?.catch(() => undefined);
  }

  /** Counts a write; every `every` writes a compaction starts in the background. */
  wrote(): void {
    this.writes += 1;
    if (this.writes < this.deps.every || this.maintenance !== null) return;
    this.optimize().catch((error: unknown) =>
      this.deps.log.warn({ err: error }, 'index compaction failed; retried later'),
    );
  }
}
