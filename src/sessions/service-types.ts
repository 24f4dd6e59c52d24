/**
 * What the session service is built from and what it answers (SPEC 8): its dependencies and its
 * result shapes, shared with the HTTP layer's OpenAPI descriptions.
 */
import type { ContentHooks, WaitIndexed } from '../hooks.js';
import type { RequestContext } from '../policy/index.js';
import type { ExtractionDeps } from './extraction.js';
import type { AuthMode } from './role-id.js';
import type { SessionStorage } from './storage.js';

export interface SessionServiceDeps {
  /** Where sessions live: local files (embedded mode) or PostgreSQL (distributed mode). */
  storage: SessionStorage;
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

/** The caller's effective identity as session answers show it. */
export function userOf(ctx: RequestContext): SessionUser {
  const { account_id, user_id, agent_id } = ctx.effective;
  return { account_id, user_id, agent_id };
}
