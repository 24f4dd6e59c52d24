/**
 * The archive side of the session service (SPEC 8, SPEC 15): committing live messages into the next
 * archive and telling the indexer of its files, and memory extraction as tasks (from a new archive,
 * from the live messages, resumed after a restart). Ids are validated by the service first.
 */
import { AppError } from '../errors.js';
import type { ContentHooks } from '../hooks.js';
import { canonicalUri, type NamespacePolicy, type RequestContext } from '../policy/index.js';
import { ABSTRACT_FILE, MESSAGES_FILE, OVERVIEW_FILE, sessionUri } from './files.js';
import {
  EXTRACTION_FILE,
  PENDING_MARKER,
  SessionExtraction,
  type ArchiveMemories,
  type ExtractionDeps,
} from './extraction.js';
import type { CommitResult } from './service-types.js';
import type { SessionStorage } from './storage.js';

export class SessionArchiving {
  private readonly extraction: SessionExtraction | null;

  constructor(
    private readonly storage: SessionStorage,
    private readonly hooks: ContentHooks,
    extraction: ExtractionDeps | undefined,
  ) {
    this.extraction =
      extraction === undefined
        ? null
        : new SessionExtraction(extraction, storage, (account, uri) => hooks.fileWritten(account, uri));
  }

  /**
   * Moves the live messages, all but the newest `keep`, into the next `history/archive_NNN` with
   * extractive summaries; with a language model configured, starts the extraction of the archived
   * messages' memories as a task.
   */
  async commit(ctx: RequestContext, session_id: string, keep: number): Promise<CommitResult> {
    const { account_id: account, user_id } = ctx.effective;
    this.hooks.admit?.(account);
    const extra = this.extraction === null ? {} : { [EXTRACTION_FILE]: PENDING_MARKER };
    const archive = await this.storage.commit(account, session_id, user_id, keep, extra);
    const accepted = { session_id, status: 'accepted' } as const;
    if (archive === null) {
      return { ...accepted, task_id: null, archived: false, archive_uri: null, extraction: 'nothing' };
    }
    const archive_uri = `${sessionUri(session_id)}/history/${archive}`;
    for (const file of [MESSAGES_FILE, OVERVIEW_FILE, ABSTRACT_FILE]) {
      await this.hooks.fileWritten(account, canonicalUri(`${archive_uri}/${file}`));
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

  /** Starts the extraction of the live messages' memories (`POST /sessions/{id}/extract`). */
  async extractLive(ctx: RequestContext, session_id: string): Promise<string> {
    if (this.extraction === null) {
      throw new AppError(
        'FAILED_PRECONDITION',
        'memory extraction needs a language model: set LLM_BASE_URL and LLM_MODEL (and LLM_API_KEY if it needs one)',
        { session_id },
      );
    }
    const messages = await this.storage.liveMessages(ctx.effective.account_id, session_id);
    return this.extraction.startLive(ctx, session_id, messages).task_id;
  }

  /** Per archive, the extracted memories the caller may read, by owner. */
  async memories(ctx: RequestContext, session_id: string): Promise<ArchiveMemories[]> {
    return (await this.extraction?.listFor(ctx, session_id)) ?? [];
  }

  /** Runs the archive extractions a crash left pending (at start; see extraction.ts). */
  resume(accounts: readonly string[], policyOf: (a: string) => Promise<NamespacePolicy>): Promise<number> {
    return this.extraction?.resume(accounts, policyOf) ?? Promise.resolve(0);
  }
}
