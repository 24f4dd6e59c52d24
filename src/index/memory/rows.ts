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
import type { KeyOwner } from './ids.js';
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
/** Bytes a row takes in the fixed-width columns (shared ids, level and chunk index, two times). */
const ROW_BYTES = S * 4 + 2 * 4 + 2 * 8;
/** Rows of the first columns; they grow by half again when full. */
const FIRST_ROWS = 1024;

/** The filter fields of a row, written afresh for each row evaluated (never kept by a caller). */
type MutableFields = { -readonly [K in keyof GroupedFields]: GroupedFields[K] };

/**
 * Rows are numbered densely, apart from the slots (the arena hands slots out in blocks per account,
 * so its slot numbers run ahead of the records: 20,000 records of 300 accounts took 33,000): a slot
 * costs 4 bytes (its row number), a row ~100.
 */
export class RowStore implements KeyOwner {
  /** Per slot: its row number (NULL: none). */
  private rowOf: Int32Array = new Int32Array(FIRST_ROWS).fill(NULL);
  /** Row numbers given back, to be taken first (a stack in the first `freeCount` entries). */
  private freeRows: Int32Array = new Int32Array(64);
  private freeCount = 0;
  /** Row numbers handed out so far. */
  private rows = 0;
  /** Per row: the shared-value ids, `S` a row (NULL for null). */
  private refs: Int32Array = new Int32Array(S * FIRST_ROWS);
  /** Per row: level, chunk index. */
  private ints: Int32Array = new Int32Array(2 * FIRST_ROWS);
  /** Per row: created_at, updated_at. */
  private times: Float64Array = new Float64Array(2 * FIRST_ROWS);
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
    return (
      this.rowOf.byteLength +
      this.freeRows.byteLength +
      this.refs.byteLength +
      this.ints.byteLength +
      this.times.byteLength +
      this.texts.bytes
    );
  }

  /** Bytes storing a row adds, at most (its columns grown by half again, its slot's entry). */
  cost(row: MemoryRow): number {
    let bytes = 1.5 * ROW_BYTES + 8 + TextColumns.cost([row.id, row.abstract, row.message_id]);
    for (const field of SHARED) {
      const value = row[field];
      if (value !== null) bytes += this.shared.cost(value);
    }
    return bytes;
  }

  /** Stores `row` in `slot` (which holds none), taking references to its shared values. */
  put(slot: number, row: MemoryRow): void {
    if (slot >= this.rowOf.length) {
      const old = this.rowOf.length;
      this.rowOf = grow(this.rowOf, Math.max(slot + 1, old * 2));
      this.rowOf.fill(NULL, old);
    }
    const r = this.freeCount > 0 ? (this.freeRows[--this.freeCount] as number) : this.newRow();
    this.rowOf[slot] = r;
    const base = r * S;
    for (let f = 0; f < S; f++) {
      const value = row[SHARED[f] as (typeof SHARED)[number]];
      this.refs[base + f] = value === null ? NULL : this.shared.hold(value);
    }
    this.ints[2 * r] = row.level;
    this.ints[2 * r + 1] = row.chunk_index;
    this.times[2 * r] = row.created_at;
    this.times[2 * r + 1] = row.updated_at;
    this.texts.set(r, [row.id, row.abstract, row.message_id]);
  }

  /** Empties `slot`, giving back its references and its text's space. */
  clear(slot: number): void {
    const r = this.rowOf[slot] ?? NULL;
    if (r === NULL) return;
    this.rowOf[slot] = NULL;
    const base = r * S;
    for (let f = 0; f < S; f++) {
      const id = this.refs[base + f] as number;
      if (id !== NULL) this.shared.releaseId(id);
    }
    this.texts.clear(r);
    if (this.freeCount === this.freeRows.length) this.freeRows = grow(this.freeRows, 2 * this.freeCount);
    this.freeRows[this.freeCount++] = r;
    if (this.freeCount === this.rows && this.ints.length > 2 * FIRST_ROWS) this.empty();
  }

  /** Gives the columns of a store left empty back (a store that held many rows holds none now). */
  private empty(): void {
    this.rows = 0;
    this.freeCount = 0;
    this.freeRows = new Int32Array(64);
    this.refs = new Int32Array(S * FIRST_ROWS);
    this.ints = new Int32Array(2 * FIRST_ROWS);
    this.times = new Float64Array(2 * FIRST_ROWS);
    this.texts.empty();
  }

  /** The row in `slot`, made an object (a hit's). */
  row(slot: number): MemoryRow {
    const r = this.at(slot);
    const ints = 2 * r;
    return {
      id: this.texts.get(r, 0),
      account_id: this.value(r, ACCOUNT),
      uri: this.value(r, URI),
      scope: this.value(r, SCOPE),
      owner_user_id: this.valueOrNull(r, OWNER_USER),
      owner_agent_id: this.valueOrNull(r, OWNER_AGENT),
      context_type: this.value(r, CONTEXT_TYPE),
      level: this.ints[ints] as number,
      chunk_index: this.ints[ints + 1] as number,
      abstract: this.texts.get(r, 1),
      session_id: this.valueOrNull(r, SESSION),
      message_id: this.texts.get(r, 2),
      role: this.valueOrNull(r, ROLE),
      role_id: this.valueOrNull(r, ROLE_ID),
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
    const r = this.at(slot);
    const ints = 2 * r;
    f.account_id = this.value(r, ACCOUNT);
    f.uri = this.value(r, URI);
    f.scope = this.value(r, SCOPE);
    f.owner_user_id = this.valueOrNull(r, OWNER_USER);
    f.owner_agent_id = this.valueOrNull(r, OWNER_AGENT);
    f.context_type = this.value(r, CONTEXT_TYPE);
    f.level = this.ints[ints] as number;
    f.chunk_index = this.ints[ints + 1] as number;
    f.created_at = this.times[ints] as number;
    f.updated_at = this.times[ints + 1] as number;
    return f;
  }

  id(slot: number): string {
    return this.texts.get(this.at(slot), 0);
  }

  /** Whether the id of `slot` is `id` (the check of the id table, ids.ts). */
  keyIs(slot: number, id: string): boolean {
    return this.texts.idIs(this.at(slot), id);
  }

  /** The ids of two slots compared as JS compares strings. */
  compareIds(a: number, b: number): number {
    return this.texts.compareIds(this.at(a), this.at(b));
  }

  /** The account of `slot` (the kept copy). */
  account(slot: number): string {
    return this.value(this.at(slot), ACCOUNT);
  }

  /** The URI of `slot` (the kept copy). */
  uri(slot: number): string {
    return this.value(this.at(slot), URI);
  }

  /** The shared-value id of the URI of `slot`. */
  uriId(slot: number): number {
    return this.refs[this.at(slot) * S + URI] as number;
  }

  /** The row number of `slot` (which must hold a row). */
  private at(slot: number): number {
    const r = this.rowOf[slot] ?? NULL;
    if (r === NULL) throw new Error(`slot ${slot} holds no row`);
    return r;
  }

  private value(r: number, field: number): string {
    return this.shared.value(this.refs[r * S + field] as number);
  }

  private valueOrNull(r: number, field: number): string | null {
    const id = this.refs[r * S + field] as number;
    return id === NULL ? null : this.shared.value(id);
  }

  /** A row number never handed out, the columns grown by half again if full. */
  private newRow(): number {
    const r = this.rows++;
    if (2 * r < this.ints.length) return r;
    const size = Math.ceil((this.ints.length / 2) * 1.5);
    this.refs = grow(this.refs, size * S);
    this.ints = grow(this.ints, size * 2);
    const times = new Float64Array(size * 2);
    times.set(this.times);
    this.times = times;
    return r;
  }
}
