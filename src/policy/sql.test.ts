import { AppError } from '../errors.js';
import { and, cmp, eq, FALSE, isIn, or, subtree, TRUE, type Expr } from './expr.js';
import { bind, compileSql, type SqlParam } from './sql.js';

function compiled(expr: Expr, before: SqlParam[] = []): { sql: string; params: SqlParam[] } {
  const params = [...before];
  return { sql: compileSql(expr, params), params };
}

describe('compileSql', () => {
  test.each<[Expr, string, SqlParam[]]>([
    [eq('account_id', 'acme'), 'account_id = $1', ['acme']],
    [eq('owner_user_id', null), 'owner_user_id IS NULL', []],
    [isIn('scope', ['resources', 'session']), 'scope = ANY($1::text[])', [['resources', 'session']]],
    [isIn('scope', []), 'FALSE', []],
    [
      subtree('viking://resources/a'),
      '(uri = $1 OR starts_with(uri, $2))',
      ['viking://resources/a', 'viking://resources/a/'],
    ],
    [subtree('viking://'), 'uri IS NOT NULL', []],
    [cmp('updated_at', '>=', 5), 'updated_at >= $1::float8', [5]],
    [cmp('level', '<=', 1.5), 'level <= $1::float8', [1.5]],
    [
      and(eq('scope', 'user'), eq('owner_user_id', 'u')),
      '(scope = $1 AND owner_user_id = $2)',
      ['user', 'u'],
    ],
    [or(eq('scope', 'user'), eq('scope', 'agent')), '(scope = $1 OR scope = $2)', ['user', 'agent']],
    [and(), 'TRUE', []],
    [or(), 'FALSE', []],
    [and(TRUE, eq('scope', 'x')), 'scope = $1', ['x']],
    [and(FALSE, eq('scope', 'x')), 'FALSE', []],
    [
      and(eq('account_id', 'acme'), subtree('viking://resources/docs')),
      '(account_id = $1 AND (uri = $2 OR starts_with(uri, $3)))',
      ['acme', 'viking://resources/docs', 'viking://resources/docs/'],
    ],
  ])('%j', (expr, sql, params) => {
    expect(compiled(expr)).toEqual({ sql, params });
  });

  test('placeholders continue after the parameters the query already has', () => {
    expect(compiled(and(eq('scope', 'a'), cmp('level', '>=', 2)), ['[1,2]'])).toEqual({
      sql: '(scope = $2 AND level >= $3::float8)',
      params: ['[1,2]', 'a', 2],
    });
  });

  test.each(["it's", "x' OR '1'='1", "'; DROP TABLE index_records; --", 'a\\b', '50%_off', '$1', 'ünï😀'])(
    'the value %j goes into the parameters, never into the SQL',
    (value) => {
      const { sql, params } = compiled(
        or(eq('account_id', value), isIn('scope', [value]), subtree(`viking://resources/${value}`)),
      );
      expect(sql).toBe('(account_id = $1 OR scope = ANY($2::text[]) OR (uri = $3 OR starts_with(uri, $4)))');
      expect(params).toEqual([value, [value], `viking://resources/${value}`, `viking://resources/${value}/`]);
    },
  );

  test.each([
    ['eq', eq('account_id', 'a\u0000b')],
    ['in', isIn('scope', ['ok', 'a\u0000'])],
    ['subtree', subtree('viking://resources/\u0000')],
  ])('NUL is refused (%s)', (_name, expr) => {
    expect(() => compileSql(expr, [])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  test('numbers must be finite', () => {
    expect(() => compileSql(cmp('updated_at', '<=', Number.NaN), [])).toThrow(AppError);
    expect(() => compileSql(cmp('updated_at', '>=', -Infinity), [])).toThrow(AppError);
  });

  // The @ts-expect-error lines are the test: `npx tsc` fails if any of them compiles.
  test.each([
    // @ts-expect-error level holds numbers: it is compared with cmp, not eq
    ['a number field tested with =', () => eq('level', 'c')],
    // @ts-expect-error uri holds text
    ['a text field compared with >=', () => cmp('uri', '>=', 1)],
    // @ts-expect-error role is not a filter field
    ['a column that is not a filter field', () => eq('role', 'user')],
  ])('refuses %s', (_name, build) => {
    expect(() => compileSql(build(), [])).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

test('bind returns the next placeholder and freezes lists', () => {
  const params: SqlParam[] = [1];
  expect(bind(params, 'x')).toBe('$2');
  expect(bind(params, ['a'])).toBe('$3');
  expect(Object.isFrozen(params[2])).toBe(true);
});
