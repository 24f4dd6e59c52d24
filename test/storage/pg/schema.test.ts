/**
 * The base schema (migrations/pg/0001_base.sql) supports the single statements SPEC 14's files and
 * sessions need, across processes: `create` never overwrites, a move is one UPDATE over the
 * subtree's key range, appends to one session are linearizable; and it refuses incoherent rows.
 */
import { createPool, query, withTransaction, type Pool } from '../../../src/storage/pg/pool.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

const put = (db: Pool, uri: string, parent: string | null, kind: 'file' | 'folder', content?: string) =>
  query(
    db,
    `INSERT INTO files (account_id, uri, parent_uri, kind, content, size) VALUES ('acme', $1, $2, $3, $4, $5)
     ON CONFLICT (account_id, uri) DO NOTHING`,
    [uri, parent, kind, content === undefined ? null : Buffer.from(content), content?.length ?? 0],
  );

describe('schema 0001: files and sessions', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    // Every row's parent exists (0004_files.sql): the account's root and the scope folder first.
    await put(db.pool, 'viking://', null, 'folder');
    await put(db.pool, 'viking://resources', 'viking://', 'folder');
  });
  afterAll(async () => {
    await db.drop();
  });

  test('create mode (INSERT … ON CONFLICT DO NOTHING) never overwrites, whoever writes first', async () => {
    const other = createPool(db.url);
    try {
      const results = await Promise.all([
        put(db.pool, 'viking://resources/c.md', 'viking://resources', 'file', 'first'),
        put(other, 'viking://resources/c.md', 'viking://resources', 'file', 'second'),
      ]);
      expect(results.map((r) => r.rowCount).sort()).toEqual([0, 1]);
      const { rows } = await db.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM files WHERE uri = 'viking://resources/c.md'",
      );
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      await other.end();
    }
  });

  test("a move is one UPDATE over the subtree's key range (byte order: no sibling with a longer name)", async () => {
    await put(db.pool, 'viking://resources/a', 'viking://resources', 'folder');
    await put(db.pool, 'viking://resources/a/x.md', 'viking://resources/a', 'file', 'x');
    await put(db.pool, 'viking://resources/a/b', 'viking://resources/a', 'folder');
    await put(db.pool, 'viking://resources/a/b/y.md', 'viking://resources/a/b', 'file', 'y');
    // Siblings that share the prefix must not move: 'a-b' ('-' < '/') and 'a0', 'ab' (> '/').
    for (const sibling of ['a-b', 'a0', 'ab', 'a%']) {
      await put(db.pool, `viking://resources/${sibling}`, 'viking://resources', 'file', sibling);
    }
    const from = 'viking://resources/a';
    const to = 'viking://resources/z';
    const moved = await query(
      db.pool,
      `UPDATE files SET uri = $3 || substr(uri, length($2) + 1),
              parent_uri = CASE WHEN uri = $2 THEN parent_uri ELSE $3 || substr(parent_uri, length($2) + 1) END
       WHERE account_id = $1 AND (uri = $2 OR (uri >= $2 || '/' AND uri < $2 || '0'))`,
      ['acme', from, to],
    );
    expect(moved.rowCount).toBe(4);
    const { rows } = await db.pool.query<{ uri: string; parent_uri: string }>(
      "SELECT uri, parent_uri FROM files WHERE uri LIKE 'viking://resources/%' ORDER BY uri",
    );
    expect(rows).toEqual([
      { uri: 'viking://resources/a%', parent_uri: 'viking://resources' },
      { uri: 'viking://resources/a-b', parent_uri: 'viking://resources' },
      { uri: 'viking://resources/a0', parent_uri: 'viking://resources' },
      { uri: 'viking://resources/ab', parent_uri: 'viking://resources' },
      { uri: 'viking://resources/c.md', parent_uri: 'viking://resources' },
      { uri: 'viking://resources/z', parent_uri: 'viking://resources' },
      { uri: 'viking://resources/z/b', parent_uri: 'viking://resources/z' },
      { uri: 'viking://resources/z/b/y.md', parent_uri: 'viking://resources/z/b' },
      { uri: 'viking://resources/z/x.md', parent_uri: 'viking://resources/z' },
    ]);
  });

  test('ids and URIs compare byte-wise whatever the database default collation (the key ranges rely on it)', async () => {
    const { rows } = await db.pool.query<{ column: string; collation_name: string | null }>(
      `SELECT table_name || '.' || column_name AS column, collation_name FROM information_schema.columns
       WHERE table_schema = 'public' AND column_name IN ('account_id', 'user_id', 'uri', 'parent_uri', 'session_id')
       ORDER BY 1`,
    );
    // 0001's files, sessions, messages, accounts, users; 0002's index_jobs and index_records;
    // 0003's session_archives, session_archive_files and session_usages; 0005's tag_versions
    // (account_id) and tags (account_id, uri); 0006's uploads (account_id, user_id); 0009's
    // index_failures (account_id, uri).
    expect(rows.length).toBe(27);
    expect(rows.filter((row) => row.collation_name !== 'C')).toEqual([]);
  });

  test.each([
    ['a folder with content', 'folder', 'x'],
    ['a file without content', 'file', undefined],
  ] as const)('%s is refused', async (_name, kind, content) => {
    await expect(
      put(db.pool, 'viking://resources/bad', 'viking://resources', kind, content),
    ).rejects.toMatchObject({
      code: '23514',
    });
  });

  test.each([
    [
      'a parent that is not the URI without its last name',
      'viking://resources/p/q',
      'viking://resources',
      '23514',
    ],
    ['a root that is not viking://', 'viking://resources/r', null, '23514'],
    ['a missing parent', 'viking://resources/none/x', 'viking://resources/none', '23503'],
  ] as const)('0004: a row with %s is refused', async (_name, uri, parent, code) => {
    await expect(put(db.pool, uri, parent, 'folder')).rejects.toMatchObject({ code });
  });

  test('0004: removing a folder takes every row below it (ON DELETE CASCADE)', async () => {
    await put(db.pool, 'viking://resources/gone', 'viking://resources', 'folder');
    await put(db.pool, 'viking://resources/gone/in', 'viking://resources/gone', 'folder');
    await put(db.pool, 'viking://resources/gone/in/f.md', 'viking://resources/gone/in', 'file', 'f');
    await query(db.pool, "DELETE FROM files WHERE uri = 'viking://resources/gone'");
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM files WHERE uri LIKE 'viking://resources/gone%'",
    );
    expect(rows).toEqual([{ n: 0 }]);
  });

  test('appends from several processes to one session: every acknowledged message, numbered 0..n-1 without gaps', async () => {
    await db.pool.query("INSERT INTO sessions (account_id, session_id) VALUES ('acme', 's1')");
    const pools = [createPool(db.url), createPool(db.url), createPool(db.url)];
    const append = (pool: Pool, text: string) =>
      withTransaction(pool, async (c) => {
        const { rows } = await c.query<{ seq: string }>(
          "UPDATE sessions SET next_seq = next_seq + 1, updated_at = now() WHERE account_id = 'acme' AND session_id = 's1' RETURNING next_seq - 1 AS seq",
        );
        await c.query(
          "INSERT INTO messages (account_id, session_id, seq, message) VALUES ('acme', 's1', $1, $2)",
          [rows[0]?.seq, JSON.stringify({ text })],
        );
        return Number(rows[0]?.seq);
      });
    try {
      const seqs = await Promise.all(
        Array.from({ length: 60 }, (_, i) => append(pools[i % 3] as Pool, `m${i}`)),
      );
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      const { rows } = await db.pool.query<{ n: number; max: string }>(
        "SELECT count(*)::int AS n, max(seq) AS max FROM messages WHERE session_id = 's1'",
      );
      expect(rows).toEqual([{ n: 60, max: '59' }]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });
});
