/**
 * Filter expressions: a small tree of frozen nodes over record fields, with three interpreters —
 * {@link evaluate} (in memory), {@link compileWhere} (a LanceDB `where` string) and `compileSql`
 * (./sql.ts: a parameterised PostgreSQL condition). Every value that reaches LanceDB's SQL goes
 * through {@link quoteString} or {@link formatNumber}; field names come from a fixed list
 * ({@link filterColumn}).
 */
import { AppError, assertNever } from '../errors.js';
import {
  FILTER_FIELDS,
  hasKind,
  type FilterField,
  type FilterRecord,
  type FilterValue,
  type NumberField,
  type StringField,
} from './columns.js';
import { canonicalUri, URI_PREFIX } from './uri.js';

export type Expr =
  | { readonly kind: 'const'; readonly value: boolean }
  | { readonly kind: 'and'; readonly items: readonly Expr[] }
  | { readonly kind: 'or'; readonly items: readonly Expr[] }
  | { readonly kind: 'eq'; readonly field: StringField; readonly value: string | null }
  | { readonly kind: 'in'; readonly field: StringField; readonly values: readonly string[] }
  | { readonly kind: 'subtree'; readonly field: 'uri'; readonly root: string }
  | { readonly kind: 'cmp'; readonly field: NumberField; readonly op: '>=' | '<='; readonly value: number };

export const TRUE: Expr = Object.freeze({ kind: 'const', value: true });
export const FALSE: Expr = Object.freeze({ kind: 'const', value: false });

/** AND of the items; constants are folded and nested ANDs flattened. */
export function and(...items: Expr[]): Expr {
  const flat = items.flatMap((e) => (e.kind === 'and' ? e.items : [e])).filter((e) => e !== TRUE);
  if (flat.some((e) => e.kind === 'const' && !e.value)) return FALSE;
  const [only, second] = flat;
  if (only === undefined) return TRUE;
  return second === undefined ? only : Object.freeze({ kind: 'and', items: Object.freeze(flat) });
}

/** OR of the items; constants are folded and nested ORs flattened. */
export function or(...items: Expr[]): Expr {
  const flat = items.flatMap((e) => (e.kind === 'or' ? e.items : [e])).filter((e) => e !== FALSE);
  if (flat.some((e) => e.kind === 'const' && e.value)) return TRUE;
  const [only, second] = flat;
  if (only === undefined) return FALSE;
  return second === undefined ? only : Object.freeze({ kind: 'or', items: Object.freeze(flat) });
}

/** `field = value`, or `field IS NULL` when value is null (only a nullable field takes null). */
export function eq<F extends StringField>(field: F, value: FilterValue<F>): Expr {
  return Object.freeze({ kind: 'eq', field, value });
}

export function isIn(field: StringField, values: readonly string[]): Expr {
  return values.length === 0
    ? FALSE
    : Object.freeze({ kind: 'in', field, values: Object.freeze([...values]) });
}

/** Segment-wise prefix: the URI itself or anything below it (`viking://user/al` ≠ `viking://user/alice`). */
export function subtree(root: string): Expr {
  return Object.freeze({ kind: 'subtree', field: 'uri', root });
}

export function cmp(field: NumberField, op: '>=' | '<=', value: number): Expr {
  return Object.freeze({ kind: 'cmp', field, op, value });
}

/** Records of exactly one level (0 abstract, 1 overview, 2 content): the tree has no equality on numbers. */
export function levelIs(level: number): Expr {
  return and(cmp('level', '>=', level), cmp('level', '<=', level));
}

/** The root of every namespace: its subtree is every record. */
export const ROOT_URI = canonicalUri(URI_PREFIX);

function inSubtree(uri: string, root: string): boolean {
  return root === ROOT_URI || uri === root || uri.startsWith(`${root}/`);
}

/** In-memory interpreter. */
export function evaluate(expr: Expr, record: FilterRecord): boolean {
  switch (expr.kind) {
    case 'const':
      return expr.value;
    case 'and':
      return expr.items.every((e) => evaluate(e, record));
    case 'or':
      return expr.items.some((e) => evaluate(e, record));
    case 'eq':
      return (record[expr.field] ?? null) === expr.value;
    case 'in': {
      const value = record[expr.field];
      return typeof value === 'string' && expr.values.includes(value);
    }
    case 'subtree': {
      const value = record[expr.field];
      return typeof value === 'string' && inSubtree(value, expr.root);
    }
    case 'cmp': {
      const value = record[expr.field];
      if (typeof value !== 'number') return false;
      return expr.op === '>=' ? value >= expr.value : value <= expr.value;
    }
    default:
      return assertNever(expr);
  }
}

/**
 * Three-valued evaluation for a group of records: `true` or `false` when the expression has that value
 * for every record whose `known` fields have the given values and whose `uri` lies in the subtree of
 * `uriRoot` (when given); `null` when it depends on the record. Allocates nothing, so a caller can
 * decide thousands of groups per query and evaluate record by record only where the answer is `null`.
 * @example decide(and(eq('scope', 'user'), subtree('viking://user/u')), { scope: 'user' }, 'viking://user/u/memories')
 *   // true
 */
export function decide(expr: Expr, known: FilterRecord, uriRoot?: string): boolean | null {
  switch (expr.kind) {
    case 'const':
      return expr.value;
    case 'and': {
      let result: boolean | null = true;
      for (const item of expr.items) {
        const value = decide(item, known, uriRoot);
        if (value === false) return false;
        if (value === null) result = null;
      }
      return result;
    }
    case 'or': {
      let result: boolean | null = false;
      for (const item of expr.items) {
        const value = decide(item, known, uriRoot);
        if (value === true) return true;
        if (value === null) result = null;
      }
      return result;
    }
    case 'eq':
    case 'in':
    case 'cmp':
      if (Object.hasOwn(known, expr.field)) return evaluate(expr, known);
      return expr.field === 'uri' && uriRoot !== undefined && !uriValueBelow(expr, uriRoot) ? false : null;
    case 'subtree':
      if (Object.hasOwn(known, 'uri')) return evaluate(expr, known);
      if (uriRoot === undefined) return null;
      if (inSubtree(uriRoot, expr.root)) return true;
      return inSubtree(expr.root, uriRoot) ? null : false;
    default:
      return assertNever(expr);
  }
}

/** Whether `uri = v` / `uri IN (…)` names any URI in the subtree of `uriRoot` (else it cannot match there). */
function uriValueBelow(expr: Expr & { kind: 'eq' | 'in' | 'cmp' }, uriRoot: string): boolean {
  switch (expr.kind) {
    case 'eq':
      return typeof expr.value === 'string' && inSubtree(expr.value, uriRoot);
    case 'in':
      return expr.values.some((v) => inSubtree(v, uriRoot));
    case 'cmp':
      return true;
    default:
      return assertNever(expr);
  }
}

/**
 * The URIs a record must have to match, when the expression names them (every branch of it is
 * restricted by `uri = …` or `uri IN (…)`), else null. Lets an index look records up by URI instead
 * of testing every one, e.g. for the deletes of single files.
 * @example uriCandidates(or(and(eq('account_id', 'a'), eq('uri', 'viking://x')), eq('uri', 'viking://y')))
 *   // ['viking://x', 'viking://y']
 */
export function uriCandidates(expr: Expr): readonly string[] | null {
  switch (expr.kind) {
    case 'const':
      return expr.value ? null : [];
    case 'and': {
      let best: readonly string[] | null = null;
      for (const item of expr.items) {
        const uris = uriCandidates(item);
        if (uris !== null && (best === null || uris.length < best.length)) best = uris;
      }
      return best;
    }
    case 'or': {
      const all: string[] = [];
      for (const item of expr.items) {
        const uris = uriCandidates(item);
        if (uris === null) return null;
        all.push(...uris);
      }
      return all;
    }
    case 'eq':
      if (expr.field !== 'uri') return null;
      return expr.value === null ? [] : [expr.value];
    case 'in':
      return expr.field === 'uri' ? expr.values : null;
    case 'subtree':
    case 'cmp':
      return null;
    default:
      return assertNever(expr);
  }
}

/**
 * The one string-quoting function: a SQL string literal for LanceDB (DataFusion), where the only
 * escape is a doubled quote (a backslash is an ordinary character). NUL is refused.
 * @example quoteString("it's") // "'it''s'"
 */
export function quoteString(value: string): string {
  if (value.includes('\u0000')) throw new AppError('INVALID_ARGUMENT', 'filter values may not contain NUL');
  return `'${value.replaceAll("'", "''")}'`;
}

/** The one number formatter: finite numbers only. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new AppError('INVALID_ARGUMENT', 'filter numbers must be finite');
  return String(value);
}

/**
 * A field's name for SQL (LanceDB's and PostgreSQL's): a filter field whose values are text (`=`,
 * `IN`) or numbers (`>=`, `<=`). The only source of column names in compiled filters.
 */
export function filterColumn(name: FilterField, text: boolean): string {
  if (!FILTER_FIELDS.includes(name) || hasKind(name, 'string') !== text) {
    throw new AppError('INTERNAL', `${String(name)} is not a ${text ? 'text' : 'number'} filter field`);
  }
  return name;
}

/**
 * Compiles an expression to a LanceDB `where` string.
 * @example compileWhere(and(eq('account_id', 'acme'), subtree('viking://resources/docs')))
 *   // "(account_id = 'acme' AND (uri = 'viking://resources/docs' OR starts_with(uri, 'viking://resources/docs/')))"
 */
export function compileWhere(expr: Expr): string {
  switch (expr.kind) {
    case 'const':
      return expr.value ? 'TRUE' : 'FALSE';
    case 'and':
      return `(${expr.items.map(compileWhere).join(' AND ')})`;
    case 'or':
      return `(${expr.items.map(compileWhere).join(' OR ')})`;
    case 'eq':
      return expr.value === null
        ? `${filterColumn(expr.field, true)} IS NULL`
        : `${filterColumn(expr.field, true)} = ${quoteString(expr.value)}`;
    case 'in':
      return `${filterColumn(expr.field, true)} IN (${expr.values.map(quoteString).join(', ')})`;
    case 'subtree': {
      const uri = filterColumn(expr.field, true);
      if (expr.root === ROOT_URI) return `${uri} IS NOT NULL`;
      return `(${uri} = ${quoteString(expr.root)} OR starts_with(${uri}, ${quoteString(`${expr.root}/`)}))`;
    }
    case 'cmp':
      return `${filterColumn(expr.field, false)} ${expr.op} ${formatNumber(expr.value)}`;
    default:
      return assertNever(expr);
  }
}
