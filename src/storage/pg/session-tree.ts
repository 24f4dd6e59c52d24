/**
 * The sessions in PostgreSQL as the filesystem shows them (the {@link SessionTree} of
 * {@link PgSessionStorage}): the layout of the local files (SPEC 8) rendered from the rows, so
 * `viking://session/…` reads, lists and stats alike in both modes and the archive files exist only
 * in the database. Read-only; nothing here writes.
 */
import type { ChildEntry, EntryInfo } from '../../fs/storage.js';
import { checkKey } from '../../fs/storage.js';
import { isValidId } from '../../policy/index.js';
import { HISTORY_DIR, MESSAGES_FILE, META_FILE, archiveName } from '../../sessions/files.js';
import { toJsonl } from '../../sessions/plan.js';
import { sessionMetaSchema, type SessionMeta } from '../../sessions/schema.js';
import type { SessionTree } from '../../sessions/storage.js';
import { USED_FILE } from '../../sessions/usage.js';
import { query, type Pool } from './pool.js';
import { archiveFileOf, messagesOf, usagesText } from './session-rows.js';

/** An entry of the tree: a folder with its children, or a file with its text. */
type Node =
  | { readonly kind: 'folder'; readonly mtime: Date; children(): Promise<ChildEntry[]> }
  | { readonly kind: 'file'; readonly mtime: Date; text(): Promise<string> };

interface SessionRow {
  meta: unknown;
  updated_at: Date;
  used: boolean;
  archives: number[];
  archived_at: Date[];
}

const folder = (name: string): ChildEntry => ({ name, kind: 'folder' });
const file = (name: string): ChildEntry => ({ name, kind: 'file' });
const byName = (a: ChildEntry, b: ChildEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The stored meta, checked like the local files check theirs. */
function metaOf(value: unknown, session_id: string): SessionMeta {
  const parsed = sessionMetaSchema.safeParse(value);
  if (!parsed.success) throw new Error(`corrupt meta of session '${session_id}' in PostgreSQL`);
  return parsed.data;
}

/** `.meta.json` as the local files hold it (jsonb keeps keys in an order of its own). */
function metaText(m: SessionMeta): string {
  const ordered: SessionMeta = {
    session_id: m.session_id,
    created_at: m.created_at,
    updated_at: m.updated_at,
    created_by_user_id: m.created_by_user_id,
    participant_user_ids: m.participant_user_ids,
    participant_agent_ids: m.participant_agent_ids,
    message_count: m.message_count,
    total_message_count: m.total_message_count,
    commit_count: m.commit_count,
    contexts_used: m.contexts_used,
    skills_used: m.skills_used,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export class PgSessionTree implements SessionTree {
  constructor(private readonly pool: Pool) {}

  async stat(account_id: string, uri: string): Promise<EntryInfo | null> {
    const node = await this.node(account_id, uri);
    if (node === null) return null;
    const size = node.kind === 'file' ? Buffer.byteLength(await node.text()) : 0;
    return { kind: node.kind, size, mtime: node.mtime };
  }

  async read(account_id: string, uri: string): Promise<Buffer | null> {
    const node = await this.node(account_id, uri);
    return node?.kind === 'file' ? Buffer.from(await node.text(), 'utf8') : null;
  }

  async list(account_id: string, uri: string): Promise<ChildEntry[]> {
    const node = await this.node(account_id, uri);
    return node?.kind === 'folder' ? (await node.children()).sort(byName) : [];
  }

  /** The entry at `uri` (below `viking://session`), or null. */
  private async node(account_id: string, uri: string): Promise<Node | null> {
    const [scope, session_id, name, archive, inArchive, ...rest] = checkKey(account_id, uri);
    if (scope !== 'session' || rest.length > 0) return null;
    if (session_id === undefined) {
      return { kind: 'folder', mtime: new Date(), children: () => this.sessions(account_id) };
    }
    if (!isValidId(session_id)) return null;
    const key: [string, string] = [account_id, session_id];
    const row = await this.session(key);
    if (row === null) return null;
    const mtime = row.updated_at;
    const meta = metaOf(row.meta, session_id);
    // As on local files: the log exists from the first append on, the usages file from the first
    // recorded usage on (a commit empties both, it does not remove them).
    const logged = meta.total_message_count > 0;
    const used = row.used || meta.contexts_used + meta.skills_used > 0;
    if (name === undefined) {
      const children = [file(META_FILE)];
      if (logged) children.push(file(MESSAGES_FILE));
      if (used) children.push(file(USED_FILE));
      if (row.archives.length > 0) children.push(folder(HISTORY_DIR));
      return { kind: 'folder', mtime, children: () => Promise.resolve(children) };
    }
    if (archive === undefined) {
      switch (name) {
        case META_FILE:
          return { kind: 'file', mtime, text: () => Promise.resolve(metaText(meta)) };
        case MESSAGES_FILE:
          return logged ? { kind: 'file', mtime, text: () => this.liveText(key) } : null;
        case USED_FILE:
          return used ? { kind: 'file', mtime, text: () => usagesText(this.pool, key) } : null;
        case HISTORY_DIR:
          if (row.archives.length === 0) return null;
          return {
            kind: 'folder',
            mtime,
            children: () => Promise.resolve(row.archives.map((n) => folder(archiveName(n)))),
          };
        default:
          return null;
      }
    }
    const i = name === HISTORY_DIR ? row.archives.findIndex((n) => archiveName(n) === archive) : -1;
    const n = row.archives[i];
    if (n === undefined) return null;
    const archivedAt = row.archived_at[i] ?? mtime;
    const names = async () => [MESSAGES_FILE, ...(await this.archiveFileNames(key, n))];
    if (inArchive === undefined) {
      return { kind: 'folder', mtime: archivedAt, children: async () => (await names()).map(file) };
    }
    if (!(await names()).includes(inArchive)) return null;
    return { kind: 'file', mtime: archivedAt, text: () => archiveFileOf(this.pool, key, n, inArchive) };
  }

  private async sessions(account_id: string): Promise<ChildEntry[]> {
    const { rows } = await query<{ session_id: string }>(
      this.pool,
      'SELECT session_id FROM sessions WHERE account_id = $1 ORDER BY session_id',
      [account_id],
    );
    return rows.map((row) => folder(row.session_id));
  }

  /** The session's meta, last change, whether usages are pending, and its archives; null without one. */
  private async session(key: [string, string]): Promise<SessionRow | null> {
    const { rows } = await query<SessionRow>(
      this.pool,
      `SELECT s.meta, s.updated_at,
         EXISTS (SELECT 1 FROM session_usages u
                 WHERE u.account_id = s.account_id AND u.session_id = s.session_id) AS used,
         ARRAY(SELECT a.archive FROM session_archives a
               WHERE a.account_id = s.account_id AND a.session_id = s.session_id
               ORDER BY a.archive) AS archives,
         ARRAY(SELECT a.created_at FROM session_archives a
               WHERE a.account_id = s.account_id AND a.session_id = s.session_id
               ORDER BY a.archive) AS archived_at
       FROM sessions s WHERE s.account_id = $1 AND s.session_id = $2`,
      key,
    );
    return rows[0] ?? null;
  }

  private async liveText(key: [string, string]): Promise<string> {
    const { rows } = await query<{ seq: string; message: unknown }>(
      this.pool,
      `SELECT seq, message FROM messages
       WHERE account_id = $1 AND session_id = $2 AND archive IS NULL ORDER BY seq`,
      key,
    );
    return toJsonl(messagesOf(rows).map((row) => row.message));
  }

  private async archiveFileNames(key: [string, string], n: number): Promise<string[]> {
    const { rows } = await query<{ name: string }>(
      this.pool,
      `SELECT name FROM session_archive_files
       WHERE account_id = $1 AND session_id = $2 AND archive = $3 ORDER BY name`,
      [...key, n],
    );
    return rows.map((row) => row.name);
  }
}
