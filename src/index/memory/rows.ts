/**
 * The rows of the in-memory index and what they cost. A row is rebuilt on the way in: values many
 * rows share (account, scope, owners, URI, session, role) are kept once, counted by the rows using
 * them and forgotten with the last; strings of its own (id, abstract, message id) are copied, so a
 * row never keeps alive the larger text it was sliced from (an abstract sliced from a 10 MiB file
 * held the whole file). The bytes all this holds are counted from the strings' lengths and the
 * objects' shapes, for the index's budget.
 */
import type { HitRow } from '../../policy/index.js';
import { ownBytes, ownCopy, type SharedStrings } from './shared.js';

export { MAP_ENTRY_BYTES, ownCopy, stringBytes } from './shared.js';

export type MemoryRow = HitRow;

/** Heap bytes of a row object (16 fields, two of them heap numbers), measured on Node 20 x64. */
const ROW_OBJECT_BYTES = 184;

const SHARED = [
  'account_id',
  'uri',
  'scope',
  'owner_user_id',
  'owner_agent_id',
  'context_type',
  'session_id',
  'role',
  'role_id',
] as const;

export class RowStore {
  private stringsBytes = 0;
  private count = 0;

  /** @param shared where values rows share are kept (the tree's keys and roots are kept there too) */
  constructor(private readonly shared: SharedStrings) {}

  /** Bytes held by the rows kept (objects and their own strings; the shared values are the store's). */
  get bytes(): number {
    return this.count * ROW_OBJECT_BYTES + this.stringsBytes;
  }

  /**
   * The row as the index keeps it (shared values the known copies; its own strings copied).
   * `batch` holds the copies made for rows prepared together (a file's chunks share a URI).
   */
  copy(row: MemoryRow, batch: Map<string, string>): MemoryRow {
    const known = (s: string): string => {
      let value = this.shared.find(s) ?? batch.get(s);
      if (value === undefined) batch.set(s, (value = ownCopy(s)));
      return value;
    };
    const knownOrNull = (s: string | null): string | null => (s === null ? null : known(s));
    return {
      id: ownCopy(row.id),
      account_id: known(row.account_id),
      uri: known(row.uri),
      scope: known(row.scope),
      owner_user_id: knownOrNull(row.owner_user_id),
      owner_agent_id: knownOrNull(row.owner_agent_id),
      context_type: known(row.context_type),
      level: row.level,
      chunk_index: row.chunk_index,
      abstract: ownCopy(row.abstract),
      session_id: knownOrNull(row.session_id),
      message_id: ownCopy(row.message_id),
      role: knownOrNull(row.role),
      role_id: knownOrNull(row.role_id),
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  /** Bytes a copied row adds, at most (a shared value not kept yet counted as new for each row). */
  cost(row: MemoryRow): number {
    let bytes = ROW_OBJECT_BYTES + ownBytes(row.id) + ownBytes(row.abstract) + ownBytes(row.message_id);
    for (const field of SHARED) {
      const value = row[field];
      if (value !== null) bytes += this.shared.cost(value);
    }
    return bytes;
  }

  /** Counts a copied row in (when it becomes visible), keeping its shared values. */
  hold(row: MemoryRow): void {
    this.count += 1;
    this.stringsBytes += ownBytes(row.id) + ownBytes(row.abstract) + ownBytes(row.message_id);
    for (const field of SHARED) {
      const value = row[field];
      if (value !== null) this.shared.hold(value);
    }
  }

  /** Counts a row out (when it is removed), forgetting shared values no other row uses. */
  release(row: MemoryRow): void {
    this.count -= 1;
    this.stringsBytes -= ownBytes(row.id) + ownBytes(row.abstract) + ownBytes(row.message_id);
    for (const field of SHARED) {
      const value = row[field];
      if (value !== null) this.shared.release(value);
    }
  }
}
