/**
 * Sessions in PostgreSQL (distributed mode, SPEC 14), the {@link SessionStorage} of
 * migrations/pg/0001_base.sql and 0003_sessions.sql. Every change to a session is one transaction
 * that first locks the session's row (an append creates it in the same statement), so changes to
 * one session are linearizable across processes: an append reserves its `seq` numbers from
 * `next_seq` under the lock, and a commit moves messages into an archive all at once. The meta,
 * archive plans and summaries are computed by sessions/plan.ts, as for the local files. Errors pass
 * through mapPgError (an unreachable database is `UNAVAILABLE`, 503).
 */
import { AppError } from '../../errors.js';
import { validateId } from '../../policy/index.js';
import { MESSAGES_FILE } from '../../sessions/files.js';
import { newMeta } from '../../sessions/meta.js';
import {
  archiveFiles,
  committedName,
  metaAfterAppend,
  metaAfterCommit,
  metaAfterUsages,
  planCommit,
} from '../../sessions/plan.js';
import { sessionMetaSchema, type SessionMeta, type StoredMessage } from '../../sessions/schema.js';
import { sessionNotFound, type SessionStorage } from '../../sessions/storage.js';
import type { Usage } from '../../sessions/usage.js';
import { query, sqlStateOf, withTransaction, type Pool, type Queryable } from './pool.js';
import { archiveFileOf, archiveNumbersOf, messagesOf, usagesText } from './session-rows.js';
import { PgSessionTree } from './session-tree.js';

/** The key of a session, checked: ids are bind parameters, and only valid ones get here. */
function keyOf(account_id: string, session_id: string): [string, string] {
  return [validateId(account_id, 'account_id'), validateId(session_id, 'session_id')];
}

/** A stored meta, checked like the local files are: a corrupt row is an error, never dropped. */
function metaOf(value: unknown, session_id: string): SessionMeta {
  const parsed = sessionMetaSchema.safeParse(value);
  if (!parsed.success) throw new Error(`corrupt meta of session '${session_id}' in PostgreSQL`);
  return parsed.data;
}

/** Locks the session's row for the transaction; its meta, or null without a session. */
async function lockedMeta(c: Queryable, key: [string, string]): Promise<SessionMeta | null> {
  const { rows } = await query<{ meta: unknown }>(
    c,
    'SELECT meta FROM sessions WHERE account_id = $1 AND session_id = $2 FOR UPDATE',
    key,
  );
  return rows[0] === undefined ? null : metaOf(rows[0].meta, key[1]);
}

async function writeMeta(c: Queryable, key: [string, string], meta: SessionMeta): Promise<void> {
  await query(
    c,
    'UPDATE sessions SET meta = $3::jsonb, updated_at = now() WHERE account_id = $1 AND session_id = $2',
    [...key, JSON.stringify(meta)],
  );
}

export class PgSessionStorage implements SessionStorage {
  readonly tree: PgSessionTree;

  constructor(private readonly pool: Pool) {
    this.tree = new PgSessionTree(pool);
  }

  async create(account_id: string, session_id: string, creator: string): Promise<boolean> {
    const key = keyOf(account_id, session_id);
    const meta = newMeta(session_id, creator, new Date().toISOString());
    const created = await query(
      this.pool,
      `INSERT INTO sessions (account_id, session_id, meta) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (account_id, session_id) DO NOTHING`,
      [...key, JSON.stringify(meta)],
    );
    return created.rowCount === 1;
  }

  async meta(account_id: string, session_id: string): Promise<SessionMeta | null> {
    const { rows } = await query<{ meta: unknown }>(
      this.pool,
      'SELECT meta FROM sessions WHERE account_id = $1 AND session_id = $2',
      keyOf(account_id, session_id),
    );
    return rows[0] === undefined ? null : metaOf(rows[0].meta, session_id);
  }

  async list(account_id: string): Promise<string[]> {
    const { rows } = await query<{ session_id: string }>(
      this.pool,
      'SELECT session_id FROM sessions WHERE account_id = $1 ORDER BY session_id',
      [validateId(account_id, 'account_id')],
    );
    return rows.map((row) => row.session_id);
  }

  /** Messages, archives and usages go with the row (foreign keys ON DELETE CASCADE). */
  async remove(account_id: string, session_id: string): Promise<void> {
    const key = keyOf(account_id, session_id);
    await query(this.pool, 'DELETE FROM sessions WHERE account_id = $1 AND session_id = $2', key);
  }

  /**
   * One transaction: create-or-lock the session's row while taking `messages.length` numbers from
   * `next_seq`, insert the messages under them, store the new meta. Another process's append to the
   * same session waits for the row lock, so it numbers its messages after these.
   */
  async append(
    account_id: string,
    session_id: string,
    creator: string,
    messages: readonly StoredMessage[],
  ): Promise<number> {
    const key = keyOf(account_id, session_id);
    const now = new Date().toISOString();
    return withTransaction(this.pool, async (c) => {
      const { rows } = await query<{ meta: unknown; next_seq: string }>(
        c,
        `INSERT INTO sessions (account_id, session_id, meta, next_seq) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (account_id, session_id) DO UPDATE SET next_seq = sessions.next_seq + EXCLUDED.next_seq
         RETURNING meta, next_seq`,
        [...key, JSON.stringify(newMeta(session_id, creator, now)), messages.length],
      );
      const row = rows[0];
      if (row === undefined) throw new Error('the session row was not returned');
      const meta = metaOf(row.meta, session_id);
      const first = Number(row.next_seq) - messages.length;
      await query(
        c,
        `INSERT INTO messages (account_id, session_id, seq, message_id, message)
         SELECT $1, $2, $3::bigint + t.ord - 1, t.id, t.message::json
         FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS t(id, message, ord)`,
        [...key, first, messages.map((m) => m.id), messages.map((m) => JSON.stringify(m))],
      );
      const after = meta.message_count + messages.length;
      await writeMeta(c, key, metaAfterAppend(meta, after, messages, now));
      return after;
    });
  }

  async recordUsages(
    account_id: string,
    session_id: string,
    _caller: string,
    usages: readonly Usage[],
  ): Promise<SessionMeta> {
    const key = keyOf(account_id, session_id);
    return withTransaction(this.pool, async (c) => {
      const meta = (await lockedMeta(c, key)) ?? sessionNotFound(session_id);
      if (usages.length === 0) return meta;
      await query(
        c,
        `INSERT INTO session_usages (account_id, session_id, usage)
         SELECT $1, $2, u::json FROM unnest($3::text[]) WITH ORDINALITY AS t(u, ord) ORDER BY ord`,
        [...key, usages.map((u) => JSON.stringify(u))],
      );
      const next = metaAfterUsages(meta, usages);
      await writeMeta(c, key, next);
      return next;
    });
  }

  /**
   * One transaction under the session's row lock: the live messages but the newest `keep` get the
   * next archive's number, the archive's files are stored, the pending usages move into it, and the
   * meta is updated — all of it or, on any failure, none.
   */
  async commit(
    account_id: string,
    session_id: string,
    _caller: string,
    keep: number,
    extra: Readonly<Record<string, string>>,
  ): Promise<string | null> {
    const key = keyOf(account_id, session_id);
    return withTransaction(this.pool, async (c) => {
      const meta = (await lockedMeta(c, key)) ?? sessionNotFound(session_id);
      const live = await this.liveRows(c, key);
      const latest = (await archiveNumbersOf(c, key)).at(-1) ?? 0;
      const plan = planCommit(
        live.map((row) => row.message),
        keep,
        latest,
      );
      if (plan === null) return null;
      const files = archiveFiles(session_id, plan, await usagesText(c, key), extra);
      delete files[MESSAGES_FILE];
      await query(c, 'INSERT INTO session_archives (account_id, session_id, archive) VALUES ($1, $2, $3)', [
        ...key,
        plan.n,
      ]);
      await this.putFiles(c, key, plan.n, files);
      const archivedSeqs = live.slice(0, plan.fresh.length).map((row) => row.seq);
      await query(
        c,
        `UPDATE messages SET archive = $3
         WHERE account_id = $1 AND session_id = $2 AND archive IS NULL AND seq = ANY($4::bigint[])`,
        [...key, plan.n, archivedSeqs],
      );
      await query(c, 'DELETE FROM session_usages WHERE account_id = $1 AND session_id = $2', key);
      await writeMeta(c, key, metaAfterCommit(meta, plan, new Date().toISOString()));
      return committedName(plan);
    });
  }

  async liveMessages(account_id: string, session_id: string): Promise<StoredMessage[]> {
    return (await this.liveRows(this.pool, keyOf(account_id, session_id))).map((row) => row.message);
  }

  async allMessages(account_id: string, session_id: string): Promise<StoredMessage[] | null> {
    // One statement: no session is no row; a session without messages is one row without a message.
    const { rows } = await query<{ seq: string | null; message: unknown }>(
      this.pool,
      `SELECT m.seq, m.message FROM sessions s
       LEFT JOIN messages m ON m.account_id = s.account_id AND m.session_id = s.session_id
       WHERE s.account_id = $1 AND s.session_id = $2 ORDER BY m.seq`,
      keyOf(account_id, session_id),
    );
    if (rows.length === 0) return null;
    return messagesOf(rows.filter((row) => row.seq !== null)).map((row) => row.message);
  }

  async findMessages(
    account_id: string,
    session_id: string,
    message_ids: readonly string[],
  ): Promise<StoredMessage[]> {
    const { rows } = await query<{ seq: string; message: unknown }>(
      this.pool,
      `SELECT seq, message FROM messages
       WHERE account_id = $1 AND session_id = $2 AND message_id = ANY($3::text[]) ORDER BY seq`,
      [...keyOf(account_id, session_id), [...message_ids]],
    );
    return messagesOf(rows).map((row) => row.message);
  }

  async archiveNumbers(account_id: string, session_id: string): Promise<number[]> {
    return archiveNumbersOf(this.pool, keyOf(account_id, session_id));
  }

  async readArchiveFile(account_id: string, session_id: string, n: number, file: string): Promise<string> {
    return archiveFileOf(this.pool, keyOf(account_id, session_id), n, file);
  }

  /** NOT_FOUND when there is no such archive. */
  async writeArchiveFile(
    account_id: string,
    session_id: string,
    n: number,
    file: string,
    content: string,
  ): Promise<void> {
    if (file === MESSAGES_FILE) throw new Error("an archive's messages are never rewritten");
    const key = keyOf(account_id, session_id);
    try {
      await this.putFiles(this.pool, key, n, { [file]: content });
    } catch (error) {
      if (sqlStateOf(error) !== '23503') throw error;
      throw new AppError('NOT_FOUND', `archive ${n} of session '${session_id}' not found`, { session_id });
    }
  }

  private async liveRows(db: Queryable, key: [string, string]) {
    const { rows } = await query<{ seq: string; message: unknown }>(
      db,
      `SELECT seq, message FROM messages
       WHERE account_id = $1 AND session_id = $2 AND archive IS NULL ORDER BY seq`,
      key,
    );
    return messagesOf(rows);
  }

  private async putFiles(
    db: Queryable,
    key: [string, string],
    n: number,
    files: Readonly<Record<string, string>>,
  ): Promise<void> {
    const names = Object.keys(files);
    await query(
      db,
      `INSERT INTO session_archive_files (account_id, session_id, archive, name, content)
       SELECT $1, $2, $3, t.name, t.content FROM unnest($4::text[], $5::bytea[]) AS t(name, content)
       ON CONFLICT (account_id, session_id, archive, name) DO UPDATE SET content = EXCLUDED.content`,
      [...key, n, names, names.map((name) => Buffer.from(files[name] ?? '', 'utf8'))],
    );
  }
}
