/**
 * The fence an account purge puts up (IndexStore.purgeAccount): an indexing batch takes the mark
 * before it reads anything, and its records of an account purged after that mark are not written —
 * they may be the earlier account's, read before it was deleted, and would come back for the next
 * account of the same id. A file the new account writes is indexed by its own, later job.
 */
import type { IndexRecord } from '../policy/index.js';

export class PurgeFence {
  private count = 0;
  /** The purge number of each purged account (a few ids, only ever deleted accounts). */
  private readonly purged = new Map<string, number>();

  /** The purge count now, taken by a batch before it reads its sources. */
  mark(): number {
    return this.count;
  }

  /** Records a purge of `account_id` (under the store's write lock, before its records are deleted). */
  purge(account_id: string): void {
    this.count += 1;
    this.purged.set(account_id, this.count);
  }

  /** The records not of an account purged after `readSince` (all of them when it is undefined). */
  admit(records: readonly IndexRecord[], readSince: number | undefined): readonly IndexRecord[] {
    if (readSince === undefined || readSince >= this.count) return records;
    return records.filter((r) => (this.purged.get(r.account_id) ?? 0) <= readSince);
  }
}
