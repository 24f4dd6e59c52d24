/**
 * The columns of an index record (SPEC 9.2), defined once. The record type, the filter fields and
 * their value types derive from this table here; the index derives its Arrow schema, its scalar
 * indexes and its row parser from it. It lives in the policy core because filters are typed by it
 * and the core depends on nothing.
 *
 * The order is the order of the stored table's columns: an existing table must keep matching it.
 */

export type ColumnKind = 'string' | 'int' | 'time' | 'vector';

export interface Column {
  readonly kind: ColumnKind;
  readonly nullable: boolean;
  /** Whether filter expressions may test it (then LanceDB filters it, so it may carry an index). */
  readonly filter: boolean;
  /** The LanceDB index built on it, if any. */
  readonly index?: 'bitmap' | 'btree' | 'fts';
}

const string = { kind: 'string', nullable: false, filter: false } as const;
const optional = { kind: 'string', nullable: true, filter: false } as const;

export const COLUMNS = {
  id: { ...string, index: 'btree' },
  account_id: { ...string, filter: true, index: 'bitmap' },
  uri: { ...string, filter: true, index: 'btree' },
  /** `resources`, `user`, `agent`, `session`, or '' for the namespace root. */
  scope: { ...string, filter: true, index: 'bitmap' },
  owner_user_id: { ...optional, filter: true, index: 'btree' },
  owner_agent_id: { ...optional, filter: true, index: 'btree' },
  context_type: { ...string, filter: true, index: 'bitmap' },
  /** The searchable text (the full-text index reads it; hits do not carry it). */
  text: { ...string, index: 'fts' },
  /** The start of the text, {@link ABSTRACT_CHARS} at most: what a hit shows. */
  abstract: string,
  session_id: optional,
  message_id: optional,
  role: optional,
  role_id: optional,
  /** 0 = folder abstract, 1 = folder overview, 2 = file chunk or message. */
  level: { kind: 'int', nullable: false, filter: true },
  chunk_index: { kind: 'int', nullable: false, filter: true },
  /** Epoch milliseconds. */
  created_at: { kind: 'time', nullable: false, filter: true },
  updated_at: { kind: 'time', nullable: false, filter: true },
  vector: { kind: 'vector', nullable: false, filter: false },
} as const satisfies Record<string, Column>;

type Columns = typeof COLUMNS;
export type ColumnName = keyof Columns;

/** The TypeScript type of a column's values. */
type ValueOf<C extends Column> = C['kind'] extends 'string'
  ? C['nullable'] extends true
    ? string | null
    : string
  : C['kind'] extends 'vector'
    ? Float32Array
    : number;

/** A stored record, vector included. */
export type IndexRecord = { readonly [K in ColumnName]: ValueOf<Columns[K]> };
/** A stored record without its vector. */
export type RecordDraft = Omit<IndexRecord, 'vector'>;
/** What a search hit carries: every column but the text and the vector. */
export type HitRow = Omit<IndexRecord, 'text' | 'vector'>;
/** A hit with the score of the query that found it (cosine distance or BM25). */
export type ScoredRow = HitRow & {
  readonly _distance?: number | undefined;
  readonly _score?: number | undefined;
};

export const COLUMN_NAMES = Object.keys(COLUMNS) as readonly ColumnName[];
export const HIT_COLUMNS = COLUMN_NAMES.filter(
  (name): name is keyof HitRow => name !== 'text' && name !== 'vector',
);

/** The columns of one kind. */
export type ColumnOfKind<K extends ColumnKind> = {
  [N in ColumnName]: Columns[N]['kind'] extends K ? N : never;
}[ColumnName];

/** Whether a column is of a kind (narrows its name, and so the type of its values). */
export function hasKind<K extends ColumnKind>(name: ColumnName, kind: K): name is ColumnOfKind<K> {
  return COLUMNS[name].kind === kind;
}

/** The hit columns of a record (a copy without its text and vector). */
export function hitOf(record: HitRow): HitRow {
  // Built from HIT_COLUMNS, the keys of HitRow.
  return Object.fromEntries(HIT_COLUMNS.map((name) => [name, record[name]])) as HitRow;
}

export type FilterField = { [K in ColumnName]: Columns[K]['filter'] extends true ? K : never }[ColumnName];
/** Filter fields holding text (tested with `=`, `IN`, subtree) and numbers (tested with `>=`, `<=`). */
export type StringField = FilterField & ColumnOfKind<'string'>;
export type NumberField = Exclude<FilterField, StringField>;
/** The value type of a filter field. */
export type FilterValue<F extends FilterField> = IndexRecord[F];

export const FILTER_FIELDS = COLUMN_NAMES.filter((name): name is FilterField => COLUMNS[name].filter);

/** The fields an expression reads; a record may carry more. */
export type FilterRecord = { readonly [F in FilterField]?: FilterValue<F> };

/** Characters of a text an `abstract` shows: search hits (SPEC 10) and folder listings. */
export const ABSTRACT_CHARS = 256;
