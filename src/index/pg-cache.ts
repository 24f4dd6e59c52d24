/**
 * A process's in-memory index in distributed mode (SPEC 14): a {@link Mirror} derived from
 * PostgreSQL's index records, never the other way round. It loads from one snapshot and records the
 * seq that snapshot reflects, then {@link CatchUp} (LISTEN for promptness, polling as the safety net)
 * applies the changes after it in seq order; a `reset` (tombstones it needed were purged) reloads.
 * Writes of this process reach it the same way, from the table: a failed or partial write changes
 * nothing here, since only committed changes are ever read.
 *
 * Loading and each page of changes run in time slices (a 9.5 MiB file's 12.4k records do not hold
 * the event loop); a page is visible to searches all at once, and the seq advances only once it is.
 *
 * It answers a search only when it is ready and reflects at least {@link needed}: the last seq this
 * process wrote, or the head a {@link PgCache.caughtUp} call saw. Otherwise the search goes to
 * PostgreSQL (src/storage/pg/search.ts), so a write acknowledged here is never missing from a search
 * here, however far the cache lags.
 */
import { settlesWithin } from '../deadline.js';
import type { Logger } from '../log.js';
import type { IndexRecord } from '../policy/index.js';
import { CatchUp, type Subscribe } from '../storage/pg/catch-up.js';
import { inSnapshot, liveRecords, snapshotSeq } from '../storage/pg/record-reads.js';
import type { PgRecords, RecordChange } from '../storage/pg/records.js';
import type { SqlDatabase } from '../storage/pg/sql.js';
import type { SliceOptions } from '../time-slices.js';
import type { MemoryIndex } from './memory/index.js';
import { Mirror } from './mirror.js';

/** Records per page of the full load. */
const LOAD_PAGE = 1000;
/** How long {@link PgCache.caughtUp} waits for the cache before leaving searches to PostgreSQL. */
const CAUGHT_UP_WAIT_MS = 2000;
/**
 * How long a search waits for a ready cache that is behind what it needs (this process's own write,
 * a NOTIFY round away) before it scans PostgreSQL instead: a scan takes ~100 ms at a few thousand
 * records, and without the wait 5 % of searches under writes took it (docs/SCALING.md, Measured).
 */
const BEHIND_WAIT_MS = 50;

export interface PgCacheOptions {
  readonly db: SqlDatabase;
  readonly records: PgRecords;
  readonly dimension: number;
  /** Bytes the cache may use; 0: no cache, every search goes to PostgreSQL. */
  readonly budgetBytes: number;
  readonly threads: number;
  /** Where the cache's vector file is created (default: the temporary directory). */
  readonly vectorDir?: string;
  /** LISTEN on `records_changed` (catch-up.ts `listenOn`); without it the cache polls only. */
  readonly subscribe?: Subscribe;
  /** Polling interval, ms (default 500). */
  readonly pollMs?: number;
  /** How long after a failed load it is tried again, ms (default 5000). */
  readonly retryMs?: number;
  readonly log: Logger;
  /** How loading and applying changes yield the event loop (tests: every step, observed). */
  readonly slices?: SliceOptions;
}

export class PgCache {
  private readonly mirror: Mirror;
  private catchUp: CatchUp | null = null;
  /** The first load (whenLoaded), and the latest (a failed load is tried again). */
  private readonly loaded: Promise<void>;
  private loading: Promise<void>;
  private retry: NodeJS.Timeout | null = null;
  /** The seq a search needs the cache to reflect. */
  private needed = 0;
  private closed = false;

  constructor(private readonly options: PgCacheOptions) {
    const { dimension, budgetBytes, threads, vectorDir, log, slices } = options;
    this.mirror = new Mirror({
      dimension,
      budgetBytes,
      threads,
      ...(vectorDir === undefined ? {} : { vectorDir }),
      log,
      ...(slices === undefined ? {} : { slices }),
    });
    this.loaded = this.loading = this.begin();
  }

  /** Whether there is a cache at all (a memory budget). */
  private get enabled(): boolean {
    return this.options.budgetBytes > 0;
  }

  /** The index when it may answer a search (ready, and reflecting every change it must), else null. */
  usable(): MemoryIndex | null {
    const index = this.mirror.ready;
    return index !== null && (this.catchUp?.seq ?? -1) >= this.needed ? index : null;
  }

  /**
   * {@link usable}, after giving a ready cache that is behind up to `ms` to catch up (it was poked
   * when this process wrote); still null past that, and the search goes to PostgreSQL.
   */
  async usableSoon(ms = BEHIND_WAIT_MS): Promise<MemoryIndex | null> {
    const now = this.usable();
    const catchUp = this.catchUp;
    if (now !== null || catchUp === null || this.mirror.ready === null) return now;
    await settlesWithin(catchUp.waitFor(this.needed), ms);
    return this.usable();
  }

  /** Resolves once the first load has finished (the cache is ready, or gave up). */
  whenLoaded(): Promise<void> {
    return this.loaded;
  }

  /** After this process committed a write taking seqs up to `seq`: searches here must reflect it. */
  wrote(seq: number): void {
    if (!this.enabled || seq <= 0) return;
    this.needed = Math.max(this.needed, seq);
    void this.catchUp?.poke();
  }

  /**
   * Resolves once searches here reflect every change committed before the call: the cache has read
   * up to PostgreSQL's head, or (not ready, or still behind after a while) searches go to
   * PostgreSQL until it has.
   */
  async caughtUp(): Promise<void> {
    if (!this.enabled || this.closed) return;
    const head = await this.options.records.lastSeq();
    this.needed = Math.max(this.needed, head);
    const catchUp = this.catchUp;
    if (catchUp === null || this.mirror.ready === null) return;
    void catchUp.poke();
    await settlesWithin(catchUp.waitFor(head), CAUGHT_UP_WAIT_MS);
  }

  /** What status shows: the mirror's state and the seq it reflects. */
  describe(): Record<string, unknown> {
    return { ...this.mirror.describe(), reflects_seq: this.mirror.ready === null ? null : this.catchUp?.seq };
  }

  /** Stops catching up (and its LISTEN connection) and frees the cache. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
    await this.loading;
    await this.catchUp?.stop();
    await this.mirror.close();
  }

  /** The cache's index failed under a search (its vector file): searches go to PostgreSQL from now on. */
  failed(error: unknown): void {
    this.mirror.failedSearch(error);
    this.gaveUp();
  }

  private async begin(): Promise<void> {
    if (!this.enabled || this.closed) return;
    const from = await this.load().catch((error: unknown) => {
      this.mirror.giveUp('load failed', error);
      return null;
    });
    if (this.closed) return;
    if (from === null || this.mirror.state === 'off') return this.gaveUp();
    const { records, subscribe, pollMs, log } = this.options;
    this.catchUp = new CatchUp({
      records,
      from,
      apply: (changes) => this.apply(changes),
      reload: async () => {
        const seq = await this.load();
        if (this.mirror.state === 'off') this.gaveUp();
        return seq;
      },
      ...(subscribe === undefined ? {} : { subscribe }),
      ...(pollMs === undefined ? {} : { pollMs }),
      log,
    });
    await this.catchUp.start();
  }

  /** Fills the mirror from one snapshot; resolves with the seq it reflects. */
  private async load(): Promise<number> {
    this.mirror.starting();
    const seq = await inSnapshot(this.options.db, async (tx) => {
      const at = await snapshotSeq(tx);
      await this.mirror.loadRecords(liveRecords(tx, LOAD_PAGE));
      return at;
    });
    this.mirror.markReady();
    return seq;
  }

  /**
   * Applies a page of changes (in seq order) in time slices, all of it visible to searches at once
   * ({@link Mirror.apply}); the catch-up advances the seq once it resolves. The last change of an id
   * wins (PostgreSQL keeps one row per id, so a page holds an id once anyway).
   */
  private async apply(changes: readonly RecordChange[]): Promise<void> {
    if (this.mirror.state === 'off') return this.gaveUp();
    const last = new Map<string, RecordChange>();
    for (const change of changes) {
      const id = change.kind === 'upsert' ? change.record.id : change.id;
      last.delete(id);
      last.set(id, change);
    }
    const upserted: IndexRecord[] = [];
    const removed: string[] = [];
    for (const change of last.values()) {
      if (change.kind === 'upsert') upserted.push(change.record);
      else removed.push(change.id);
    }
    await this.mirror.apply(upserted, removed);
  }

  /**
   * The cache gave up; it stops reading changes and searches go to PostgreSQL. Over budget it stays
   * off; after a failed load (the database unreachable meanwhile) it is loaded again later.
   */
  private gaveUp(): void {
    const catchUp = this.catchUp;
    this.catchUp = null;
    void catchUp?.stop();
    if (this.closed || this.retry !== null || this.mirror.describe()['reason'] !== 'load failed') return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.loading = this.begin();
    }, this.options.retryMs ?? 5000);
    this.retry.unref();
  }
}
