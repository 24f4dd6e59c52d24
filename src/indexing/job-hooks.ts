/**
 * Which index job each content event becomes (the content hooks, src/hooks.ts): the pipeline
 * journals them through {@link JobHooks.enqueue}.
 */
import type { ContentHooks, IndexTickets } from '../hooks.js';
import type { CanonicalUri } from '../policy/index.js';
import type { Job } from './queue.js';

export abstract class JobHooks implements ContentHooks {
  fileWritten(account_id: string, uri: CanonicalUri): Promise<IndexTickets> {
    return this.enqueue({ type: 'file', account: account_id, uri });
  }

  removed(account_id: string, uri: CanonicalUri): Promise<IndexTickets> {
    return this.enqueue({ type: 'remove', account: account_id, uri });
  }

  moved(account_id: string, from: CanonicalUri, to: CanonicalUri): Promise<IndexTickets> {
    return this.enqueue({ type: 'move', account: account_id, from, to });
  }

  messageAdded(account_id: string, session_id: string, message_id: string): Promise<IndexTickets> {
    return this.enqueue({ type: 'message', account: account_id, session_id, message_id });
  }

  accountDeleted(account_id: string): Promise<IndexTickets> {
    return this.enqueue({ type: 'account', account: account_id });
  }

  /** Journals a job durably; resolves with its ticket. */
  protected abstract enqueue(job: Job): Promise<IndexTickets>;
}
