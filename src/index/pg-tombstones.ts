/**
 * Purges the index records' tombstones on a timer (distributed mode). A tombstone is what tells a
 * cache behind it that a record is gone, so it may only go once no cache still needs it. The rule is
 * an age: every `everyMs` this process notes PostgreSQL's head seq, and purges the tombstones up to
 * the head it noted at least `ageMs` ago. A cache that has not caught up for that long (a process
 * paused, or cut off from the database) is then behind the horizon: `changesSince` answers `reset`
 * and it reloads (catch-up.ts). Every process may run it; purges are idempotent.
 */
import type { Logger } from '../log.js';
import type { PgRecords } from '../storage/pg/records.js';

export interface TombstoneOptions {
  /** How often to note the head and purge, ms (default one minute). */
  readonly everyMs?: number;
  /** How long a tombstone is kept at least, ms (default ten minutes). */
  readonly ageMs?: number;
}

export class TombstonePurger {
  private readonly seen: Array<{ readonly at: number; readonly seq: number }> = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private readonly ageMs: number;

  constructor(
    private readonly records: PgRecords,
    private readonly options: TombstoneOptions & { readonly log: Logger; readonly now?: () => number },
  ) {
    this.ageMs = options.ageMs ?? 10 * 60_000;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.tick().catch((error: unknown) =>
        this.options.log.warn({ err: error }, 'purging index tombstones failed; retried later'),
      );
    }, this.options.everyMs ?? 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Notes the head; purges up to the newest head noted at least `ageMs` ago. Resolves with how many went. */
  async tick(): Promise<number> {
    const now = (this.options.now ?? Date.now)();
    this.seen.push({ at: now, seq: await this.records.lastSeq() });
    let upTo: number | null = null;
    while (this.seen[0] !== undefined && this.seen[0].at <= now - this.ageMs) {
      upTo = this.seen[0].seq;
      this.seen.shift();
    }
    return upTo === null || upTo === 0 ? 0 : this.records.purgeTombstones(upTo);
  }
}
