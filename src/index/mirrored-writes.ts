/**
 * The store's writes, table first and mirror second, called under the store's write lock. A write is
 * refused while the table is gone ({@link LanceTable.assertPresent}); records reach the mirror in two
 * phases — prepared while LanceDB writes them, shown once LanceDB accepted them — so a search never
 * finds a record the table does not hold; after a failed write or delete the mirror re-reads the
 * affected ids from the table ({@link MirrorSync.repair}).
 */
import type { Expr, IndexRecord } from '../policy/index.js';
import type { BulkLoad } from './bulk-load.js';
import type { LanceTable } from './lance-table.js';
import type { Mirror } from './mirror.js';
import type { MirrorSync } from './mirror-sync.js';
import type { UpsertHooks } from './record-index.js';
import type { WritePath } from './table-write.js';

export interface MirroredWritesDeps {
  readonly table: LanceTable;
  readonly mirror: Mirror;
  readonly sync: MirrorSync;
  readonly bulk: BulkLoad;
  /** How writes reach the table (`IndexStore.writePath`). */
  readonly path: () => WritePath;
}

export class MirroredWrites {
  constructor(private readonly deps: MirroredWritesDeps) {}

  /**
   * Under the write lock: inserts or replaces records (one per id) by id, in the table then the
   * mirror. `hooks.copied` runs once the table's files are built and the mirror has prepared (or
   * failed to): nothing reads the records' vectors after it.
   */
  async upsert(records: readonly IndexRecord[], hooks: UpsertHooks = {}): Promise<void> {
    const { table, mirror, sync } = this.deps;
    await table.assertPresent();
    sync.writing(records.map((r) => r.id));
    let settled = (): void => undefined;
    const prepared = new Promise<void>((resolve) => (settled = resolve));
    const { copied } = hooks;
    const built = copied === undefined ? undefined : () => prepared.then(copied);
    const written = this.write(records, built);
    // Handled here so a failure while the mirror prepares is not reported as unhandled.
    void written.catch(() => undefined);
    const staged = await mirror.prepare(records).finally(settled);
    try {
      await written;
    } catch (error) {
      mirror.discard(staged);
      await sync.repair(records.map((r) => r.id));
      throw error;
    }
    await mirror.commit(staged);
    await sync.caughtUp();
  }

  /**
   * Under the write lock: deletes in the table, then in the mirror (patched from the table on
   * failure). Whether the table held any matching record.
   */
  async delete(expr: Expr): Promise<boolean> {
    const { table, mirror, sync } = this.deps;
    await table.assertPresent();
    sync.deleting(expr);
    const ids = mirror.ready?.matchIds(expr) ?? [];
    // LanceDB commits a version even for a delete that matches nothing (every batch's stale-chunk
    // delete): the table, not the mirror, says whether there is anything to delete.
    const held = (await table.countRows(expr)) > 0;
    if (held) {
      try {
        await table.delete(expr);
      } catch (error) {
        await sync.repair(ids);
        throw error;
      }
    }
    mirror.remove(ids);
    if (held) await sync.caughtUp();
    return held;
  }

  /**
   * Writes records to the table (table-write.ts: append the ids it says it lacks, merge the rest).
   * The mirror only hints which ids to merge without asking: a merge is right either way.
   */
  private async write(records: readonly IndexRecord[], built?: () => Promise<void>): Promise<void> {
    const memory = this.deps.mirror.ready;
    await this.deps.table.write(records, {
      bulk: this.deps.bulk.current,
      path: this.deps.path(),
      likelyHeld: (id) => memory?.has(id) === true,
      ...(built === undefined ? {} : { built }),
    });
  }
}
