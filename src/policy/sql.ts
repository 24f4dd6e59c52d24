/**
 * The third interpreter of filter expressions (./expr.ts): a PostgreSQL condition with bind
 * parameters. Values never enter the SQL text: each one goes through {@link bind}, which appends it to
 * the caller's parameter array and returns its placeholder (`$1`, `$2`…); column names come only from
 * {@link filterColumn}'s fixed list. A subtree is `uri = $n OR starts_with(uri, $m)`, so no LIKE
 * pattern (and no escaping of `%`, `_` or `\`) is ever built; on a `COLLATE "C"` column PostgreSQL
 * 15 answers `starts_with` from a btree index.
 */
import { AppError, assertNever } from '../errors.js';
import { filterColumn, ROOT_URI, type Expr } from './expr.js';

/** A bind parameter of a compiled condition: text, a finite number or a list of texts. */
export type SqlParam = string | number | readonly string[];

function checkText(value: string): string {
  // PostgreSQL text cannot hold NUL; refused as compileWhere refuses it, with the same error.
  if (value.includes('\u0000')) throw new AppError('INVALID_ARGUMENT', 'filter values may not contain NUL');
  return value;
}

/**
 * The one binding function: appends a value to `params` and returns its placeholder. Texts may not
 * hold NUL and numbers must be finite (INVALID_ARGUMENT, as for LanceDB's filters).
 * @example const params: SqlParam[] = []; bind(params, "it's") // '$1', params = ["it's"]
 */
export function bind(params: SqlParam[], value: SqlParam): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AppError('INVALID_ARGUMENT', 'filter numbers must be finite');
    params.push(value);
  } else if (typeof value === 'string') {
    params.push(checkText(value));
  } else {
    params.push(Object.freeze(value.map(checkText)));
  }
  return `$${params.length}`;
}

/**
 * Compiles an expression to a PostgreSQL condition, appending its values to `params` (which may
 * already hold the query's other parameters: placeholders continue after them). Numbers are compared
 * as `float8`, so a fractional bound on an integer column means what it means in memory.
 * @example
 *   const params: SqlParam[] = [];
 *   compileSql(and(eq('account_id', 'acme'), subtree('viking://resources/docs')), params)
 *   // '(account_id = $1 AND (uri = $2 OR starts_with(uri, $3)))'
 *   // params: ['acme', 'viking://resources/docs', 'viking://resources/docs/']
 */
export function compileSql(expr: Expr, params: SqlParam[]): string {
  switch (expr.kind) {
    case 'const':
      return expr.value ? 'TRUE' : 'FALSE';
    case 'and':
      return `(${expr.items.map((e) => compileSql(e, params)).join(' AND ')})`;
    case 'or':
      return `(${expr.items.map((e) => compileSql(e, params)).join(' OR ')})`;
    case 'eq': {
      const column = filterColumn(expr.field, true);
      return expr.value === null ? `${column} IS NULL` : `${column} = ${bind(params, expr.value)}`;
    }
    case 'in':
      return `${filterColumn(expr.field, true)} = ANY(${bind(params, expr.values)}::text[])`;
    case 'subtree': {
      const uri = filterColumn(expr.field, true);
      if (expr.root === ROOT_URI) return `${uri} IS NOT NULL`;
      const root = bind(params, expr.root);
      return `(${uri} = ${root} OR starts_with(${uri}, ${bind(params, `${expr.root}/`)}))`;
    }
    case 'cmp':
      return `${filterColumn(expr.field, false)} ${expr.op} ${bind(params, expr.value)}::float8`;
    default:
      return assertNever(expr);
  }
}
