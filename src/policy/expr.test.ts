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
  decide,
  uriCandidates,
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
      and(and(eq('scope', 'a'), eq('uri', 'b')), eq('context_type', 'c')),
      "(scope = 'a' AND uri = 'b' AND context_type = 'c')",
    ],
  ])('%j', (expr, sql) => {
    expect(compileWhere(expr)).toBe(sql);
  });

  test('numbers must be finite', () => {
    expect(() => compileWhere(cmp('updated_at', '<=', Number.NaN))).toThrow(AppError);
    expect(() => compileWhere(cmp('updated_at', '<=', Infinity))).toThrow(AppError);
  });

  // The @ts-expect-error lines are the test: `npx tsc` fails if any of them compiles. At run time
  // the compiler refuses the same misuse, for expressions built around the types.
  test.each([
    // @ts-expect-error level holds numbers: it is compared with cmp, not eq
    ['a number field tested with =', () => eq('level', 'c')],
    // @ts-expect-error updated_at holds numbers
    ['a number field tested with IN', () => isIn('updated_at', ['1'])],
    // @ts-expect-error uri holds text
    ['a text field compared with >=', () => cmp('uri', '>=', 1)],
    // @ts-expect-error role is not a filter field
    ['a column that is not a filter field', () => eq('role', 'user')],
  ])('refuses %s', (_name, build) => {
    expect(() => compileWhere(build())).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });

  test('only a nullable field is compared with null', () => {
    // @ts-expect-error account_id is never null
    expect(compileWhere(eq('account_id', null))).toBe('account_id IS NULL');
    expect(compileWhere(eq('owner_user_id', null))).toBe('owner_user_id IS NULL');
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

describe('decide', () => {
  const known = { account_id: 'acme', scope: 'user', owner_user_id: 'alice', owner_agent_id: null };
  const grant = and(eq('scope', 'user'), eq('owner_user_id', 'alice'), subtree('viking://user/alice'));
  test.each([
    ['a known field decides', eq('account_id', 'acme'), undefined, true],
    ['a known field refutes', eq('account_id', 'globex'), undefined, false],
    ['null owner', eq('owner_agent_id', null), undefined, true],
    ['unknown fields depend on the record', cmp('updated_at', '>=', 5), undefined, null],
    ['subtree above the root', subtree('viking://user/alice'), 'viking://user/alice/memories', true],
    ['subtree equal to the root', subtree('viking://user/alice'), 'viking://user/alice', true],
    ['subtree below the root', subtree('viking://user/alice/m'), 'viking://user/alice', null],
    ['disjoint subtree', subtree('viking://user/al'), 'viking://user/alice', false],
    [
      'uri values outside the root',
      isIn('uri', ['viking://', 'viking://user']),
      'viking://user/alice',
      false,
    ],
    [
      'uri values inside the root',
      isIn('uri', ['viking://', 'viking://user/alice/x']),
      'viking://user/alice',
      null,
    ],
    ['uri equal outside', eq('uri', 'viking://resources'), 'viking://user/alice', false],
    ['and: one false', and(cmp('level', '>=', 1), eq('scope', 'agent')), undefined, false],
    ['or: one true', or(cmp('level', '>=', 1), eq('scope', 'user')), undefined, true],
    ['or: unknown', or(cmp('level', '>=', 1), eq('scope', 'agent')), undefined, null],
    [
      'a visibility grant is true for the whole group',
      and(eq('account_id', 'acme'), or(isIn('uri', ['viking://']), grant)),
      'viking://user/alice/memories',
      true,
    ],
  ])('%s', (_name, expr, root, expected) => {
    expect(decide(expr, known, root)).toBe(expected);
  });

  test('agrees with evaluate on every record inside the root whenever it decides', () => {
    const exprs = [
      or(and(eq('scope', 'user'), subtree('viking://user/alice/m')), isIn('uri', ['viking://user/alice'])),
      and(grant, cmp('updated_at', '>=', 3)),
      or(eq('uri', 'viking://user/alice/n'), eq('owner_user_id', 'bob')),
    ];
    const uris = [
      'viking://user/alice',
      'viking://user/alice/m',
      'viking://user/alice/m/x',
      'viking://user/alice/n',
    ];
    for (const expr of exprs)
      for (const uri of uris)
        for (const updated_at of [1, 5]) {
          const decided = decide(expr, known, 'viking://user/alice');
          if (decided !== null) expect(evaluate(expr, { ...known, uri, updated_at })).toBe(decided);
        }
  });
});

describe('uriCandidates', () => {
  test.each([
    [eq('uri', 'viking://a'), ['viking://a']],
    [isIn('uri', ['viking://a', 'viking://b']), ['viking://a', 'viking://b']],
    [and(eq('account_id', 'x'), eq('uri', 'viking://a')), ['viking://a']],
    [
      or(eq('uri', 'viking://a'), and(eq('uri', 'viking://b'), cmp('level', '>=', 1))),
      ['viking://a', 'viking://b'],
    ],
    [or(eq('uri', 'viking://a'), eq('scope', 'user')), null],
    [subtree('viking://a'), null],
    [eq('account_id', 'x'), null],
    [FALSE, []],
    [TRUE, null],
  ])('%j', (expr, expected) => {
    expect(uriCandidates(expr)).toEqual(expected);
  });
});
