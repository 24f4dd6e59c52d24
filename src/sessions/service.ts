/**
 * Account-shared sessions (SPEC 8): create, list, get, delete, add messages, context and commit, for
 * a caller's context and input its door has parsed with the schemas of schema.ts. Validates ids,
 * enforces who may delete, and tells the indexer: content hooks are awaited after each change is
 * durable (the durable state and its locks are the SessionStore's); a change that enqueues index
 * jobs is first admitted by the indexer (backpressure), and a message sent with `wait: true` returns
 * once its index job is applied.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { MessageFile } from '../fs/session-messages.js';
import { DEFAULT_WAIT_TIMEOUT_S, type ContentHooks, type WaitIndexed } from '../hooks.js';
import { validateId, type NamespacePolicy, type RequestContext } from '../policy/index.js';
import { readArchive, type SessionArchive } from './archives.js';
import { buildContext, type SessionContext } from './context.js';
import { ABSTRACT_FILE, MESSAGES_FILE, OVERVIEW_FILE, archiveName, sessionUri } from './files.js';
import {
  EXTRACTION_FILE,
  PENDING_MARKER,
  SessionExtraction,
  type ArchiveMemories,
  type ExtractionDeps,
} from './extraction.js';
import { newMessage, newMessages } from './new-message.js';
import { sessionReader, type MessageRecord, type SessionReader } from './reader.js';
import type { AuthMode } from './role-id.js';
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
import { SessionStore } from './store.js';
import { usagesOf, type UsedBody } from './usage.js';

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
  /** Memory extraction by a language model (SPEC 15); absent: commit only archives. */
  extraction?: ExtractionDeps;
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
  /** The memory extraction task (`GET /tasks/{id}`), or null when none was started. */
  task_id: string | null;
  archived: boolean;
  archive_uri: string | null;
  /** `started` (a task), `skipped` (no language model configured) or `nothing` (nothing archived). */
  extraction: 'started' | 'skipped' | 'nothing';
}

function userOf(ctx: RequestContext): SessionUser {
  const { account_id, user_id, agent_id } = ctx.effective;
  return { account_id, user_id, agent_id };
}

export class SessionService implements SessionReader {
  private readonly store: SessionStore;
  private readonly reader: SessionReader;
  private readonly extraction: SessionExtraction | null;

  constructor(private readonly deps: SessionServiceDeps) {
    this.store = new SessionStore(deps.dataDir);
    this.reader = sessionReader(deps.dataDir);
    this.extraction =
      deps.extraction === undefined
        ? null
        : new SessionExtraction(deps.extraction, this.store.files, (account, uri) =>
            deps.hooks.fileWritten(account, uri),
          );
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
    const ids = await this.store.files.sessionIds(ctx.effective.account_id);
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
    await this.deps.hooks.removed(account, sessionUri(session_id));
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
    const archive = await readArchive(this.store.files, account, session_id, archive_id);
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
    const { files } = this.store;
    // No lock: appends are whole lines and commits replace files atomically.
    const messages = await files.readMessagesAt(files.messagesPath(account, session_id));
    const numbers = await files.archiveNumbers(account, session_id);
    const archives = await Promise.all(
      numbers.map(async (n) => ({
        archive_id: archiveName(n),
        overview: await files.readArchiveFile(account, session_id, n, OVERVIEW_FILE),
        abstract: await files.readArchiveFile(account, session_id, n, ABSTRACT_FILE),
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
    const { account_id: account, user_id } = ctx.effective;
    this.deps.hooks.admit?.(account);
    const extra = this.extraction === null ? {} : { [EXTRACTION_FILE]: PENDING_MARKER };
    const archive = await this.store.commit(account, session_id, user_id, keep_recent_count, extra);
    const accepted = { session_id, status: 'accepted' } as const;
    if (archive === null) {
      return { ...accepted, task_id: null, archived: false, archive_uri: null, extraction: 'nothing' };
    }
    const archive_uri = `${sessionUri(session_id)}/history/${archive}`;
    for (const file of [MESSAGES_FILE, OVERVIEW_FILE, ABSTRACT_FILE]) {
      await this.deps.hooks.fileWritten(account, `${archive_uri}/${file}`);
    }
    const task = this.extraction?.startArchive(ctx, session_id, archive) ?? null;
    return {
      ...accepted,
      task_id: task?.task_id ?? null,
      archived: true,
      archive_uri,
      extraction: task === null ? 'skipped' : 'started',
    };
  }

  /** `POST /sessions/{id}/extract`: extracts the live messages' memories as a task. */
  async extract(
    ctx: RequestContext,
    id: string,
  ): Promise<{ session_id: string; status: 'accepted'; task_id: string }> {
    const session_id = validateId(id, 'session_id');
    await this.requireMeta(ctx, session_id);
    if (this.extraction === null) {
      throw new AppError(
        'FAILED_PRECONDITION',
        'memory extraction needs a language model: set LLM_BASE_URL and LLM_MODEL (and LLM_API_KEY if it needs one)',
        { session_id },
      );
    }
    const { files } = this.store;
    const messages = await files.readMessagesAt(files.messagesPath(ctx.effective.account_id, session_id));
    const task = this.extraction.startLive(ctx, session_id, messages);
    return { session_id, status: 'accepted', task_id: task.task_id };
  }

  /** `GET sessions/{id}/memories`: per archive, the extracted memories the caller may read, by owner. */
  async memories(
    ctx: RequestContext,
    id: string,
  ): Promise<{ session_id: string; archives: ArchiveMemories[] }> {
    const session_id = validateId(id, 'session_id');
    await this.requireMeta(ctx, session_id);
    return { session_id, archives: (await this.extraction?.listFor(ctx, session_id)) ?? [] };
  }

  /** Runs the archive extractions a crash left pending (at start; see extraction.ts). */
  resumeExtractions(
    accounts: readonly string[],
    policyOf: (a: string) => Promise<NamespacePolicy>,
  ): Promise<number> {
    return this.extraction?.resume(accounts, policyOf) ?? Promise.resolve(0);
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
  private requireMeta(ctx: RequestContext, session_id: string): Promise<SessionMeta> {
    return this.store.meta(ctx.effective.account_id, session_id, ctx.effective.user_id);
  }
}
