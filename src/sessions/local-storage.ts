/**
 * Sessions on local files, the embedded mode's {@link SessionStorage} (SPEC 8's layout, unchanged):
 * `{DATA_DIR}/fs/{account}/session/{S}/messages.jsonl`, `.meta.json`, `.used.jsonl` and
 * `history/archive_NNN/`. Every change to one session runs under its lock (one process per DATA_DIR:
 * the pid lock); the message log is append-only and the meta file is replaced atomically (a damaged
 * one is rebuilt from the log, see repair.ts); an archive is filled under a temporary name and
 * renamed into place, so it is complete or absent.
 */
import { join } from 'node:path';
import { KeyedMutex } from '../storage/atomic.js';
import { LocalFileStorage } from '../storage/local-files.js';
import { MESSAGES_FILE, SessionFiles, archiveName, parseMessages } from './files.js';
import { allMessages, findMessages } from './local-reads.js';
import { addParticipants, newMeta } from './meta.js';
import {
  archiveFiles,
  committedName,
  metaAfterAppend,
  metaAfterCommit,
  metaAfterUsages,
  planCommit,
  toJsonl,
} from './plan.js';
import { repairMeta } from './repair.js';
import type { SessionMeta, StoredMessage } from './schema.js';
import { sessionNotFound, type SessionStorage, type SessionTree } from './storage.js';
import { USED_FILE, type Usage } from './usage.js';

export class LocalSessionStorage implements SessionStorage {
  readonly files: SessionFiles;
  /** The session files are the files of the tree under `viking://session`: served as they are. */
  readonly tree: SessionTree;
  private readonly mutex = new KeyedMutex();
  /** Live message count per session, valid while messages.jsonl keeps the recorded size. */
  private readonly counts = new Map<string, { size: number; count: number }>();

  constructor(dataDir: string) {
    this.files = new SessionFiles(dataDir);
    this.tree = new LocalFileStorage(dataDir);
  }

  create(account: string, session_id: string, creator: string): Promise<boolean> {
    return this.locked(account, session_id, async () => {
      if ((await this.metaLocked(account, session_id, creator)) !== null) return false;
      await this.files.makeDir(account, session_id);
      await this.files.writeMeta(account, newMeta(session_id, creator, new Date().toISOString()));
      return true;
    });
  }

  /** Takes the lock only to repair a damaged meta. */
  async meta(account: string, session_id: string, caller: string): Promise<SessionMeta | null> {
    const found = await this.files.readMeta(account, session_id);
    if (found.state === 'damaged') {
      return this.locked(account, session_id, () => this.metaLocked(account, session_id, caller));
    }
    return found.state === 'ok' ? found.meta : null;
  }

  list(account: string): Promise<string[]> {
    return this.files.sessionIds(account);
  }

  remove(account: string, session_id: string): Promise<void> {
    return this.locked(account, session_id, async () => {
      await this.files.removeSession(account, session_id);
      this.counts.delete(this.key(account, session_id));
    });
  }

  /** The messages' lines are appended in one write, then the meta is replaced. */
  append(
    account: string,
    session_id: string,
    creator: string,
    messages: readonly StoredMessage[],
  ): Promise<number> {
    return this.locked(account, session_id, () => this.appendLocked(account, session_id, creator, messages));
  }

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
      const next = metaAfterUsages(current, usages);
      if (usages.length > 0) await this.files.writeMeta(account, next);
      return next;
    });
  }

  commit(
    account: string,
    session_id: string,
    caller: string,
    keep: number,
    extra: Readonly<Record<string, string>>,
  ): Promise<string | null> {
    return this.locked(account, session_id, () =>
      this.commitLocked(account, session_id, caller, keep, extra),
    );
  }

  /** No lock: appends are whole lines and commits replace files atomically. */
  liveMessages(account: string, session_id: string): Promise<StoredMessage[]> {
    return this.files.readMessagesAt(this.files.messagesPath(account, session_id));
  }

  allMessages(account: string, session_id: string): Promise<StoredMessage[] | null> {
    return allMessages(this.files, account, session_id);
  }

  findMessages(account: string, session_id: string, ids: readonly string[]): Promise<StoredMessage[]> {
    return findMessages(this.files, account, session_id, ids);
  }

  archiveNumbers(account: string, session_id: string): Promise<number[]> {
    return this.files.archiveNumbers(account, session_id);
  }

  readArchiveFile(account: string, session_id: string, n: number, file: string): Promise<string> {
    return this.files.readArchiveFile(account, session_id, n, file);
  }

  async writeArchiveFile(
    account: string,
    session_id: string,
    n: number,
    file: string,
    content: string,
  ): Promise<void> {
    const path = join(this.files.historyDir(account, session_id), archiveName(n), file);
    await this.files.writeFile(account, path, content);
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
    await this.files.writeMeta(account, metaAfterAppend(meta, after, messages, now));
    return after;
  }

  /**
   * Under the lock: archive the live messages except the newest `keep`; the archive first (renamed
   * into place whole), then the live log and the meta. Messages already in the newest archive are
   * skipped (plan.ts), so a crash in between never archives a message twice.
   */
  private async commitLocked(
    account: string,
    session_id: string,
    caller: string,
    keep: number,
    extra: Readonly<Record<string, string>>,
  ): Promise<string | null> {
    const meta = (await this.metaLocked(account, session_id, caller)) ?? sessionNotFound(session_id);
    const path = this.files.messagesPath(account, session_id);
    const latest = (await this.files.archiveNumbers(account, session_id)).at(-1) ?? 0;
    const archived = await this.archivedIds(account, session_id, latest);
    const plan = planCommit(await this.files.readMessagesAt(path), keep, latest, archived);
    if (plan === null) return null;
    const usedPath = join(this.files.dir(account, session_id), USED_FILE);
    if (plan.fresh.length > 0) {
      // Usages recorded since the last commit belong to the turns archived now.
      const usedText = await this.files.readText(usedPath);
      await this.files.writeArchive(
        account,
        session_id,
        plan.n,
        archiveFiles(session_id, plan, usedText, extra),
      );
      if (usedText !== '') await this.files.writeFile(account, usedPath, '');
    }
    const live = toJsonl(plan.retained);
    await this.files.writeFile(account, path, live);
    this.counts.set(this.key(account, session_id), {
      size: Buffer.byteLength(live),
      count: plan.retained.length,
    });
    await this.files.writeMeta(account, metaAfterCommit(meta, plan, new Date().toISOString()));
    return committedName(plan);
  }

  private async archivedIds(account: string, session_id: string, n: number): Promise<Set<string>> {
    if (n === 0) return new Set();
    const text = await this.files.readArchiveFile(account, session_id, n, MESSAGES_FILE);
    return new Set(parseMessages(text, `${session_id} ${archiveName(n)}`).map((m) => m.id));
  }
}
