/**
 * Account-shared sessions (SPEC 8): create, list, get, delete, add messages, context and commit.
 * Every change to one session runs under a per-session lock; the message log is append-only and the
 * meta file is replaced atomically (a damaged one is rebuilt from the log, see repair.ts). Content
 * hooks are awaited after each change is durable; a change that enqueues index jobs is first admitted
 * by the indexer (backpressure), and a message sent with `wait: true` returns once its index job is
 * applied.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import type { MessageFile } from '../fs/session-messages.js';
import { DEFAULT_WAIT_TIMEOUT_S, type ContentHooks, type WaitIndexed } from '../hooks.js';
import { validateId, type RequestContext } from '../policy/index.js';
import { KeyedMutex } from '../storage/atomic.js';
import { buildContext, type SessionContext } from './context.js';
import {
  ABSTRACT_FILE,
  MESSAGES_FILE,
  OVERVIEW_FILE,
  SessionFiles,
  archiveName,
  parseMessages,
  sessionUri,
} from './files.js';
import { sessionReader, type MessageRecord, type SessionReader } from './reader.js';
import type { AuthMode } from './role-id.js';
import { hasKey, newMessage, newMessages } from './new-message.js';
import {
  addMessageSchema,
  commitSchema,
  contextQuerySchema,
  createSessionSchema,
  getSessionQuerySchema,
  waitSchema,
  type SessionMeta,
  type StoredMessage,
  type WaitBody,
} from './schema.js';
import { abstractOf, overviewOf } from './summary.js';
import { parseInput } from '../validate.js';
import { addParticipants, newMeta } from './meta.js';
import { USED_FILE, parseUsages, usageSection, usagesOf, type Usage } from './usage.js';
import { readArchive, type SessionArchive } from './archives.js';
import { repairMeta } from './repair.js';

export type { AuthMode } from './role-id.js';
export {
  sessionReader,
  type MessageRecord,
  type SessionMessageReader,
  type SessionReader,
} from './reader.js';

export interface SessionServiceDeps {
  dataDir: string;
  hooks: ContentHooks;
  isRegisteredUser: (account_id: string, user_id: string) => Promise<boolean>;
  /** `dev` is api_key mode without a root key (every caller is ROOT). */
  authMode: AuthMode;
  /** Awaited after a message with `wait: true`: the indexer has applied its job. */
  waitIndexed?: WaitIndexed;
}

export interface SessionUser {
  account_id: string;
  user_id: string;
  agent_id: string;
}

export interface AppendResult {
  session_id: string;
  message_count: number;
}

export interface CommitResult {
  session_id: string;
  status: 'accepted';
  /** Always null: there is no background task (OpenViking clients poll /tasks only when set). */
  task_id: null;
  archived: boolean;
  archive_uri: string | null;
}

function userOf(ctx: RequestContext): SessionUser {
  const { account_id, user_id, agent_id } = ctx.effective;
  return { account_id, user_id, agent_id };
}

function notFound(session_id: string): never {
  throw new AppError('NOT_FOUND', `session '${session_id}' not found`, { session_id });
}

export class SessionService implements SessionReader {
  private readonly files: SessionFiles;
  private readonly reader: SessionReader;
  private readonly mutex = new KeyedMutex();
  /** Live message count per session, valid while messages.jsonl keeps the recorded size. */
  private readonly counts = new Map<string, { size: number; count: number }>();

  constructor(private readonly deps: SessionServiceDeps) {
    this.files = new SessionFiles(deps.dataDir);
    this.reader = sessionReader(deps.dataDir);
  }

  async create(
    ctx: RequestContext,
    body: unknown,
  ): Promise<{ session_id: string; uri: string; user: SessionUser }> {
    const input = parseInput(createSessionSchema, body, 'request body');
    const session_id = input.session_id == null ? randomUUID() : validateId(input.session_id, 'session_id');
    if (!(await this.ensure(ctx, session_id))) {
      throw new AppError('ALREADY_EXISTS', `session '${session_id}' already exists`, { session_id });
    }
    return { session_id, uri: sessionUri(session_id), user: userOf(ctx) };
  }

  async list(ctx: RequestContext): Promise<{ session_id: string; uri: string; is_dir: true }[]> {
    const ids = await this.files.sessionIds(ctx.effective.account_id);
    return ids.map((session_id) => ({ session_id, uri: sessionUri(session_id), is_dir: true }));
  }

  async get(
    ctx: RequestContext,
    id: string,
    query: unknown = {},
  ): Promise<SessionMeta & { user: SessionUser }> {
    const session_id = validateId(id, 'session_id');
    const { auto_create } = parseInput(getSessionQuerySchema, query, 'query');
    if (auto_create) await this.ensure(ctx, session_id);
    const meta = await this.requireMeta(ctx, session_id);
    return { ...meta, user: userOf(ctx) };
  }

  /** ADMIN or ROOT only; idempotent. */
  async delete(ctx: RequestContext, id: string): Promise<{ session_id: string; deleted: true }> {
    if (ctx.role !== 'admin' && ctx.role !== 'root') {
      throw new AppError('PERMISSION_DENIED', 'only an admin or root may delete a session');
    }
    const session_id = validateId(id, 'session_id');
    const account = ctx.effective.account_id;
    this.deps.hooks.admit?.(account);
    await this.locked(account, session_id, async () => {
      await this.files.removeSession(account, session_id);
      this.counts.delete(this.key(account, session_id));
    });
    await this.deps.hooks.removed(account, sessionUri(session_id));
    return { session_id, deleted: true };
  }

  /** Appends a message, creating the session if it does not exist yet. */
  async addMessage(ctx: RequestContext, id: string, raw: unknown): Promise<AppendResult> {
    const session_id = validateId(id, 'session_id');
    const body = parseInput(addMessageSchema, raw, 'message');
    const message = await newMessage(this.deps, ctx, session_id, body, hasKey(raw, 'role_id'));
    return this.append(ctx, session_id, [message], parseInput(waitSchema, raw, 'message'));
  }

  /**
   * `messages/batch`: appends up to 100 messages in order under one lock, creating the session if
   * needed. Every message is validated (role_id rules included) before any is written.
   */
  async addMessages(
    ctx: RequestContext,
    id: string,
    raw: unknown,
  ): Promise<AppendResult & { added: number }> {
    const session_id = validateId(id, 'session_id');
    const messages = await newMessages(this.deps, ctx, session_id, raw);
    const result = await this.append(ctx, session_id, messages, parseInput(waitSchema, raw, 'request body'));
    return { ...result, added: messages.length };
  }

  /** `GET /sessions/{id}/archives/{archive_id}`: one archive's summaries and messages. */
  async archive(ctx: RequestContext, id: string, archive_id: string): Promise<SessionArchive> {
    const session_id = validateId(id, 'session_id');
    validateId(archive_id, 'archive_id');
    const account = ctx.effective.account_id;
    await this.requireMeta(ctx, session_id);
    const archive = await readArchive(this.files, account, session_id, archive_id);
    if (archive === null) {
      throw new AppError('NOT_FOUND', `archive '${archive_id}' not found`, { session_id, archive_id });
    }
    return archive;
  }

  /** Appends validated messages under the session lock, enqueues their index jobs, waits if asked. */
  private async append(
    ctx: RequestContext,
    session_id: string,
    messages: readonly StoredMessage[],
    wait: WaitBody,
  ): Promise<AppendResult> {
    const account = ctx.effective.account_id;
    this.deps.hooks.admit?.(account);
    const message_count = await this.locked(account, session_id, () =>
      this.appendLocked(account, session_id, ctx.effective.user_id, messages),
    );
    const tickets: number[] = [];
    for (const message of messages) {
      tickets.push(...(await this.deps.hooks.messageAdded(account, session_id, message.id)));
    }
    if (wait.wait === true && this.deps.waitIndexed !== undefined)
      await this.deps.waitIndexed(tickets, (wait.timeout ?? DEFAULT_WAIT_TIMEOUT_S) * 1000);
    return { session_id, message_count };
  }

  /**
   * Records the contexts and skill a turn used (each must be readable by the caller); they are
   * archived by the next commit. Answers the session's running totals.
   */
  async used(
    ctx: RequestContext,
    id: string,
    body: unknown,
  ): Promise<{ session_id: string; contexts_used: number; skills_used: number }> {
    const session_id = validateId(id, 'session_id');
    const usages = usagesOf(ctx, body, new Date().toISOString());
    const account = ctx.effective.account_id;
    const meta = await this.locked(account, session_id, async () => {
      const current =
        (await this.metaLocked(account, session_id, ctx.effective.user_id)) ?? notFound(session_id);
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
    return { session_id, contexts_used: meta.contexts_used, skills_used: meta.skills_used };
  }

  async context(ctx: RequestContext, id: string, query: unknown): Promise<SessionContext> {
    const session_id = validateId(id, 'session_id');
    const { token_budget } = parseInput(contextQuerySchema, query, 'query');
    const account = ctx.effective.account_id;
    await this.requireMeta(ctx, session_id);
    // No lock: appends are whole lines and commits replace files atomically.
    const messages = await this.files.readMessagesAt(this.files.messagesPath(account, session_id));
    const numbers = await this.files.archiveNumbers(account, session_id);
    const archives = await Promise.all(
      numbers.map(async (n) => ({
        archive_id: archiveName(n),
        overview: await this.files.readArchiveFile(account, session_id, n, OVERVIEW_FILE),
        abstract: await this.files.readArchiveFile(account, session_id, n, ABSTRACT_FILE),
      })),
    );
    return buildContext(messages, archives, token_budget);
  }

  /**
   * Moves the live messages, all but the newest `keep_recent_count`, into the next
   * `history/archive_NNN` with extractive summaries.
   */
  async commit(ctx: RequestContext, id: string, body: unknown = {}): Promise<CommitResult> {
    const session_id = validateId(id, 'session_id');
    const { keep_recent_count } = parseInput(commitSchema, body, 'request body');
    const account = ctx.effective.account_id;
    this.deps.hooks.admit?.(account);
    const archive = await this.locked(account, session_id, () =>
      this.commitLocked(ctx, session_id, keep_recent_count),
    );
    const accepted = { session_id, status: 'accepted', task_id: null } as const;
    if (archive === null) return { ...accepted, archived: false, archive_uri: null };
    const archive_uri = `${sessionUri(session_id)}/history/${archive}`;
    for (const file of [MESSAGES_FILE, OVERVIEW_FILE, ABSTRACT_FILE]) {
      await this.deps.hooks.fileWritten(account, `${archive_uri}/${file}`);
    }
    return { ...accepted, archived: true, archive_uri };
  }

  /** SessionMessageReader: a stored message as pretty JSON text, or null. */
  read(account_id: string, session_id: string, message_id: string): Promise<string | null> {
    return this.reader.read(account_id, session_id, message_id);
  }

  /** SessionMessageReader: the session's messages as files of its `messages` folder, or null. */
  listMessages(account_id: string, session_id: string): Promise<MessageFile[] | null> {
    return this.reader.listMessages(account_id, session_id);
  }

  /** The indexer's view of a message (role, role_id, text of its text parts, created_at), or null. */
  readMessageRecord(
    account_id: string,
    session_id: string,
    message_id: string,
  ): Promise<MessageRecord | null> {
    return this.reader.readMessageRecord(account_id, session_id, message_id);
  }

  /** The `peer_id` of each of `message_ids` that has one (search hits). */
  peersOf(
    account_id: string,
    session_id: string,
    message_ids: readonly string[],
  ): Promise<Map<string, string>> {
    return this.reader.peersOf(account_id, session_id, message_ids);
  }

  private key(account: string, session_id: string): string {
    return `${account}/${session_id}`;
  }

  private locked<T>(account: string, session_id: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(this.key(account, session_id), work);
  }

  /** Creates the session unless it exists; true if it was created. */
  private ensure(ctx: RequestContext, session_id: string): Promise<boolean> {
    const account = ctx.effective.account_id;
    return this.locked(account, session_id, async () => {
      if ((await this.metaLocked(account, session_id, ctx.effective.user_id)) !== null) return false;
      await this.files.makeDir(account, session_id);
      const meta = newMeta(session_id, ctx.effective.user_id, new Date().toISOString());
      await this.files.writeMeta(account, meta);
      return true;
    });
  }

  /** The session's meta, or null if there is no session; under the lock (it may repair the meta). */
  private async metaLocked(account: string, session_id: string, caller: string): Promise<SessionMeta | null> {
    const found = await this.files.readMeta(account, session_id);
    if (found.state === 'damaged') return repairMeta(this.files, account, session_id, caller);
    return found.state === 'ok' ? found.meta : null;
  }

  /** The meta of an existing session (404 otherwise); takes the lock only to repair a damaged meta. */
  private async requireMeta(ctx: RequestContext, session_id: string): Promise<SessionMeta> {
    const { account_id, user_id } = ctx.effective;
    const found = await this.files.readMeta(account_id, session_id);
    const meta =
      found.state === 'damaged'
        ? await this.locked(account_id, session_id, () => this.metaLocked(account_id, session_id, user_id))
        : found.state === 'ok'
          ? found.meta
          : null;
    return meta ?? notFound(session_id);
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
  private async commitLocked(ctx: RequestContext, session_id: string, keep: number): Promise<string | null> {
    const account = ctx.effective.account_id;
    const meta = (await this.metaLocked(account, session_id, ctx.effective.user_id)) ?? notFound(session_id);
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
