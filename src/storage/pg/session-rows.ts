/**
 * Reads of session rows shared by {@link PgSessionStorage}'s statements: stored messages checked
 * like the local files check theirs, archive numbers and files, the pending usages as JSONL.
 */
import { MESSAGES_FILE } from '../../sessions/files.js';
import { toJsonl } from '../../sessions/plan.js';
import { storedMessageSchema, type StoredMessage } from '../../sessions/schema.js';
import { query, type Queryable } from './pool.js';

export interface MessageRow {
  readonly seq: string;
  readonly message: StoredMessage;
}

/**
 * Rows of `messages` (pg parses `json` itself), checked: a row that is not a message is an error,
 * never dropped.
 */
export function messagesOf(rows: readonly { seq: string | null; message: unknown }[]): MessageRow[] {
  return rows.map((row) => {
    const parsed = storedMessageSchema.safeParse(row.message);
    if (!parsed.success || row.seq === null) {
      throw new Error(`corrupt session message (seq ${row.seq ?? 'none'}) in PostgreSQL`);
    }
    return { seq: row.seq, message: parsed.data };
  });
}

export async function archiveNumbersOf(db: Queryable, key: [string, string]): Promise<number[]> {
  const { rows } = await query<{ archive: number }>(
    db,
    'SELECT archive FROM session_archives WHERE account_id = $1 AND session_id = $2 ORDER BY archive',
    key,
  );
  return rows.map((row) => row.archive);
}

/** A file of archive `n` as text, '' if there is none; its messages are rendered from their rows. */
export async function archiveFileOf(
  db: Queryable,
  key: [string, string],
  n: number,
  file: string,
): Promise<string> {
  if (file === MESSAGES_FILE) {
    const { rows } = await query<{ seq: string; message: unknown }>(
      db,
      `SELECT seq, message FROM messages WHERE account_id = $1 AND session_id = $2 AND archive = $3
       ORDER BY seq`,
      [...key, n],
    );
    return toJsonl(messagesOf(rows).map((row) => row.message));
  }
  const { rows } = await query<{ content: Buffer }>(
    db,
    `SELECT content FROM session_archive_files
     WHERE account_id = $1 AND session_id = $2 AND archive = $3 AND name = $4`,
    [...key, n, file],
  );
  return rows[0]?.content.toString('utf8') ?? '';
}

/** The usages recorded since the last commit, as the lines of a `.used.jsonl` ('' for none). */
export async function usagesText(db: Queryable, key: [string, string]): Promise<string> {
  const { rows } = await query<{ usage: unknown }>(
    db,
    'SELECT usage FROM session_usages WHERE account_id = $1 AND session_id = $2 ORDER BY seq',
    key,
  );
  return toJsonl(rows.map((row) => row.usage));
}
