/**
 * A session's memory extraction as background work (SPEC 15): the commit writes the archive with a
 * pending `.extraction.json` in it (one atomic rename), then a task extracts from the archived
 * messages and replaces the marker with the result or the failure. A crash in between leaves the
 * marker pending, and {@link SessionExtraction.resume} runs it again at start; memory files are
 * named by their content, so running again never writes a memory twice. A failing model leaves the
 * archive as it was and the task `failed` with the reason.
 */
import { isAppError, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { ExtractionResult, ModelSummary } from '../memories/extractor.js';
import type { SourceMessage } from '../memories/attribute.js';
import {
  canonicalUri,
  type CanonicalUri,
  type NamespacePolicy,
  type RequestContext,
} from '../policy/index.js';
import { SESSION_EXTRACTION_FILE } from '../storage/names.js';
import type { TaskRegistry, TaskView } from '../tasks/registry.js';
import {
  ABSTRACT_FILE,
  archiveName,
  HISTORY_DIR,
  MESSAGES_FILE,
  OVERVIEW_FILE,
  parseJson,
  parseMessages,
  sessionUri,
} from './files.js';
import type { StoredMessage } from './schema.js';
import type { SessionStorage } from './storage.js';
import { messageText } from './summary.js';
import { z } from 'zod';

export const EXTRACTION_FILE = SESSION_EXTRACTION_FILE;
/** Archive names are `archive_` and their number (files.ts's archiveName). */
const ARCHIVE_PREFIX = 'archive_';

export const PENDING_MARKER = `${JSON.stringify({ status: 'pending' })}\n`;

/** What extraction needs from the wiring: the model-backed extractor and the task registry. */
export interface ExtractionDeps {
  readonly extract: (input: {
    account_id: string;
    session_id: string;
    policy: NamespacePolicy;
    messages: readonly SourceMessage[];
  }) => Promise<{ result: ExtractionResult; summary: ModelSummary | null }>;
  readonly tasks: TaskRegistry;
  readonly log: Logger;
  /** Whether the caller may read `uri` (listings of memories show only those). */
  readonly readable: (ctx: RequestContext, uri: string) => Promise<boolean>;
}

/** One archive's extraction as `GET sessions/{id}/memories` shows it to a caller. */
export interface ArchiveMemories {
  readonly archive_id: string;
  readonly status: string;
  /** The memory files of this archive the caller may read, by owner scope root. */
  readonly memories: Record<string, string[]>;
}

const markerSchema = z.object({
  status: z.string(),
  result: z.object({ uris: z.array(z.string()).default([]) }).optional(),
});

export function sourceMessages(messages: readonly StoredMessage[]): SourceMessage[] {
  return messages.map((m) => ({
    id: m.id,
    role: m.role,
    role_id: m.role_id,
    actor_context: m.actor_context,
    text: messageText(m),
  }));
}

/** `viking://user/U[/agent/A]` or `viking://agent/G[/user/U]` of a memory URI: what precedes `/memories/`. */
function ownerRootOf(uri: string): string {
  const at = uri.indexOf('/memories/');
  return at < 0 ? uri : uri.slice(0, at);
}

/** Tells the indexer that an archive's summary files were rewritten. */
export type SummaryWritten = (account_id: string, uri: CanonicalUri) => Promise<unknown>;

export class SessionExtraction {
  /** Archives being extracted now (`account/session/archive`): a resume never runs one twice at once. */
  private readonly running = new Set<string>();

  constructor(
    private readonly deps: ExtractionDeps,
    private readonly storage: SessionStorage,
    private readonly summaryWritten: SummaryWritten,
  ) {}

  /** Starts the task extracting a committed archive; answers the task. */
  startArchive(ctx: RequestContext, session_id: string, archive: string): TaskView {
    const account = ctx.effective.account_id;
    return this.deps.tasks.start(ctx, 'session_commit', sessionUri(session_id), () =>
      this.runArchive(account, session_id, archive, ctx.policy),
    );
  }

  /** Starts the task extracting the live messages (`POST /sessions/{id}/extract`). */
  startLive(ctx: RequestContext, session_id: string, messages: readonly StoredMessage[]): TaskView {
    const account_id = ctx.effective.account_id;
    return this.deps.tasks.start(ctx, 'session_extract', sessionUri(session_id), async () => {
      const { result } = await this.deps.extract({
        account_id,
        session_id,
        policy: ctx.policy,
        messages: sourceMessages(messages),
      });
      return { ...result };
    });
  }

  /**
   * Runs every archive extraction a crash left pending (called once at start, in the background).
   * @returns how many were run
   */
  async resume(
    accounts: readonly string[],
    policyOf: (a: string) => Promise<NamespacePolicy>,
  ): Promise<number> {
    let ran = 0;
    for (const account of accounts) {
      for (const session_id of await this.storage.list(account)) {
        for (const n of await this.storage.archiveNumbers(account, session_id)) {
          const marker = await this.storage.readArchiveFile(account, session_id, n, EXTRACTION_FILE);
          if (marker.trim() !== PENDING_MARKER.trim()) continue;
          ran += 1;
          await this.runArchive(account, session_id, archiveName(n), await policyOf(account)).catch(
            (error: unknown) =>
              this.deps.log.warn(
                { account, session_id, reason: messageOf(error) },
                'memory extraction failed',
              ),
          );
        }
      }
    }
    return ran;
  }

  /** Each archive's extraction state and the memories it wrote that the caller may read. */
  async listFor(ctx: RequestContext, session_id: string): Promise<ArchiveMemories[]> {
    const account = ctx.effective.account_id;
    const out: ArchiveMemories[] = [];
    for (const n of await this.storage.archiveNumbers(account, session_id)) {
      const text = await this.storage.readArchiveFile(account, session_id, n, EXTRACTION_FILE);
      const marker = markerSchema.safeParse(parseJson(text));
      if (!marker.success) continue;
      const memories: Record<string, string[]> = {};
      for (const uri of marker.data.result?.uris ?? []) {
        if (!(await this.deps.readable(ctx, uri))) continue;
        const root = ownerRootOf(uri);
        (memories[root] ??= []).push(uri);
      }
      out.push({ archive_id: archiveName(n), status: marker.data.status, memories });
    }
    return out;
  }

  /** Replaces the archive's extractive summaries with the model's (the extractive ones stay otherwise). */
  private async writeSummary(account_id: string, session_id: string, n: number, summary: ModelSummary) {
    const archiveUri = `${sessionUri(session_id)}/${HISTORY_DIR}/${archiveName(n)}`;
    for (const [file, text] of [
      [ABSTRACT_FILE, summary.abstract],
      [OVERVIEW_FILE, summary.overview],
    ] as const) {
      await this.storage.writeArchiveFile(account_id, session_id, n, file, `${text.trim()}\n`);
      await this.summaryWritten(account_id, canonicalUri(`${archiveUri}/${file}`));
    }
  }

  private async runArchive(
    account_id: string,
    session_id: string,
    archive: string,
    policy: NamespacePolicy,
  ): Promise<Record<string, unknown>> {
    const key = `${account_id}/${session_id}/${archive}`;
    if (this.running.has(key)) return { skipped: 'already running' };
    this.running.add(key);
    const n = Number(archive.slice(ARCHIVE_PREFIX.length));
    const mark = (state: unknown) =>
      this.storage.writeArchiveFile(account_id, session_id, n, EXTRACTION_FILE, `${JSON.stringify(state)}\n`);
    try {
      const text = await this.storage.readArchiveFile(account_id, session_id, n, MESSAGES_FILE);
      const messages = sourceMessages(parseMessages(text, key));
      const { result, summary } = await this.deps.extract({ account_id, session_id, policy, messages });
      if (summary !== null) await this.writeSummary(account_id, session_id, n, summary);
      await mark({ status: 'completed', result });
      return { archive, ...result };
    } catch (error) {
      const reason = isAppError(error) ? error.message : 'internal error';
      await mark({ status: 'failed', error: reason }).catch(() => undefined);
      throw error;
    } finally {
      this.running.delete(key);
    }
  }
}
