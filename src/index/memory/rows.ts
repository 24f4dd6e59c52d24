/**
 * The rows of the in-memory index, as columns by slot rather than an object a row: a million rows
 * are a handful of typed arrays and text chunks for the garbage collector, not a million objects
 * with three strings each, and a row costs ~100 bytes besides its own text. Values many rows share
 * (account, URI, scope, owners, type, session, role) are ids into the shared strings (counted by the
 * rows using them, forgotten with the last); numbers are typed-array entries; the strings a row has
 * of its own (id, abstract, message id) are UTF-8 in pooled chunks (texts.ts). A row is made an
 * object again only on demand: for a hit ({@link RowStore.row}), or as the filter fields of a row a
 * group cannot decide ({@link RowStore.fields}, one object reused).
 */
import type { HitRow } from '../../policy/index.js';
import type { GroupedFields } from './groups.js';
import { grow } from './pool.js';
import type { SharedStrings } from './shared.js';
import { TextColumns } from './texts.js';

export { MAP_ENTRY_BYTES, ownCopy, stringBytes } from './shared.js';

export type MemoryRow = HitRow;

/** The fields kept as shared-value ids, in their column order. */
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
const [ACCOUNT, URI, SCOPE, OWNER_USER, OWNER_AGENT, CONTEXT_TYPE, SESSION, ROLE, ROLE_ID] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8,
] as const;
const S = SHARED.length;
/** A shared-value column's null. */
const NULL = -1;
/** Bytes a slot takes in the fixed-width columns (shared ids, level and chunk index, two times). */
const SLOT_BYTES = S * 4 + 2 * 4 + 2 * 8;

/** The filter fields of a row, written afresh for each row evaluated (never kept by a caller). */
type MutableFields = { -readonly [K in keyof GroupedFields]: GroupedFields[K] };

export class RowStore {
  /** Per slot: the shared-value ids, `S` a slot (NULL for null). */
  private refs: Int32Array = new Int32Array(S * 1024).fill(NULL);
  /** Per slot: level, chunk index. */
  private ints: Int32Array = new Int32Array(2 * 1024);
  /** Per slot: created_at, updated_at. */
  private times: Float64Array = new Float64Array(2 * 1024);
  private readonly texts = new TextColumns();
  private readonly scratch: MutableFields = {
    account_id: '',
    uri: '',
    scope: '',
    owner_user_id: null,
    owner_agent_id: null,
    context_type: '',
    level: 0,
    chunk_index: 0,
    created_at: 0,
    updated_at: 0,
  };

  /** @param shared where values rows share are kept (the tree's keys and roots are kept there too) */
  constructor(private readonly shared: SharedStrings) {}

  /** Bytes of the columns and the text chunks (the shared values are counted by their store). */
  get bytes(): number {
    return this.refs.byteLength + this.ints.byteLength + this.times.byteLength + this.texts.bytes;
  }

  /** Bytes storing a row adds, at most (its columns twice: they grow by doubling). */
  cost(row: MemoryRow): number {
    let bytes = 2 * SLOT_BYTES + TextColumns.cost([row.id, row.abstract, row.message_id]);
    for (const field of SHARED) {
      const value = row[field];
      if (value !== null) bytes += this.shared.cost(value);
    }
    return bytes;
  }

  /** Stores `row` in `slot` (which holds none), taking references to its shared values. */
  put(slot: number, row: MemoryRow): void {
    if ((slot + 1) * S > this.refs.length) this.widen(slot + 1);
    const base = slot * S;
    for (let f = 0; f < S; f++) {
      const value = row[SHARED[f] as (typeof SHARED)[number]];
      this.refs[base + f] = value === null ? NULL : this.shared.hold(value);
    }
    this.ints[2 * slot] = row.level;
    this.ints[2 * slot + 1] = row.chunk_index;
    this.times[2 * slot] = row.created_at;
    this.times[2 * slot + 1] = row.updated_at;
    this.texts.set(slot, [row.id, row.abstract, row.message_id]);
  }

  /** Empties `slot`, giving back its references and its text's space. */
  clear(slot: number): void {
    const base = slot * S;
    for (let f = 0; f < S; f++) {
      const id = this.refs[base + f] as number;
      if (id !== NULL) this.shared.releaseId(id);
      this.refs[base + f] = NULL;
    }
    this.texts.clear(slot);
  }

  /** The row in `slot`, made an object (a hit's). */
  row(slot: number): MemoryRow {
    const ints = 2 * slot;
    return {
      id: this.texts.get(slot, 0),
      account_id: this.value(slot, ACCOUNT),
      uri: this.value(slot, URI),
      scope: this.value(slot, SCOPE),
      owner_user_id: this.valueOrNull(slot, OWNER_USER),
      owner_agent_id: this.valueOrNull(slot, OWNER_AGENT),
      context_type: this.value(slot, CONTEXT_TYPE),
      level: this.ints[ints] as number,
      chunk_index: this.ints[ints + 1] as number,
      abstract: this.texts.get(slot, 1),
      session_id: this.valueOrNull(slot, SESSION),
      message_id: this.texts.get(slot, 2),
      role: this.valueOrNull(slot, ROLE),
      role_id: this.valueOrNull(slot, ROLE_ID),
      created_at: this.times[ints] as number,
      updated_at: this.times[ints + 1] as number,
    };
  }

  /**
   * The filter fields of the row in `slot`, in one object rewritten by the next call: for
   * evaluating a filter on it, not for keeping.
   */
  fields(slot: number): GroupedFields {
    const f = this.scratch;
    const ints = 2 * slot;
    f.account_id = this.value(slot, ACCOUNT);
    f.uri = this.value(slot, URI);
    f.scope = this.value(slot, SCOPE);
    f.owner_user_id = this.valueOrNull(slot, OWNER_USER);
    f.owner_agent_id = this.valueOrNull(slot, OWNER_AGENT);
    f.context_type = this.value(slot, CONTEXT_TYPE);
    f.level = this.ints[ints] as number;
    f.chunk_index = this.ints[ints + 1] as number;
    f.created_at = this.times[ints] as number;
    f.updated_at = this.times[ints + 1] as number;
    return f;
  }

  id(slot: number): string {
    return this.texts.get(slot, 0);
  }

  /** Whether the id of `slot` is `id`. */
  idIs(slot: number, id: string): boolean {
    return this.texts.idIs(slot, id);
  }

  /** The ids of two slots compared as JS compares strings. */
  compareIds(a: number, b: number): number {
    return this.texts.compareIds(a, b);
  }

  /** The account of `slot` (the kept copy). */
  account(slot: number): string {
    return this.value(slot, ACCOUNT);
  }

  /** The URI of `slot` (the kept copy). */
  uri(slot: number): string {
    return this.value(slot, URI);
  }

  private value(slot: number, field: number): string {
    return this.shared.value(this.refs[slot * S + field] as number);
  }

  private valueOrNull(slot: number, field: number): string | null {
    const id = this.refs[slot * S + field] as number;
    return id === NULL ? null : this.shared.value(id);
  }

  /** Grows the columns to hold at least `slots` slots. */
  private widen(slots: number): void {
    const size = Math.max(slots, (2 * this.refs.length) / S);
    const old = this.refs.length;
    this.refs = grow(this.refs, size * S);
    this.refs.fill(NULL, old);
    this.ints = grow(this.ints, size * 2);
    const times = new Float64Array(size * 2);
    times.set(this.times);
    this.times = times;
  }
}
