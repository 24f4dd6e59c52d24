/**
 * Hostile ids and URI segments: either rejected with a typed error, or compiled into a filter whose SQL
 * text is exactly as expected and which matches exactly the intended rows of a real LanceDB table.
 */
import {
  and,
  compileWhere,
  DEFAULT_POLICY,
  eq,
  resolveUri,
  targetExpr,
  validateAgentId,
  validateId,
  validateUserIdForRegistration,
  visibilityExpr,
  type RequestContext,
} from '../../src/policy/index.js';
import { createTempTable, type Row } from '../helpers/lance-table.js';

const HOSTILE_IDS = [
  "alice'",
  "x' OR '1'='1",
  'a\\b',
  'a%',
  'a b',
  'a--b;',
  'a\u0000b',
  'ünï',
  '😀',
  '',
  'x'.repeat(129),
  "bot'--",
  'a/b',
  'a.b',
];

test.each(HOSTILE_IDS)('id %j is refused with INVALID_ARGUMENT', (id) => {
  for (const validate of [validateId, validateAgentId, validateUserIdForRegistration]) {
    expect(() => validate(id, 'id')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  }
});

test.each(HOSTILE_IDS.filter((id) => !id.includes('/') && id !== ''))(
  'id %j in an id position of a URI is INVALID_URI',
  (id) => {
    for (const uri of [`viking://user/${id}/x`, `viking://agent/${id}/x`, `viking://session/${id}`]) {
      expect(() => resolveUri(uri, null, DEFAULT_POLICY)).toThrow(
        expect.objectContaining({ code: 'INVALID_URI' }),
      );
    }
  },
);

test.each(['memories', 'profile.md'])('reserved user id %j is refused at registration', (id) => {
  expect(() => validateUserIdForRegistration(id)).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
  );
});

test.each(['memories', 'skills', 'instructions', 'workspaces'])('reserved agent id %j is refused', (id) => {
  expect(() => validateAgentId(id)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
});

test.each([
  'viking://resources/a\u0000b',
  'viking://resources/a\\b',
  `viking://resources/${'x'.repeat(4100)}`,
])('URI %j is INVALID_URI', (uri) => {
  expect(() => resolveUri(uri, null, DEFAULT_POLICY)).toThrow(
    expect.objectContaining({ code: 'INVALID_URI' }),
  );
});

const alice: RequestContext = {
  role: 'user',
  policy: DEFAULT_POLICY,
  effective: { account_id: 'acme', user_id: 'alice', agent_id: 'bot' },
};

/** Rows around each hostile folder name: the folder, its content, and decoys a naive filter would match. */
const FOLDERS = [
  "it's",
  "'; DROP TABLE records; --",
  '50%_off',
  'a_b',
  '%',
  'ünï😀',
  `long${'y'.repeat(240)}`,
];
const DECOYS: Record<string, string[]> = {
  "it's": ['its', 'it', "it's2"],
  "'; DROP TABLE records; --": ["'; DROP TABLE records; -", 'DROP TABLE records'],
  '50%_off': ['50X_off', '50%Xoff', '50%_offX', '50abc_off'],
  a_b: ['axb', 'a_bb', 'a'],
  '%': ['x', '%%', 'abc'],
  'ünï😀': ['uni', 'ünï'],
  [`long${'y'.repeat(240)}`]: [`long${'y'.repeat(239)}`],
};

function row(id: string, uri: string, account_id = 'acme'): Row {
  return { id, account_id, scope: 'resources', uri, owner_user_id: null, owner_agent_id: null };
}

test.each(FOLDERS)(
  'target subtree %j compiles to quoted SQL and matches exactly its rows',
  async (folder) => {
    const target = resolveUri(`viking://resources/${folder}`, alice.effective, alice.policy);
    const quoted = target.uri.replaceAll("'", "''");
    const sql = compileWhere(and(visibilityExpr(alice), targetExpr(target)));
    expect(sql).toContain(`(uri = '${quoted}' OR starts_with(uri, '${quoted}/'))`);
    expect(sql.startsWith("(account_id = 'acme' AND ")).toBe(true);

    const rows = [
      row('self', target.uri),
      row('child', `${target.uri}/doc.md`),
      row('deep', `${target.uri}/x/y.md`),
      row('other-account', `${target.uri}/doc.md`, 'globex'),
      ...(DECOYS[folder] ?? []).flatMap((d, i) => [
        row(`decoy${i}`, `viking://resources/${d}`),
        row(`decoy${i}-child`, `viking://resources/${d}/doc.md`),
      ]),
    ];
    const table = await createTempTable(rows);
    try {
      expect(await table.ids(sql)).toEqual(new Set(['self', 'child', 'deep']));
      // The table is intact: nothing in a value was executed as SQL.
      expect(await table.ids('TRUE')).toEqual(new Set(rows.map((r) => r.id)));
    } finally {
      table.close();
    }
  },
);

test('quoted values with backslashes and quotes match literally', async () => {
  const values = ["a'b", 'a\\b', "a\\'b", "a''b", 'a\\', "'"];
  const table = await createTempTable(values.map((v, i) => row(`v${i}`, v)));
  try {
    for (const [i, v] of values.entries()) {
      const sql = compileWhere(eq('uri', v));
      expect(sql).toBe(`uri = '${v.replaceAll("'", "''")}'`);
      expect(await table.ids(sql)).toEqual(new Set([`v${i}`]));
    }
  } finally {
    table.close();
  }
});
