import { AppError } from '../errors.js';
import {
  and,
  cmp,
  compileWhere,
  eq,
  evaluate,
  FALSE,
  isIn,
  or,
  quoteString,
  specialize,
  subtree,
  TRUE,
} from './expr.js';

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

describe('specialize', () => {
  const known = { account_id: 'acme', scope: 'user', owner_user_id: 'alice', owner_agent_id: null };
  test.each([
    ['a known field decides', eq('account_id', 'acme'), undefined, TRUE],
    ['a known field refutes', eq('account_id', 'globex'), undefined, FALSE],
    ['null owner', eq('owner_agent_id', null), undefined, TRUE],
    ['unknown fields stay', cmp('updated_at', '>=', 5), undefined, cmp('updated_at', '>=', 5)],
    ['subtree above the root', subtree('viking://user/alice'), 'viking://user/alice/memories', TRUE],
    ['subtree equal to the root', subtree('viking://user/alice'), 'viking://user/alice', TRUE],
    [
      'subtree below the root stays',
      subtree('viking://user/alice/m'),
      'viking://user/alice',
      subtree('viking://user/alice/m'),
    ],
    ['disjoint subtree', subtree('viking://user/al'), 'viking://user/alice', FALSE],
    [
      'uri values outside the root',
      isIn('uri', ['viking://', 'viking://user']),
      'viking://user/alice',
      FALSE,
    ],
    [
      'uri values inside the root',
      isIn('uri', ['viking://', 'viking://user/alice/x']),
      'viking://user/alice',
      isIn('uri', ['viking://user/alice/x']),
    ],
    ['uri equal outside', eq('uri', 'viking://resources'), 'viking://user/alice', FALSE],
    [
      'a visibility grant folds to TRUE',
      and(
        eq('account_id', 'acme'),
        or(
          isIn('uri', ['viking://']),
          and(eq('scope', 'user'), eq('owner_user_id', 'alice'), subtree('viking://user/alice')),
        ),
      ),
      'viking://user/alice/memories',
      TRUE,
    ],
  ])('%s', (_name, expr, root, expected) => {
    expect(specialize(expr, known, root)).toEqual(expected);
  });

  test('agrees with evaluate on records inside the root', () => {
    const expr = or(
      and(eq('scope', 'user'), subtree('viking://user/alice/m')),
      isIn('uri', ['viking://user/alice']),
    );
    for (const uri of [
      'viking://user/alice',
      'viking://user/alice/m',
      'viking://user/alice/m/x',
      'viking://user/alice/n',
    ])
      expect(evaluate(specialize(expr, known, 'viking://user/alice'), { ...known, uri })).toBe(
        evaluate(expr, { ...known, uri }),
      );
  });
});
