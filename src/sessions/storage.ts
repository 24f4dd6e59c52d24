/**
 * Where sessions are stored (SPEC 8, SPEC 14): the one interface the session service, its reader and
 * memory extraction go through, with the local files of the embedded mode (`local-storage.ts`,
 * today's layout) and PostgreSQL in distributed mode (`storage/pg/sessions.ts`). Every change to one
 * session is serialised by the storage itself (a per-session lock in one process; a row lock across
 * processes), so appends are linearizable and a commit is all or nothing. Ids are validated by the
 * caller; the storage knows nothing of callers, permissions or indexing. The arithmetic both
 * implementations share (meta after an append, what a commit archives) is `plan.ts`.
 */
import { AppError } from '../errors.js';
import type { FileStorage } from '../fs/storage.js';
import type { SessionMeta, StoredMessage } from './schema.js';
import type { Usage } from './usage.js';

/**
 * A storage's sessions as the filesystem shows them, read-only: `viking://session` lists the
 * sessions, `viking://session/{S}` holds `.meta.json`, `messages.jsonl` (the live messages),
 * `.used.jsonl` (usages not yet committed) and `history/archive_NNN/` with each archive's files.
 * The filesystem reads everything below `viking://session` through this (src/fs/session-tree.ts),
 * in both modes; it never writes there.
 */
export type SessionTree = Pick<FileStorage, 'stat' | 'read' | 'list'>;

export interface SessionStorage {
  /** The sessions as files, for the filesystem (and the indexer, once it reads through the file tree). */
  readonly tree: SessionTree;
  /** Creates the session (by `creator`) unless it exists; true if it was created. */
  create(account_id: string, session_id: string, creator: string): Promise<boolean>;
  /**
   * The session's meta, or null without a session. A storage that can find its meta damaged (local
   * files after a crash) rebuilds it, naming `caller` as the creator if nothing else tells.
   */
  meta(account_id: string, session_id: string, caller: string): Promise<SessionMeta | null>;
  /** Ids of the account's sessions, in byte order. */
  list(account_id: string): Promise<string[]>;
  /** Removes the session and everything in it; nothing happens if there is none. */
  remove(account_id: string, session_id: string): Promise<void>;
  /**
   * Appends the messages in order, all or none, and updates the meta; creates the session (by
   * `creator`) if missing. Returns the live message count after the append: appends to one session
   * are linearizable, so concurrent appends answer distinct counts.
   */
  append(
    account_id: string,
    session_id: string,
    creator: string,
    messages: readonly StoredMessage[],
  ): Promise<number>;
  /** Records usages until the next commit and counts them in the meta; NOT_FOUND without a session. */
  recordUsages(
    account_id: string,
    session_id: string,
    caller: string,
    usages: readonly Usage[],
  ): Promise<SessionMeta>;
  /**
   * Archives the live messages except the newest `keep` into the next archive with its summaries,
   * the pending usages and `extra` files, atomically. Returns the archive's name (`archive_001`), or
   * null if there was nothing new to archive; NOT_FOUND without a session.
   */
  commit(
    account_id: string,
    session_id: string,
    caller: string,
    keep: number,
    extra: Readonly<Record<string, string>>,
  ): Promise<string | null>;
  /** The live (not yet archived) messages, oldest first; empty without a session. */
  liveMessages(account_id: string, session_id: string): Promise<StoredMessage[]>;
  /**
   * Every stored message, archived ones first (oldest archive first), then the live ones, each
   * once; null without a session.
   */
  allMessages(account_id: string, session_id: string): Promise<StoredMessage[] | null>;
  /**
   * The stored messages (live or archived) among `message_ids`. It may return other messages of the
   * session read on the way (callers may cache them), never another session's.
   */
  findMessages(
    account_id: string,
    session_id: string,
    message_ids: readonly string[],
  ): Promise<StoredMessage[]>;
  /** Numbers of the session's archives, ascending (empty without one). */
  archiveNumbers(account_id: string, session_id: string): Promise<number[]>;
  /**
   * A file of archive `n` (`messages.jsonl`, `.overview.md`, `.abstract.md`, `.used.jsonl`, or one
   * written with it or later): its text, '' if there is none.
   */
  readArchiveFile(account_id: string, session_id: string, n: number, file: string): Promise<string>;
  /** Replaces a file of an existing archive (summaries, extraction state); never its messages. */
  writeArchiveFile(
    account_id: string,
    session_id: string,
    n: number,
    file: string,
    content: string,
  ): Promise<void>;
}

/** The 404 of a session that does not exist. */
export function sessionNotFound(session_id: string): never {
  throw new AppError('NOT_FOUND', `session '${session_id}' not found`, { session_id });
}
