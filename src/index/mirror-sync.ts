/**
 * Keeps the in-memory mirror derived from the records table, never the other way round: it loads the
 * mirror from a pinned table version while writes go on (to LanceDB alone), records what is written
 * meanwhile, and catches the mirror up from the table before it answers searches; after a failed or
 * ambiguous write it re-reads the affected ids from the table, and reloads the mirror if even that
 * fails. Methods marked "under the write lock" are called by the store holding it.
 */
import { existsSync } from 'node:fs';
import type * as lancedb from '@lancedb/lancedb';
import type { Logger } from '../log.js';
import type { Expr } from '../policy/index.js';
import type { Mirror } from './mirror.js';
import { MIRROR_COLUMNS, readRows } from './table-reads.js';

export interface MirrorSyncDeps {
  readonly mirror: Mirror;
  /** Whether the mirror is on at all (a memory budget). */
  readonly enabled: boolean;
  /** The store's current table. */
  readonly table: () => lancedb.Table;
  /** A second handle on the table, checked out at `version` (closed by the caller). */
  readonly pinned: (version: number) => Promise<lancedb.Table>;
  /** Runs `fn` under the store's write lock. */
  readonly locked: <T>(fn: () => Promise<T>) => Promise<T>;
  readonly log: Logger;
  /** Where the mirror's snapshot is kept between runs, and what it must match besides the version. */
  readonly snapshot?: { readonly dir: string; readonly key: string };
}

export class MirrorSync {
  private loading: Promise<void> = Promise.resolve();
  /** While the mirror loads: ids written and delete filters applied since its pinned version. */
  private missed: { readonly ids: Set<string>; readonly deletes: Expr[] } | null = null;
  /** The table version the mirror last agreed with. */
  private version: number | null = null;

  constructor(private readonly deps: MirrorSyncDeps) {}

  /** The table version the mirror reflects; null while it does not answer (loading, set aside, off). */
  get reflects(): number | null {
    return this.deps.mirror.ready === null ? null : this.version;
  }

  /** Under the write lock, after the mirror took in a write: it reflects the table's version now. */
  async caughtUp(): Promise<void> {
    if (this.deps.mirror.ready !== null) this.version = await this.deps.table().version();
  }

  /** Resolves once the load in progress (if any) has finished: the mirror is ready, or gave up. */
  whenLoaded(): Promise<void> {
    return this.loading;
  }

  /**
   * Starts loading the mirror in the background (after a load in progress); searches use LanceDB until
   * it has loaded and caught up. Not to be awaited under the write lock.
   */
  start(): Promise<void> {
    this.loading = this.loading.then(() => this.load());
    return this.loading;
  }

  private load(): Promise<void> {
    if (!this.deps.enabled || !this.deps.mirror.starting()) return Promise.resolve();
    return this.fill().catch((error: unknown) => {
      this.missed = null;
      this.deps.mirror.giveUp('load failed', error);
    });
  }

  /**
   * Loads the mirror from the table version current when it starts, then catches it up under the
   * write lock. The version is read under the lock, so every later write is recorded in `missed`.
   */
  private async fill(): Promise<void> {
    const version = await this.deps.locked(() => {
      this.missed = { ids: new Set(), deletes: [] };
      return this.deps.table().version();
    });
    if (await this.restored(version)) {
      await this.deps.locked(() => this.catchUp());
      return;
    }
    const pinned = await this.deps.pinned(version);
    try {
      await this.deps.mirror.load(pinned.query().select(MIRROR_COLUMNS));
    } finally {
      pinned.close();
    }
    await this.deps.locked(() => this.catchUp());
  }

  /** Restores the mirror from its snapshot if there is one of exactly `version` (true when it did). */
  private async restored(version: number): Promise<boolean> {
    const snapshot = this.deps.snapshot;
    if (snapshot === undefined || !existsSync(snapshot.dir)) return false;
    return this.deps.mirror.restore(snapshot.dir, { key: snapshot.key, version });
  }

  /**
   * Under the write lock (at graceful shutdown): writes the mirror's snapshot when it is ready and
   * reflects the table's current version; a later start restores it instead of loading the table.
   * Abandoned when it is not written by `deadline` (epoch milliseconds).
   */
  async saveSnapshot(deadline: number): Promise<void> {
    const snapshot = this.deps.snapshot;
    const reflects = this.reflects;
    if (snapshot === undefined || reflects === null) return;
    if (reflects !== (await this.deps.table().version())) return;
    await this.deps.mirror.snapshot(snapshot.dir, { key: snapshot.key, version: reflects }, deadline);
  }

  /** Under the write lock: re-reads from the table every record written since the load's version. */
  private async catchUp(): Promise<void> {
    const missed = this.missed;
    this.missed = null;
    const index = this.deps.mirror.loaded;
    if (index === null || missed === null) return;
    const ids = new Set(missed.ids);
    for (const expr of missed.deletes) for (const id of index.matchIds(expr)) ids.add(id);
    this.deps.mirror.patch(index, ids, await readRows(this.deps.table(), ids));
    this.version = await this.deps.table().version();
    this.deps.mirror.markReady();
  }

  /** Under the write lock, before a write of these ids: recorded while the mirror loads. */
  writing(ids: Iterable<string>): void {
    const missed = this.missed;
    if (missed !== null) for (const id of ids) missed.ids.add(id);
  }

  /** Under the write lock, before a delete: recorded while the mirror loads. */
  deleting(expr: Expr): void {
    this.missed?.deletes.push(expr);
  }

  /**
   * Under the write lock, after a failed write: the mirror re-reads `ids` from the table (the write
   * may have landed in part, or whole). If even that fails it stops answering and is loaded again.
   */
  async repair(ids: readonly string[]): Promise<void> {
    const { mirror, log } = this.deps;
    const index = mirror.ready;
    if (index === null) return;
    try {
      mirror.patch(index, ids, await readRows(this.deps.table(), ids));
      await this.caughtUp();
    } catch (error) {
      log.warn({ err: error }, 'mirror repair failed; reloading it from the table');
      mirror.defer();
      void this.start();
    }
  }

  /** Under the write lock: the table was replaced by an empty one; so is the mirror. */
  async emptied(): Promise<void> {
    this.missed = null;
    await this.deps.mirror.load(this.deps.table().query().select(MIRROR_COLUMNS));
    this.version = await this.deps.table().version();
    this.deps.mirror.markReady();
  }
}
