/**
 * Retrieval tags in PostgreSQL (distributed mode, SPEC 14): tables `tag_versions` and `tags` of
 * migrations/pg/0005_tags.sql. The version is one primary-key lookup, so every process checks its
 * cached tags on each read. A change is one transaction that locks the account's version row (so
 * writers of every process take turns), edits the tags as of that moment (the caller's cached copy
 * when its version is still the current one, else read in the transaction), writes only the URIs
 * that changed and moves the version on. Every value is a bind parameter; errors go through
 * mapPgError (unreachable → UNAVAILABLE).
 */
import { z } from 'zod';
import { checkKey } from '../../fs/storage.js';
import { validateId } from '../../policy/ids.js';
import { changedUris, type TagMap, type TagSnapshot, type TagStorage } from '../../tags/storage.js';
import { query, withTransaction, type Pool, type Queryable } from './pool.js';

/** The version of an account without tags (no version row: never tagged, or removed). */
const NONE = '0';
const tagList = z.array(z.string());

interface LoadRow {
  version: string;
  uri: string | null;
  tags: unknown;
}

export class PgTagStorage implements TagStorage {
  constructor(private readonly pool: Pool) {}

  async version(account_id: string): Promise<string> {
    validateId(account_id, 'account_id');
    const { rows } = await query<{ version: string }>(
      this.pool,
      'SELECT version FROM tag_versions WHERE account_id = $1',
      [account_id],
    );
    return rows[0]?.version ?? NONE;
  }

  async load(account_id: string): Promise<TagSnapshot> {
    validateId(account_id, 'account_id');
    // One statement, one snapshot: the version and the rows agree.
    const { rows } = await query<LoadRow>(
      this.pool,
      `SELECT coalesce(v.version, 0)::text AS version, t.uri, t.tags
       FROM (SELECT $1::text AS account_id) AS a
       LEFT JOIN tag_versions v ON v.account_id = a.account_id
       LEFT JOIN tags t ON t.account_id = a.account_id
       ORDER BY t.uri`,
      [account_id],
    );
    const tags = new Map<string, readonly string[]>();
    for (const row of rows) if (row.uri !== null) tags.set(row.uri, tagList.parse(row.tags));
    return { version: rows[0]?.version ?? NONE, tags };
  }

  change<T>(
    account_id: string,
    cached: TagSnapshot | undefined,
    edit: (tags: Map<string, readonly string[]>) => T,
  ): Promise<{ result: T; snapshot: TagSnapshot }> {
    validateId(account_id, 'account_id');
    return withTransaction(this.pool, async (c) => {
      // The version row, created if missing (empty tags), then locked: other writers wait here.
      await query(
        c,
        'INSERT INTO tag_versions (account_id, version) VALUES ($1, 0) ON CONFLICT (account_id) DO NOTHING',
        [account_id],
      );
      const locked = await query<{ version: string }>(
        c,
        'SELECT version FROM tag_versions WHERE account_id = $1 FOR UPDATE',
        [account_id],
      );
      const current = cached !== undefined && cached.version === locked.rows[0]?.version;
      const before = current ? cached.tags : await tagsIn(c, account_id);
      const next = new Map(before);
      const result = edit(next);
      const changed = changedUris(before, next);
      for (const uri of changed) checkKey(account_id, uri);
      await writeChanges(c, account_id, next, changed);
      const moved = await query<{ version: string }>(
        c,
        "UPDATE tag_versions SET version = nextval('tag_versions_seq') WHERE account_id = $1 RETURNING version",
        [account_id],
      );
      const version = moved.rows[0]?.version;
      if (version === undefined) throw new Error('the locked tag version row is gone');
      return { result, snapshot: { version, tags: next } };
    });
  }

  async removeAccount(account_id: string): Promise<void> {
    validateId(account_id, 'account_id');
    // The tags go with the version row (ON DELETE CASCADE), after any change holding it committed.
    await query(this.pool, 'DELETE FROM tag_versions WHERE account_id = $1', [account_id]);
  }
}

/** An account's tags as a transaction sees them. */
async function tagsIn(c: Queryable, account_id: string): Promise<Map<string, readonly string[]>> {
  const { rows } = await query<{ uri: string; tags: unknown }>(
    c,
    'SELECT uri, tags FROM tags WHERE account_id = $1 ORDER BY uri',
    [account_id],
  );
  return new Map(rows.map((row) => [row.uri, tagList.parse(row.tags)]));
}

/** Deletes the changed URIs that have no tags in `next` and upserts the others. */
async function writeChanges(c: Queryable, account_id: string, next: TagMap, changed: readonly string[]) {
  const removed = changed.filter((uri) => !next.has(uri));
  const set = changed.flatMap((uri) => {
    const tags = next.get(uri);
    return tags === undefined ? [] : [[uri, tags] as const];
  });
  if (removed.length > 0) {
    await query(c, 'DELETE FROM tags WHERE account_id = $1 AND uri = ANY($2::text[])', [account_id, removed]);
  }
  if (set.length > 0) {
    await query(
      c,
      `INSERT INTO tags (account_id, uri, tags)
       SELECT $1, e.key, e.value FROM jsonb_each($2::jsonb) AS e
       ON CONFLICT (account_id, uri) DO UPDATE SET tags = EXCLUDED.tags`,
      [account_id, JSON.stringify(Object.fromEntries(set))],
    );
  }
}
