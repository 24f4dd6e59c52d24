/**
 * The file tree in PostgreSQL (distributed mode, SPEC 14): table `files` of
 * migrations/pg/0001_base.sql, held together by 0004_files.sql (every row's parent exists, removal
 * cascades). One row per file or folder keyed by (account_id, uri): stat and read are one lookup,
 * a listing is `parent_uri = $2`, a subtree the key range [uri || '/', uri || '0') (byte order, no
 * LIKE: names with `%`, `_` or quotes are plain values). Every statement names the account; every
 * value is a bind parameter; errors go through mapPgError (unreachable → UNAVAILABLE).
 *
 * Across processes: `create` is INSERT … ON CONFLICT DO NOTHING (exactly one writer wins), replace
 * and append are one upsert each (an append concatenates in the row, under its lock), a move is one
 * UPDATE of the subtree in one transaction, and the foreign key's lock on the parent row makes a
 * concurrent removal take a new file with it instead of leaving an orphan.
 */
import { assertNever } from '../../errors.js';
import {
  accountGone,
  checkKey,
  destinationExists,
  fileExists,
  folderAt,
  foldersAbove,
  inTheWay,
  isAtOrBelow,
  noEntry,
  ROOT_URI,
  tooLarge,
  type ChildEntry,
  type EntryInfo,
  type EntryKind,
  type FileStorage,
  type StorageWriteOptions,
} from '../../fs/storage.js';
import { query, sqlStateOf, withTransaction, type Pool, type Queryable } from './pool.js';

const FK_VIOLATION = '23503';
const UNIQUE_VIOLATION = '23505';
/** Attempts of a change whose folder was removed or moved by another process meanwhile. */
const CHANGE_ATTEMPTS = 3;

interface StatRow {
  kind: EntryKind;
  size: string;
  mtime: Date;
}

/** The key range of the entries strictly below `uri`: [lo, hi) in byte order ('0' follows '/'). */
function rangeBelow(uri: string): [string, string] {
  return uri === ROOT_URI ? [ROOT_URI, 'viking:/0'] : [`${uri}/`, `${uri}0`];
}

/** The parent of a non-root URI (the last of the folders above it). */
function parentOf(uri: string): string {
  return foldersAbove(uri).at(-1) ?? ROOT_URI;
}

/**
 * Makes sure the given folders (shallowest first, never the root) exist: missing ones are inserted,
 * each after its parent; CONFLICT if one of them is a file. The foreign key refuses a folder whose
 * parent is gone (23503, see {@link PgFileStorage.change}).
 */
async function ensureFolders(c: Queryable, account_id: string, folders: readonly string[], uri: string) {
  if (folders.length === 0) return;
  await query(
    c,
    `INSERT INTO files (account_id, uri, parent_uri, kind)
     SELECT $1, u, p, 'folder' FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(u, p, n)
     ORDER BY n
     ON CONFLICT (account_id, uri) DO NOTHING`,
    [account_id, folders, folders.map(parentOf)],
  );
  const files = await query(
    c,
    "SELECT 1 FROM files WHERE account_id = $1 AND uri = ANY($2::text[]) AND kind = 'file' LIMIT 1",
    [account_id, folders],
  );
  if (files.rowCount !== 0) throw inTheWay(uri);
}

export class PgFileStorage implements FileStorage {
  constructor(private readonly pool: Pool) {}

  async createRoot(account_id: string): Promise<void> {
    checkKey(account_id, ROOT_URI);
    await query(
      this.pool,
      `INSERT INTO files (account_id, uri, parent_uri, kind) VALUES ($1, $2, NULL, 'folder')
       ON CONFLICT (account_id, uri) DO NOTHING`,
      [account_id, ROOT_URI],
    );
  }

  /**
   * Every account with a row has its root (rows hold their parents): the distinct account ids, one
   * primary-key probe each ("loose index scan"), never a scan of the whole table.
   */
  async accounts(): Promise<string[]> {
    const { rows } = await query<{ account_id: string }>(
      this.pool,
      `WITH RECURSIVE a (account_id) AS (
         (SELECT account_id FROM files ORDER BY account_id LIMIT 1)
         UNION ALL
         SELECT (SELECT f.account_id FROM files f WHERE f.account_id > a.account_id
                 ORDER BY f.account_id LIMIT 1)
         FROM a WHERE a.account_id IS NOT NULL
       )
       SELECT account_id FROM a WHERE account_id IS NOT NULL`,
    );
    return rows.map((row) => row.account_id);
  }

  async stat(account_id: string, uri: string): Promise<EntryInfo | null> {
    checkKey(account_id, uri);
    const { rows } = await query<StatRow>(
      this.pool,
      'SELECT kind, size, mtime FROM files WHERE account_id = $1 AND uri = $2',
      [account_id, uri],
    );
    const row = rows[0];
    return row === undefined ? null : { kind: row.kind, size: Number(row.size), mtime: row.mtime };
  }

  async blocked(account_id: string, uri: string): Promise<boolean> {
    checkKey(account_id, uri);
    const above = foldersAbove(uri).slice(1);
    if (above.length === 0) return false;
    const { rowCount } = await query(
      this.pool,
      "SELECT 1 FROM files WHERE account_id = $1 AND uri = ANY($2::text[]) AND kind = 'file' LIMIT 1",
      [account_id, above],
    );
    return rowCount !== 0;
  }

  async read(account_id: string, uri: string): Promise<Buffer | null> {
    checkKey(account_id, uri);
    const { rows } = await query<{ content: Buffer }>(
      this.pool,
      "SELECT content FROM files WHERE account_id = $1 AND uri = $2 AND kind = 'file'",
      [account_id, uri],
    );
    return rows[0]?.content ?? null;
  }

  async list(account_id: string, uri: string): Promise<ChildEntry[]> {
    checkKey(account_id, uri);
    const { rows } = await query<{ uri: string; kind: EntryKind }>(
      this.pool,
      'SELECT uri, kind FROM files WHERE account_id = $1 AND parent_uri = $2 ORDER BY uri',
      [account_id, uri],
    );
    const skip = uri === ROOT_URI ? uri.length : uri.length + 1;
    return rows.map((row) => ({ name: row.uri.slice(skip), kind: row.kind }));
  }

  async write(account_id: string, uri: string, data: Buffer, options: StorageWriteOptions): Promise<number> {
    if (checkKey(account_id, uri).length === 0) throw folderAt(uri);
    if (data.length > options.maxBytes) throw tooLarge(uri, options.maxBytes);
    return this.change(account_id, uri, async (c) => {
      await ensureFolders(c, account_id, foldersAbove(uri).slice(1), uri);
      const { rows } = await query<{ size: string }>(c, upsertSql(options.mode), [
        account_id,
        uri,
        parentOf(uri),
        data,
        data.length,
        ...(options.mode === 'append' ? [options.maxBytes] : []),
      ]);
      if (rows[0] !== undefined) return Number(rows[0].size);
      // Nothing written: why (the row that is there is locked by the upsert, or was seen by it).
      const there = await query<{ kind: EntryKind }>(
        c,
        'SELECT kind FROM files WHERE account_id = $1 AND uri = $2',
        [account_id, uri],
      );
      const kind = there.rows[0]?.kind;
      if (kind === 'folder') throw folderAt(uri);
      if (options.mode === 'create') throw fileExists(uri);
      throw tooLarge(uri, options.maxBytes);
    });
  }

  async mkdir(account_id: string, uri: string): Promise<void> {
    if (checkKey(account_id, uri).length === 0) return;
    await this.change(account_id, uri, (c) =>
      ensureFolders(c, account_id, [...foldersAbove(uri).slice(1), uri], uri),
    );
  }

  async move(account_id: string, from: string, to: string): Promise<void> {
    if (checkKey(account_id, from).length === 0) throw noEntry(from);
    if (checkKey(account_id, to).length === 0 || isAtOrBelow(to, from)) throw inTheWay(to);
    const [lo, hi] = rangeBelow(from);
    await this.change(account_id, to, async (c) => {
      const source = await query(c, 'SELECT 1 FROM files WHERE account_id = $1 AND uri = $2 FOR UPDATE', [
        account_id,
        from,
      ]);
      if (source.rowCount === 0) throw noEntry(from);
      await ensureFolders(c, account_id, foldersAbove(to).slice(1), to);
      const target = await query(c, 'SELECT 1 FROM files WHERE account_id = $1 AND uri = $2', [
        account_id,
        to,
      ]);
      if (target.rowCount !== 0) throw destinationExists(to);
      await query(
        c,
        `UPDATE files SET uri = $3 || substr(uri, length($2) + 1),
                parent_uri = CASE WHEN uri = $2 THEN $4 ELSE $3 || substr(parent_uri, length($2) + 1) END
         WHERE account_id = $1 AND (uri = $2 OR (uri >= $5 AND uri < $6))`,
        [account_id, from, to, parentOf(to), lo, hi],
      ).catch((error: unknown) => {
        // Created by another process since the check above.
        if (sqlStateOf(error) === UNIQUE_VIOLATION) throw destinationExists(to);
        throw error;
      });
    });
  }

  async remove(account_id: string, uri: string): Promise<boolean> {
    checkKey(account_id, uri);
    const [lo, hi] = rangeBelow(uri);
    // Deepest rows go with the range; the cascade also takes rows added under a locked parent.
    const { rowCount } = await query(
      this.pool,
      'DELETE FROM files WHERE account_id = $1 AND (uri = $2 OR (uri >= $3 AND uri < $4))',
      [account_id, uri, lo, hi],
    );
    return (rowCount ?? 0) > 0;
  }

  /**
   * Runs a change in a transaction. A foreign key violation means a folder on the way vanished
   * meanwhile (removed or moved by another process): without the account's root the account is
   * gone (NOT_FOUND); else the change is tried again, and CONFLICT if the way keeps changing.
   */
  private async change<T>(account_id: string, uri: string, fn: (c: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await withTransaction(this.pool, fn);
      } catch (error) {
        if (sqlStateOf(error) !== FK_VIOLATION) throw error;
        if ((await this.stat(account_id, ROOT_URI)) === null) throw accountGone();
        if (attempt >= CHANGE_ATTEMPTS) throw inTheWay(uri);
      }
    }
  }
}

/** The upsert of a write mode: $1 account, $2 uri, $3 parent, $4 content, $5 size, $6 max (append). */
function upsertSql(mode: StorageWriteOptions['mode']): string {
  const insert = `INSERT INTO files (account_id, uri, parent_uri, kind, content, size)
    VALUES ($1, $2, $3, 'file', $4, $5) ON CONFLICT (account_id, uri)`;
  switch (mode) {
    case 'create':
      return `${insert} DO NOTHING RETURNING size`;
    case 'replace':
      return `${insert} DO UPDATE SET content = EXCLUDED.content, size = EXCLUDED.size, mtime = now()
        WHERE files.kind = 'file' RETURNING size`;
    case 'append':
      return `${insert} DO UPDATE SET content = files.content || EXCLUDED.content,
        size = files.size + EXCLUDED.size, mtime = now()
        WHERE files.kind = 'file' AND files.size + EXCLUDED.size <= $6 RETURNING size`;
    default:
      return assertNever(mode);
  }
}
