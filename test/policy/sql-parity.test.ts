/**
 * The three interpreters of a filter agree: random expression trees over rows with hostile values
 * (quotes, `%`, `_`, backslashes, `$1`, URIs that a LIKE pattern without escaping would confuse)
 * select the same rows in memory (`evaluate`), on a real PostgreSQL table (`compileSql`, bound
 * parameters) and on a real LanceDB table (`compileWhere`). A value holding NUL is refused by both
 * compilers alike.
 */
import fc from 'fast-check';
import {
  and,
  cmp,
  compileSql,
  compileWhere,
  eq,
  evaluate,
  FALSE,
  isIn,
  or,
  subtree,
  TRUE,
  type Expr,
  type SqlParam,
} from '../../src/policy/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { createTempTable, type Row } from '../helpers/lance-table.js';

const HOSTILE = ["it's", "x' OR '1'='1", 'a\\b', '%', '_', '$1', 'ünï😀', '', '--'];
const SEGMENTS = ['a', 'a_b', 'axb', '5%', '5%x', '5ab', 'a\\b', "it's", '%', '_'];
const URIS = [
  'viking://',
  'viking://resources',
  ...SEGMENTS.map((s) => `viking://resources/${s}`),
  ...SEGMENTS.map((s) => `viking://resources/${s}/c`),
  'viking://resources/a/_/x',
  'viking://user/alice/memories/x',
  'viking://user/alicex',
];
const STRING_FIELDS = [
  'account_id',
  'uri',
  'scope',
  'owner_user_id',
  'owner_agent_id',
  'context_type',
] as const;
type StringField = (typeof STRING_FIELDS)[number];
const NULLABLE = new Set<StringField>(['owner_user_id', 'owner_agent_id']);

const text = fc.constantFrom('acme', 'globex', 'user', 'resources', 'alice', 'bot', ...HOSTILE, ...URIS);
const valueArb = (field: StringField) => (field === 'uri' ? fc.constantFrom(...URIS, ...HOSTILE) : text);

const rowArb: fc.Arbitrary<Omit<Row, 'id'>> = fc.record({
  account_id: fc.constantFrom('acme', 'globex', "it's", '%'),
  uri: fc.constantFrom(...URIS),
  scope: fc.constantFrom('resources', 'user', 'agent', '_'),
  owner_user_id: fc.option(fc.constantFrom('alice', 'a_b', 'a\\b', ''), { nil: null }),
  owner_agent_id: fc.option(fc.constantFrom('bot', '%', "it's"), { nil: null }),
  context_type: fc.constantFrom('resource', 'memory', '$1'),
  level: fc.integer({ min: 0, max: 2 }),
});

const leafArb: fc.Arbitrary<Expr> = fc.oneof(
  fc.constantFrom(...STRING_FIELDS).chain((field) =>
    (NULLABLE.has(field) ? fc.option(valueArb(field), { nil: null }) : valueArb(field)).map((value) =>
      // The field/value pairs are drawn to fit (null only for the nullable fields).
      eq(field as 'owner_user_id', value),
    ),
  ),
  fc
    .constantFrom(...STRING_FIELDS)
    .chain((field) => fc.array(valueArb(field), { maxLength: 3 }).map((values) => isIn(field, values))),
  fc.constantFrom(...URIS, 'viking://resources/5', 'viking://resources/a_').map((root) => subtree(root)),
  fc
    .tuple(fc.constantFrom('>=' as const, '<=' as const), fc.constantFrom(-1, 0, 0.5, 1, 1.5, 2, 3))
    .map(([op, value]) => cmp('level', op, value)),
  fc.constantFrom(TRUE, FALSE),
);

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('expr'), { maxLength: 3 }).map((items) => and(...items)),
    fc.array(tie('expr'), { maxLength: 3 }).map((items) => or(...items)),
  ),
})).expr;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
  await db.pool.query(`CREATE TABLE filter_rows (
    id text PRIMARY KEY, account_id text NOT NULL, uri text COLLATE "C" NOT NULL, scope text NOT NULL,
    owner_user_id text, owner_agent_id text, context_type text NOT NULL, level integer NOT NULL)`);
});
afterAll(() => db.drop());

async function pgIds(rows: readonly Row[], expr: Expr): Promise<Set<string>> {
  await db.pool.query('TRUNCATE filter_rows');
  for (const r of rows) {
    await db.pool.query('INSERT INTO filter_rows VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      r.id,
      r.account_id,
      r.uri,
      r.scope,
      r.owner_user_id,
      r.owner_agent_id,
      r.context_type ?? null,
      r.level ?? 0,
    ]);
  }
  const params: SqlParam[] = [];
  const where = compileSql(expr, params);
  const result = await db.pool.query<{ id: string }>(`SELECT id FROM filter_rows WHERE ${where}`, params);
  return new Set(result.rows.map((r) => r.id));
}

test('evaluate, compileSql on PostgreSQL and compileWhere on LanceDB select the same rows', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(rowArb, { minLength: 1, maxLength: 30 }),
      fc.array(exprArb, { minLength: 1, maxLength: 6 }),
      async (drawn, exprs) => {
        const rows: Row[] = drawn.map((r, i) => ({ id: `r${i}`, ...r }));
        const table = await createTempTable(rows);
        try {
          for (const expr of exprs) {
            const expected = new Set(rows.filter((r) => evaluate(expr, r)).map((r) => r.id));
            expect(await pgIds(rows, expr)).toEqual(expected);
            expect(await table.ids(compileWhere(expr))).toEqual(expected);
          }
        } finally {
          table.close();
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('the rows a hostile value selects, and the table untouched after it', async () => {
  const rows: Row[] = URIS.map((uri, i) => ({
    id: `u${i}`,
    account_id: 'acme',
    uri,
    scope: 'resources',
    owner_user_id: null,
    owner_agent_id: null,
    context_type: 'resource',
  }));
  // A LIKE 'viking://resources/a_b/%' would also take axb/c; starts_with takes a_b/c only.
  const ids = await pgIds(rows, subtree('viking://resources/a_b'));
  expect([...ids].map((id) => rows.find((r) => r.id === id)?.uri).sort()).toEqual([
    'viking://resources/a_b',
    'viking://resources/a_b/c',
  ]);
  for (const value of ["x'; DROP TABLE filter_rows; --", "' OR ''='", '\\', '%']) {
    expect(await pgIds(rows, eq('account_id', value))).toEqual(new Set());
  }
  expect((await db.pool.query('SELECT count(*)::int AS n FROM filter_rows')).rows).toEqual([
    { n: URIS.length },
  ]);
});

test.each([eq('account_id', 'a\u0000'), isIn('uri', ['\u0000']), subtree('viking://resources/\u0000')])(
  'NUL is refused by both compilers with INVALID_ARGUMENT (%j)',
  (expr) => {
    const refused = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
    expect(() => compileSql(expr, [])).toThrow(refused);
    expect(() => compileWhere(expr)).toThrow(refused);
  },
);
