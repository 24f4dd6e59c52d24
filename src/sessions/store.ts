/**
 * The durable state of sessions (SPEC 8) behind a per-session lock: creating, appending, recording
 * usages, committing into `history/archive_NNN` and removing. Every change to one session runs under
 * its lock; the message log is append-only and the meta file is replaced atomically (a damaged one is
 * rebuilt from the log, see repair.ts). It knows nothing of callers, permissions or indexing: the
 * session service decides who may change what and tells the indexer afterwards.
 */
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { KeyedMutex } from '../storage/atomic.js';
import {
  ABSTRACT_FILE,
  MESSAGES_FILE,
  OVERVIEW_FILE,
  SessionFiles,
  archiveName,
  parseMessages,
} from './files.js';
import { addParticipants, newMeta } from './meta.js';
import { repairMeta } from './repair.js';
import type { SessionMeta, StoredMessage } from './schema.js';
import { abstractOf, overviewOf } from './summary.js';
import { USED_FILE, parseUsages, usageSection, type Usage } from './usage.js';

/** The 404 of a session that does not exist. */
function sessionNotFound(session_id: string): never {
  throw new AppError('NOT_FOUND', `session '${session_id}' not found`, { session_id });
}

export class SessionStore {
  readonly files: SessionFiles;
  private readonly mutex = new KeyedMutex();
  /** Live message count per session, valid while messages.jsonl keeps the recorded size. */
  private readonly counts = new Map<string, { size: number; count: number }>();

  constructor(dataDir: string) {
    this.files = new SessionFiles(dataDir);
  }

  /** Creates the session unless it exists; true if it was created. */
  create(account: string, session_id: string, creator: string): Promise<boolean> {
    return this.locked(account, session_id, async () => {
      if ((await this.metaLocked(account, session_id, creator)) !== null) return false;
      await this.files.makeDir(account, session_id);
      await this.files.writeMeta(account, newMeta(session_id, creator, new Date().toISOString()));
      return true;
    });
  }

  /**
   * The meta of an existing session (404 otherwise); takes the lock only to repair a damaged meta,
   * naming `caller` as the creator if the log does not tell.
   */
  async meta(account: string, session_id: string, caller: string): Promise<SessionMeta> {
    const found = await this.files.readMeta(account, session_id);
    const meta =
      found.state === 'damaged'
        ? await this.locked(account, session_id, () => this.metaLocked(account, session_id, caller))
        : found.state === 'ok'
          ? found.meta
          : null;
    return meta ?? sessionNotFound(session_id);
  }

  /** Removes the session and everything in it; nothing happens if there is none. */
  remove(account: string, session_id: string): Promise<void> {
    return this.locked(account, session_id, async () => {
      await this.files.removeSession(account, session_id);
      this.counts.delete(this.key(account, session_id));
    });
  }

  /**
   * Appends the messages' lines at once, then replaces the meta; creates the session (by `creator`)
   * if it does not exist. Returns the live message count.
   */
  append(
    account: string,
    session_id: string,
    creator: string,
    messages: readonly StoredMessage[],
  ): Promise<number> {
    return this.locked(account, session_id, () => this.appendLocked(account, session_id, creator, messages));
  }

  /** Records usages until the next commit and counts them in the meta; returns the new meta. */
  recordUsages(
    account: string,
    session_id: string,
    caller: string,
    usages: readonly Usage[],
  ): Promise<SessionMeta> {
    return this.locked(account, session_id, async () => {
      const current = (await this.metaLocked(account, session_id, caller)) ?? sessionNotFound(session_id);
      const path = join(this.files.dir(account, session_id), USED_FILE);
      for (const usage of usages) await this.files.appendLine(path, JSON.stringify(usage));
      const count = (type: Usage['type']) => usages.filter((u) => u.type === type).length;
      const next = {
        ...current,
        contexts_used: current.contexts_used + count('context'),
        skills_used: current.skills_used + count('skill'),
      };
      if (usages.length > 0) await this.files.writeMeta(account, next);
      return next;
    });
  }

  /**
   * Archives the live messages except the newest `keep`, with extractive summaries. Returns the
   * archive's name, or null if there was nothing new to archive.
   */
  /** `extra`: further files of the new archive, written with it (e.g. extraction's pending marker). */
  commit(
    account: string,
    session_id: string,
    caller: string,
    keep: number,
    extra: Record<string, string> = {},
  ): Promise<string | null> {
    return this.locked(account, session_id, () =>
      this.commitLocked(account, session_id, caller, keep, extra),
    );
  }

  private key(account: string, session_id: string): string {
    return `${account}/${session_id}`;
  }

  private locked<T>(account: string, session_id: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(this.key(account, session_id), work);
  }

  /** The session's meta, or null if there is no session; under the lock (it may repair the meta). */
  private async metaLocked(account: string, session_id: string, caller: string): Promise<SessionMeta | null> {
    const found = await this.files.readMeta(account, session_id);
    if (found.state === 'damaged') return repairMeta(this.files, account, session_id, caller);
    return found.state === 'ok' ? found.meta : null;
  }
  /** Under the lock: append the messages' lines at once, then replace the meta. Returns the live count. */
  private async appendLocked(
    account: string,
    session_id: string,
    creator: string,
    messages: readonly StoredMessage[],
  ): Promise<number> {
    const now = new Date().toISOString();
    let meta = await this.metaLocked(account, session_id, creator);
    if (meta === null) {
      await this.files.makeDir(account, session_id);
      meta = newMeta(session_id, creator, now);
    }
    const path = this.files.messagesPath(account, session_id);
    const key = this.key(account, session_id);
    const cached = this.counts.get(key);
    let count: number;
    if (cached !== undefined && cached.size === (await this.files.size(path))) {
      count = cached.count;
    } else {
      // First touch since start (or the file changed underneath): recount and repair the meta,
      // which a crash between append and meta write may have left behind.
      const live = await this.files.readMessagesAt(path);
      count = live.length;
      meta = addParticipants(meta, live);
    }
    const size = await this.files.appendLine(path, messages.map((m) => JSON.stringify(m)).join('\n'));
    const after = count + messages.length;
    this.counts.set(key, { size, count: after });
    const total = meta.total_message_count + (after - meta.message_count);
    meta = addParticipants(
      { ...meta, message_count: after, total_message_count: total, updated_at: now },
      messages,
    );
    await this.files.writeMeta(account, meta);
    return after;
  }

  /**
   * Under the lock: archive the live messages except the newest `keep`. Returns the archive name, or
   * null if there was nothing new. Messages already in the newest archive are skipped: a crash after
   * the archive was renamed into place but before the live log was rewritten must not archive them twice.
   */
  private async commitLocked(
    account: string,
    session_id: string,
    caller: string,
    keep: number,
    extra: Record<string, string>,
  ): Promise<string | null> {
    const meta = (await this.metaLocked(account, session_id, caller)) ?? sessionNotFound(session_id);
    const path = this.files.messagesPath(account, session_id);
    const messages = await this.files.readMessagesAt(path);
    if (messages.length <= keep) return null;
    const retained = keep === 0 ? [] : messages.slice(-keep);
    const latest = (await this.files.archiveNumbers(account, session_id)).at(-1) ?? 0;
    const archived = await this.archivedIds(account, session_id, latest);
    const fresh = messages.slice(0, messages.length - keep).filter((m) => !archived.has(m.id));
    const n = fresh.length > 0 ? latest + 1 : latest;
    const usedPath = join(this.files.dir(account, session_id), USED_FILE);
    if (fresh.length > 0) {
      // Usages recorded since the last commit belong to the turns archived now.
      const usedText = await this.files.readText(usedPath);
      const section = usageSection(parseUsages(usedText));
      const overview = overviewOf(session_id, archiveName(n), fresh);
      await this.files.writeArchive(account, session_id, n, {
        [MESSAGES_FILE]: fresh.map((m) => `${JSON.stringify(m)}\n`).join(''),
        [OVERVIEW_FILE]: section === '' ? overview : `${overview}\n${section}`,
        [ABSTRACT_FILE]: abstractOf(fresh),
        ...(usedText === '' ? {} : { [USED_FILE]: usedText }),
        ...extra,
      });
      if (usedText !== '') await this.files.writeFile(account, usedPath, '');
    }
    const live = retained.map((m) => `${JSON.stringify(m)}\n`).join('');
    await this.files.writeFile(account, path, live);
    this.counts.set(this.key(account, session_id), { size: Buffer.byteLength(live), count: retained.length });
    const updated_at = new Date().toISOString();
    await this.files.writeMeta(account, {
      ...meta,
      message_count: retained.length,
      commit_count: n,
      updated_at,
    });
    return fresh.length > 0 ? archiveName(n) : null;
  }

  private async archivedIds(account: string, session_id: string, n: number): Promise<Set<string>> {
    if (n === 0) return new Set();
    const text = await this.files.readArchiveFile(account, session_id, n, MESSAGES_FILE);
    return new Set(parseMessages(text, `${session_id} ${archiveName(n)}`).map((m) => m.id));
  }
}
