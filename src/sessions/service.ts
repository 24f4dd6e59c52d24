/**
 * Account-shared sessions (SPEC 8): create, list, get, delete, add messages, context and commit, for
 * a caller's context and input its door has parsed with the schemas of schema.ts. Validates ids,
 * enforces who may delete, and tells the indexer: content hooks are awaited after each change is
 * durable (the durable state and its locks are the {@link SessionStorage}'s, local files or
 * PostgreSQL; commits and extraction are archiving.ts); a change that enqueues index
 * jobs is first admitted by the indexer (backpressure), and a message sent with `wait: true` returns
 * once its index job is applied.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { MessageFile } from '../fs/session-messages.js';
import { DEFAULT_WAIT_TIMEOUT_S } from '../hooks.js';
import { canonicalUri, validateId, type NamespacePolicy, type RequestContext } from '../policy/index.js';
import { readArchive, type SessionArchive } from './archives.js';
import { buildContext, type SessionContext } from './context.js';
import { ABSTRACT_FILE, OVERVIEW_FILE, archiveName, sessionUri } from './files.js';
import { SessionArchiving } from './archiving.js';
import type { ArchiveMemories } from './extraction.js';
import { newMessage, newMessages } from './new-message.js';
import { storageReader, type MessageRecord, type SessionReader } from './reader.js';
import {
  contextQuerySchema,
  type BatchBody,
  type CommitBody,
  type ContextQuery,
  type CreateSessionBody,
  type GetSessionQuery,
  type MessageBody,
  type SessionMeta,
  type StoredMessage,
  type WaitBody,
} from './schema.js';
import {
  userOf,
  type AppendResult,
  type CommitResult,
  type SessionServiceDeps,
  type SessionUser,
} from './service-types.js';
import { sessionNotFound, type SessionStorage } from './storage.js';
import { usagesOf, type UsedBody } from './usage.js';

export type { AuthMode } from './role-id.js';
export type { AppendResult, CommitResult, SessionServiceDeps, SessionUser } from './service-types.js';
export {
  sessionReader,
  storageReader,
  type MessageRecord,
  type SessionMessageReader,
  type SessionReader,
} from './reader.js';
export type { SessionArchive } from './archives.js';

export class SessionService implements SessionReader {
  private readonly store: SessionStorage;
  private readonly reader: SessionReader;
  private readonly archiving: SessionArchiving;

  constructor(private readonly deps: SessionServiceDeps) {
    this.store = deps.storage;
    this.reader = storageReader(deps.storage);
    this.archiving = new SessionArchiving(deps.storage, deps.hooks, deps.extraction);
  }

  async create(
    ctx: RequestContext,
    input: CreateSessionBody,
  ): Promise<{ session_id: string; uri: string; user: SessionUser }> {
    const session_id = input.session_id == null ? randomUUID() : validateId(input.session_id, 'session_id');
    if (!(await this.ensure(ctx, session_id))) {
      throw new AppError('ALREADY_EXISTS', `session '${session_id}' already exists`, { session_id });
    }
    return { session_id, uri: sessionUri(session_id), user: userOf(ctx) };
  }

  async list(ctx: RequestContext): Promise<{ session_id: string; uri: string; is_dir: true }[]> {
    const ids = await this.store.list(ctx.effective.account_id);
    return ids.map((session_id) => ({ session_id, uri: sessionUri(session_id), is_dir: true }));
  }

  async get(
    ctx: RequestContext,
    id: string,
    { auto_create }: GetSessionQuery = { auto_create: false },
  ): Promise<SessionMeta & { user: SessionUser }> {
    const session_id = validateId(id, 'session_id');
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
    await this.store.remove(account, session_id);
    await this.deps.hooks.removed(account, canonicalUri(sessionUri(session_id)));
    return { session_id, deleted: true };
  }

  /** Appends a message, creating the session if it does not exist yet. */
  async addMessage(ctx: RequestContext, id: string, input: MessageBody): Promise<AppendResult> {
    const session_id = validateId(id, 'session_id');
    const message = await newMessage(this.deps, ctx, session_id, input);
    return this.append(ctx, session_id, [message], input);
  }

  /**
   * `messages/batch`: appends up to 100 messages in order under one lock, creating the session if
   * needed. Every message is validated (role_id rules included) before any is written.
   */
  async addMessages(
    ctx: RequestContext,
    id: string,
    input: BatchBody,
  ): Promise<AppendResult & { added: number }> {
    const session_id = validateId(id, 'session_id');
    const messages = await newMessages(this.deps, ctx, session_id, input.messages);
    const result = await this.append(ctx, session_id, messages, input);
    return { ...result, added: messages.length };
  }

  /** `GET /sessions/{id}/archives/{archive_id}`: one archive's summaries and messages. */
  async archive(ctx: RequestContext, id: string, archive_id: string): Promise<SessionArchive> {
    const session_id = validateId(id, 'session_id');
    validateId(archive_id, 'archive_id');
    const account = ctx.effective.account_id;
    await this.requireMeta(ctx, session_id);
    const archive = await readArchive(this.store, account, session_id, archive_id);
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
    const message_count = await this.store.append(account, session_id, ctx.effective.user_id, messages);
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
    input: UsedBody,
  ): Promise<{ session_id: string; contexts_used: number; skills_used: number }> {
    const session_id = validateId(id, 'session_id');
    const usages = usagesOf(ctx, input, new Date().toISOString());
    const { account_id, user_id } = ctx.effective;
    const meta = await this.store.recordUsages(account_id, session_id, user_id, usages);
    return { session_id, contexts_used: meta.contexts_used, skills_used: meta.skills_used };
  }

  async context(
    ctx: RequestContext,
    id: string,
    { token_budget }: ContextQuery = contextQuerySchema.parse({}),
  ): Promise<SessionContext> {
    const session_id = validateId(id, 'session_id');
    const account = ctx.effective.account_id;
    await this.requireMeta(ctx, session_id);
    const { store } = this;
    const messages = await store.liveMessages(account, session_id);
    const numbers = await store.archiveNumbers(account, session_id);
    const archives = await Promise.all(
      numbers.map(async (n) => ({
        archive_id: archiveName(n),
        overview: await store.readArchiveFile(account, session_id, n, OVERVIEW_FILE),
        abstract: await store.readArchiveFile(account, session_id, n, ABSTRACT_FILE),
      })),
    );
    return buildContext(messages, archives, token_budget);
  }

  /**
   * Moves the live messages, all but the newest `keep_recent_count`, into the next
   * `history/archive_NNN` with extractive summaries; with a language model configured, starts the
   * extraction of the archived messages' memories as a task.
   */
  async commit(
    ctx: RequestContext,
    id: string,
    { keep_recent_count }: CommitBody = { keep_recent_count: 0 },
  ): Promise<CommitResult> {
    const session_id = validateId(id, 'session_id');
    return this.archiving.commit(ctx, session_id, keep_recent_count);
  }

  /** `POST /sessions/{id}/extract`: extracts the live messages' memories as a task. */
  async extract(
    ctx: RequestContext,
    id: string,
  ): Promise<{ session_id: string; status: 'accepted'; task_id: string }> {
    const session_id = validateId(id, 'session_id');
    await this.requireMeta(ctx, session_id);
    const task_id = await this.archiving.extractLive(ctx, session_id);
    return { session_id, status: 'accepted', task_id };
  }

  /** `GET sessions/{id}/memories`: per archive, the extracted memories the caller may read, by owner. */
  async memories(
    ctx: RequestContext,
    id: string,
  ): Promise<{ session_id: string; archives: ArchiveMemories[] }> {
    const session_id = validateId(id, 'session_id');
    await this.requireMeta(ctx, session_id);
    return { session_id, archives: await this.archiving.memories(ctx, session_id) };
  }

  /** Runs the archive extractions a crash left pending (at start; see extraction.ts). */
  resumeExtractions(
    accounts: readonly string[],
    policyOf: (a: string) => Promise<NamespacePolicy>,
  ): Promise<number> {
    return this.archiving.resume(accounts, policyOf);
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

  /** Creates the session unless it exists; true if it was created. */
  private ensure(ctx: RequestContext, session_id: string): Promise<boolean> {
    return this.store.create(ctx.effective.account_id, session_id, ctx.effective.user_id);
  }

  /** The meta of an existing session (404 otherwise). */
  private async requireMeta(ctx: RequestContext, session_id: string): Promise<SessionMeta> {
    const meta = await this.store.meta(ctx.effective.account_id, session_id, ctx.effective.user_id);
    return meta ?? sessionNotFound(session_id);
  }
}
