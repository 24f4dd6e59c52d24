import { AppError } from '../errors.js';
import { and, cmp, compileWhere, eq, evaluate, FALSE, isIn, or, quoteString, subtree, TRUE } from './expr.js';

describe('compileWhere', () => {
  test.each([
    [eq('account_id', 'acme'), "account_id = 'acme'"],
    [eq('owner_user_id', null), 'owner_user_id IS NULL'],
    [isIn('scope', ['resources', 'session']), "scope IN ('resources', 'session')"],
    [isIn('scope', []), 'FALSE'],
    [
      subtree('viking://resources/a'),
      "(uri = 'viking://resources/a' OR starts_with(uri, 'viking://resources/a/'))",
    ],
    [subtree('viking://'), 'uri IS NOT NULL'],
    [cmp('updated_at', '>=', 5), 'updated_at >= 5'],
    [and(eq('scope', 'user'), eq('owner_user_id', 'u')), "(scope = 'user' AND owner_user_id = 'u')"],
    [or(eq('scope', 'user'), eq('scope', 'agent')), "(scope = 'user' OR scope = 'agent')"],
    [and(), 'TRUE'],
    [or(), 'FALSE'],
    [and(TRUE, eq('scope', 'x')), "scope = 'x'"],
    [and(FALSE, eq('scope', 'x')), 'FALSE'],
    [or(TRUE, eq('scope', 'x')), 'TRUE'],
    [
      and(and(eq('scope', 'a'), eq('uri', 'b')), eq('level', 'c')),
      "(scope = 'a' AND uri = 'b' AND level = 'c')",
    ],
  ])('%j', (expr, sql) => {
    expect(compileWhere(expr)).toBe(sql);
  });

  test('numbers must be finite', () => {
    expect(() => compileWhere(cmp('updated_at', '<=', Number.NaN))).toThrow(AppError);
    expect(() => compileWhere(cmp('updated_at', '<=', Infinity))).toThrow(AppError);
  });
});

describe('quoteString', () => {
  test.each([
    ['plain', "'plain'"],
    ["it's", "'it''s'"],
    ["''", "''''''"],
    ['a\\b', "'a\\b'"],
    ['50%_off', "'50%_off'"],
    ['ünï😀', "'ünï😀'"],
  ])('%j', (value, quoted) => {
    expect(quoteString(value)).toBe(quoted);
  });

  test('refuses NUL', () => {
    expect(() => quoteString('a\u0000b')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('evaluate', () => {
  const record = {
    account_id: 'acme',
    scope: 'user',
    uri: 'viking://user/alice/x',
    owner_user_id: 'alice',
    owner_agent_id: null,
  };
  test.each([
    [eq('owner_agent_id', null), true],
    [eq('owner_user_id', null), false],
    [isIn('scope', ['user']), true],
    [isIn('owner_agent_id', ['bot']), false],
    [subtree('viking://user/alice'), true],
    [subtree('viking://user/al'), false],
    [subtree('viking://user/alice/x'), true],
    [subtree('viking://user/alice/x/y'), false],
    [subtree('viking://'), true],
    [cmp('level', '>=', 1), false],
    [or(FALSE, eq('scope', 'user')), true],
    [and(TRUE, eq('scope', 'agent')), false],
  ])('%j → %s', (expr, expected) => {
    expect(evaluate(expr, record)).toBe(expected);
  });
});
