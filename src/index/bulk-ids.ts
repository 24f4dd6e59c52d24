/**
 * What a bulk load knows about ids: those the table held when it began (as the table itself said,
 * read from it, never from the mirror) and those the load wrote since. An id in neither is absent from
 * the table, so its record can be appended instead of merged (a merge reads the id index, an append
 * does not); a false "may hold" only makes a write merge, which is always correct.
 */
import type * as lancedb from '@lancedb/lancedb';
import { IdHashSet } from './id-set.js';
import { readIds } from './table-reads.js';

export class BulkIds {
  private readonly written = new IdHashSet();

  private constructor(private readonly held: IdHashSet) {}

  /** The ids `table` holds now (an empty table has none to read). */
  static async of(table: lancedb.Table): Promise<BulkIds> {
    return new BulkIds((await table.countRows()) === 0 ? new IdHashSet() : await readIds(table));
  }

  /** Whether the table certainly lacks `id`; then records it as written (it is about to be). */
  claim(id: string): boolean {
    const absent = !this.written.mayHold(id) && !this.held.mayHold(id);
    this.written.add(id);
    return absent;
  }
}
