/**
 * The rows of the in-memory index and what they cost. A row is rebuilt on the way in: values many
 * rows share (account, scope, owners, URI, session, role) are kept once, counted by the rows using
 * them and forgotten with the last; strings of its own (id, abstract, message id) are copied, so a
 * row never keeps alive the larger text it was sliced from (an abstract sliced from a 10 MiB file
 * held the whole file). The bytes all this holds are counted from the strings' lengths and the
 * objects' shapes, for the index's budget.
 */
import type { HitRow } from '../../policy/index.js';

export type MemoryRow = HitRow;

/** Heap bytes of a row object (16 fields, two of them heap numbers), measured on Node 20 x64. */
const ROW_OBJECT_BYTES = 184;
/** Heap bytes of a Map entry (key, value, chain, and the hash table's share), measured. */
export const MAP_ENTRY_BYTES = 40;
/** A shared value's map entry and its { value, refs } record. */
const SHARED_ENTRY_BYTES = MAP_ENTRY_BYTES + 32;
/** V8 makes no sliced string shorter than this: shorter ones are copies already. */
const SLICE_MIN = 13;
/** A character V8 cannot store in a one-byte string. */
const WIDE = /[\u0100-\uffff]/;

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

/** Heap bytes of a string: header, then one byte a character (ASCII) or two. */
export function stringBytes(s: string | null): number {
  if (s === null) return 0;
  return 16 + Math.ceil((s.length * (WIDE.test(s) ? 2 : 1)) / 8) * 8;
}

/**
 * A string with storage of its own (a slice of a larger string keeps that string alive). Slicing a
 * concatenation makes V8 flatten it into a fresh string first: the result refers to that copy only.
 */
export function ownCopy<T extends string | null>(s: T): T {
  if (s === null || s.length < SLICE_MIN) return s;
  return `${s} `.slice(0, -1) as T;
}

export class RowStore {
  private readonly shared = new Map<string, { readonly value: string; refs: number }>();
  private sharedBytes = 0;
  private ownBytes = 0;
  private count = 0;

  /** Bytes held by the rows kept (objects, their strings, the shared values and their map). */
  get bytes(): number {
    return this.count * ROW_OBJECT_BYTES + this.ownBytes + this.sharedBytes;
  }

  /**
   * The row as the index keeps it (shared values the known copies; its own strings copied).
   * `batch` holds the copies made for rows prepared together (a file's chunks share a URI).
   */
  copy(row: MemoryRow, batch: Map<string, string>): MemoryRow {
    const known = (s: string | null): string | null => {
      if (s === null) return null;
      let value = this.shared.get(s)?.value ?? batch.get(s);
      if (value === undefined) batch.set(s, (value = ownCopy(s)));
      return value;
    };
    return {
      id: ownCopy(row.id),
      account_id: known(row.account_id) as string,
      uri: known(row.uri) as string,
      scope: known(row.scope) as string,
      owner_user_id: known(row.owner_user_id),
      owner_agent_id: known(row.owner_agent_id),
      context_type: known(row.context_type) as string,
      level: row.level,
      chunk_index: row.chunk_index,
      abstract: ownCopy(row.abstract),
      session_id: known(row.session_id),
      message_id: ownCopy(row.message_id),
      role: known(row.role),
      role_id: known(row.role_id),
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  /** Bytes a copied row adds, at most (a shared value not kept yet counted as new for each row). */
  cost(row: MemoryRow): number {
    let bytes =
      ROW_OBJECT_BYTES + stringBytes(row.id) + stringBytes(row.abstract) + stringBytes(row.message_id);
    for (const field of SHARED) {
      const value = row[field];
      if (value !== null && !this.shared.has(value)) bytes += stringBytes(value) + SHARED_ENTRY_BYTES;
    }
    return bytes;
  }

  /** Counts a copied row in (when it becomes visible), keeping its shared values. */
  hold(row: MemoryRow): void {
    this.count += 1;
    this.ownBytes += stringBytes(row.id) + stringBytes(row.abstract) + stringBytes(row.message_id);
    for (const field of SHARED) {
      const value = row[field];
      if (value === null) continue;
      const entry = this.shared.get(value);
      if (entry !== undefined) entry.refs += 1;
      else {
        this.shared.set(value, { value, refs: 1 });
        this.sharedBytes += stringBytes(value) + SHARED_ENTRY_BYTES;
      }
    }
  }

  /** Counts a row out (when it is removed), forgetting shared values no other row uses. */
  release(row: MemoryRow): void {
    this.count -= 1;
    this.ownBytes -= stringBytes(row.id) + stringBytes(row.abstract) + stringBytes(row.message_id);
    for (const field of SHARED) {
      const value = row[field];
      if (value === null) continue;
      const entry = this.shared.get(value);
      if (entry === undefined || --entry.refs > 0) continue;
      this.shared.delete(value);
      this.sharedBytes -= stringBytes(value) + SHARED_ENTRY_BYTES;
    }
  }
}
