/**
 * The store's bulk-load mode: while a load runs the mirror is set aside, so a write is LanceDB's
 * alone and searches use LanceDB's exact scan (they find every record written), and the ids the table
 * held when it began are known ({@link BulkIds}), so records of other ids are appended instead of
 * merged. When the load settles the mirror is rebuilt from the table in the background, as at open.
 */
import type * as lancedb from '@lancedb/lancedb';
import { BulkIds } from './bulk-ids.js';
import type { Mirror } from './mirror.js';
import type { MirrorSync } from './mirror-sync.js';

export interface BulkLoadDeps {
  readonly mirror: Mirror;
  readonly sync: MirrorSync;
  /** The store's current table. */
  readonly table: () => lancedb.Table;
  /** Runs `fn` under the store's write lock. */
  readonly locked: <T>(fn: () => Promise<T>) => Promise<T>;
}

export class BulkLoad {
  private ids: BulkIds | null = null;

  constructor(private readonly deps: BulkLoadDeps) {}

  /** While a load runs (read under the write lock): the ids the table held when it began, and those written. */
  get current(): BulkIds | null {
    return this.ids;
  }

  /** Runs `load` in bulk-load mode (one load at a time); see the module header. */
  async run<T>(load: () => Promise<T>): Promise<T> {
    const { mirror, sync, locked } = this.deps;
    await sync.whenLoaded();
    await locked(async () => {
      if (this.ids !== null) throw new Error('a bulk load is already running');
      mirror.defer();
      this.ids = await BulkIds.of(this.deps.table());
    });
    try {
      return await load();
    } finally {
      await locked(() => {
        this.ids = null;
        return Promise.resolve();
      });
      if (mirror.state === 'deferred') void sync.start();
    }
  }
}
