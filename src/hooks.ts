/**
 * Content change hooks: how the filesystem, the session service and the admin API tell the indexing
 * pipeline what changed. URIs are canonical. Every method is awaited by the caller after the change is
 * durable on disk; an implementation must persist the job before resolving (a durable queue), and
 * resolves with the tickets of the jobs it enqueued so the request can wait for them.
 */
import type { CanonicalUri } from './policy/index.js';

/** Sequence numbers of the index jobs a change enqueued (empty: nothing to wait for). */
export type IndexTickets = readonly number[];

/**
 * A per-request wait (SPEC 9.3): resolves once the jobs of `tickets` are applied; rejects with an
 * AppError if one was dropped, or with DEADLINE_EXCEEDED after `timeoutMs`.
 */
export type WaitIndexed = (tickets: IndexTickets, timeoutMs: number) => Promise<void>;

/** How long a `wait: true` request waits for its index jobs unless it says otherwise (SPEC 9.3). */
export const DEFAULT_WAIT_TIMEOUT_S = 30;

export interface ContentHooks {
  /**
   * Backpressure: throws RESOURCE_EXHAUSTED (with `details.retry_after_s`) when the indexer is too
   * far behind to accept another change of `account_id`. Called before anything is written.
   */
  admit?(account_id: string): void;
  /** A file was created, replaced or appended to. */
  fileWritten(account_id: string, uri: CanonicalUri): Promise<IndexTickets>;
  /** A file or a whole subtree was removed. */
  removed(account_id: string, uri: CanonicalUri): Promise<IndexTickets>;
  /** A file or subtree moved from `from` to `to` (both canonical, same account). */
  moved(account_id: string, from: CanonicalUri, to: CanonicalUri): Promise<IndexTickets>;
  /** A message was appended to a session. */
  messageAdded(account_id: string, session_id: string, message_id: string): Promise<IndexTickets>;
  /** An account and all its data were deleted. */
  accountDeleted(account_id: string): Promise<IndexTickets>;
  /**
   * Before an account id is (re)used: once this resolves, no index record of an earlier account of that
   * id exists or can be written back, whatever the indexer's state (none to purge without an index).
   */
  purgeAccount?(account_id: string): Promise<void>;
}

const none = (): Promise<IndexTickets> => Promise.resolve([]);

/** Hooks that do nothing (before indexing is wired in, and in tests that do not index). */
export const NO_HOOKS: ContentHooks = {
  fileWritten: none,
  removed: none,
  moved: none,
  messageAdded: none,
  accountDeleted: none,
};
