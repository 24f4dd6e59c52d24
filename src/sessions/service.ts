/**
 * Account-shared sessions (SPEC 8): create, list, get, delete, add messages, context and commit.
 * Every change to one session runs under a per-session lock; the message log is append-only and the
 * meta file is replaced atomically (a damaged one is rebuilt from the log, see repair.ts). Content
 * hooks are awaited after each change is durable; a change that enqueues index jobs is first admitted
 * by the indexer (backpressure), and a message sent with `wait: true` returns once its index job is
 * applied.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
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
import { resolveRoleId, type AuthMode } from './role-id.js';
import {
  addMessageSchema,
  commitSchema,
  contextQuerySchema,
  createSessionSchema,
  getSessionQuerySchema,
  waitSchema,
  type SessionMeta,
  type StoredMessage,
} from './schema.js';
import { abstractOf, overviewOf } from './summary.js';
import { parseInput } from '../validate.js';
import { addParticipants, newMeta, normaliseParts } from './meta.js';
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

function hasKey(value: unknown, key: string): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, key);
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
  async addMessage(
    ctx: RequestContext,
    id: string,
    raw: unknown,
  ): Promise<{ session_id: string; message_count: number }> {
    const session_id = validateId(id, 'session_id');
    const body = parseInput(addMessageSchema, raw, 'message');
    const wait = parseInput(waitSchema, raw, 'message');
    const role_id = await resolveRoleId({
      ctx,
      authMode: this.deps.authMode,
      body,
      bodyHasRoleId: hasKey(raw, 'role_id'),
      isRegisteredUser: this.deps.isRegisteredUser,
    });
    const message: StoredMessage = {
      id: `msg_${randomBytes(16).toString('hex')}`,
      role: body.role,
      role_id,
      parts: normaliseParts(session_id, body),
      created_at: new Date(body.created_at ?? Date.now()).toISOString(),
    };
    const account = ctx.effective.account_id;
    this.deps.hooks.admit?.(account);
    const message_count = await this.locked(account, session_id, () =>
      this.appendLocked(account, session_id, ctx.effective.user_id, message),
    );
    const tickets = await this.deps.hooks.messageAdded(account, session_id, message.id);
    if (wait.wait === true && this.deps.waitIndexed !== undefined)
      await this.deps.waitIndexed(tickets, (wait.timeout ?? DEFAULT_WAIT_TIMEOUT_S) * 1000);
    return { session_id, message_count };
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

  /** The indexer's view of a message (role, role_id, text of its text parts, created_at), or null. */
  readMessageRecord(
    account_id: string,
    session_id: string,
    message_id: string,
  ): Promise<MessageRecord | null> {
    return this.reader.readMessageRecord(account_id, session_id, message_id);
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

  /** Under the lock: append one line, then replace the meta. Returns the live message count. */
  private async appendLocked(
    account: string,
    session_id: string,
    creator: string,
    message: StoredMessage,
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
    const size = await this.files.appendLine(path, JSON.stringify(message));
    this.counts.set(key, { size, count: count + 1 });
    const total = meta.total_message_count + (count + 1 - meta.message_count);
    meta = addParticipants(
      { ...meta, message_count: count + 1, total_message_count: total, updated_at: now },
      [message],
    );
    await this.files.writeMeta(account, meta);
    return count + 1;
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
    if (fresh.length > 0) {
      await this.files.writeArchive(account, session_id, n, {
        [MESSAGES_FILE]: fresh.map((m) => `${JSON.stringify(m)}\n`).join(''),
        [OVERVIEW_FILE]: overviewOf(session_id, archiveName(n), fresh),
        [ABSTRACT_FILE]: abstractOf(fresh),
      });
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
