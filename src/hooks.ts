/**
 * Content change hooks: how the filesystem, the session service and the admin API tell the indexing
 * pipeline what changed. URIs are canonical. Every method is awaited by the caller after the change is
 * durable on disk; an implementation must persist the job before resolving (a durable queue).
 */
export interface ContentHooks {
  /** A file was created, replaced or appended to. */
  fileWritten(account_id: string, uri: string): Promise<void>;
  /** A file or a whole subtree was removed. */
  removed(account_id: string, uri: string): Promise<void>;
  /** A file or subtree moved from `from` to `to` (both canonical, same account). */
  moved(account_id: string, from: string, to: string): Promise<void>;
  /** A message was appended to a session. */
  messageAdded(account_id: string, session_id: string, message_id: string): Promise<void>;
  /** An account and all its data were deleted. */
  accountDeleted(account_id: string): Promise<void>;
}

/** Hooks that do nothing (before indexing is wired in, and in tests that do not index). */
export const NO_HOOKS: ContentHooks = {
  fileWritten: () => Promise.resolve(),
  removed: () => Promise.resolve(),
  moved: () => Promise.resolve(),
  messageAdded: () => Promise.resolve(),
  accountDeleted: () => Promise.resolve(),
};
