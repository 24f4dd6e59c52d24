/**
 * The catch-up reader of the index records (SPEC 14): keeps a process's cache of the records (the
 * in-memory index) at the last seq PostgreSQL committed. A notification on `records_changed` (LISTEN
 * on a dedicated connection, ./listen.ts, which reconnects after a loss) makes it read at once;
 * polling every `pollMs` is the safety net for notifications lost meanwhile. Changes are read in
 * pages of `batch` and handed to `apply` in seq order; a reader that fell behind purged tombstones
 * calls `reload` instead and goes on from the seq the reload reflects.
 */
import type { Logger } from '../../log.js';
import { listen } from './listen.js';
import type { Pool } from './pool.js';
import { RECORDS_CHANNEL, type PgRecords, type RecordChange } from './records.js';

/** Subscribes to notifications (kept alive across connection losses); resolves to its close. */
export type Subscribe = (onNotify: () => void) => Promise<() => Promise<void>>;

export interface CatchUpOptions {
  readonly records: PgRecords;
  /** The seq the cache reflects at start. */
  readonly from: number;
  readonly apply: (changes: readonly RecordChange[]) => void | Promise<void>;
  /** Reloads the cache from the table; resolves with the seq it reflects. */
  readonly reload: () => Promise<number>;
  /** LISTEN for promptness ({@link listenOn}); without it the reader polls only. */
  readonly subscribe?: Subscribe;
  /** Polling interval, ms (default 500). */
  readonly pollMs?: number;
  /** Changes per read (default 1000). */
  readonly batch?: number;
  readonly log?: Logger;
}

export class CatchUp {
  private current: number;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private stopped = true;
  private waiters: Array<{ seq: number; resolve: () => void }> = [];

  constructor(private readonly options: CatchUpOptions) {
    this.current = options.from;
  }

  /** The seq the cache reflects. */
  get seq(): number {
    return this.current;
  }

  /** Subscribes, catches up once and starts polling. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.subscribe();
    await this.poke();
    this.timer = setInterval(() => void this.poke(), this.options.pollMs ?? 500);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const close = this.unsubscribe;
    this.unsubscribe = null;
    await close?.().catch(() => undefined);
    await this.running;
  }

  /** Resolves once the cache reflects `seq` (a write this process made, to be searchable here). */
  waitFor(seq: number): Promise<void> {
    if (this.current >= seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Reads what is new; a poke while a read runs makes it read again when it ends. */
  poke(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.drain().catch((error: unknown) =>
          this.options.log?.warn({ err: error }, 'catching up with the index records failed; retrying'),
        );
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async drain(): Promise<void> {
    const batch = this.options.batch ?? 1000;
    for (;;) {
      const result = await this.options.records.changesSince(this.current, batch);
      if (result.kind === 'reset') {
        this.options.log?.warn({ seq: this.current, horizon: result.horizon }, 'cache behind purged deletes');
        const reloaded = await this.options.reload();
        // Not past the purge: reading on would only find the reset again (tried at the next poll).
        if (reloaded < result.horizon)
          throw new Error(`reload reached seq ${reloaded}, before ${result.horizon}`);
        this.advance(reloaded);
        continue;
      }
      if (result.changes.length > 0) await this.options.apply(result.changes);
      this.advance(result.last);
      if (result.changes.length < batch) return;
    }
  }

  private advance(seq: number): void {
    this.current = Math.max(this.current, seq);
    const ready = this.waiters.filter((w) => w.seq <= this.current);
    this.waiters = this.waiters.filter((w) => w.seq > this.current);
    for (const w of ready) w.resolve();
  }

  private async subscribe(): Promise<void> {
    const subscribe = this.options.subscribe;
    if (subscribe === undefined) return;
    try {
      this.unsubscribe = await subscribe(() => void this.poke());
    } catch (error) {
      this.options.log?.warn({ err: error }, 'cannot LISTEN for index record changes; polling');
    }
  }
}

/** LISTEN on `records_changed` over a dedicated connection made from the pool's settings. */
export function listenOn(pool: Pool, options: { log?: Logger; retryMs?: number } = {}): Subscribe {
  return (onNotify) => listen(pool, RECORDS_CHANNEL, () => onNotify(), options);
}
