/**
 * Index rebuilds through the durable job journal. A rebuild is one `account` job per account marked
 * `rebuild`: it replaces the account's records with what its files say now. Each such job is applied
 * alone in its batch, so a rebuild is acknowledged account by account and one that was killed
 * resumes at the next start from the first account not yet done. The tracker knows which accounts
 * still wait for their job (their searches answer 503 meanwhile) and logs the progress: it learns
 * this process's rebuild jobs as they are appended and applied, and every process's from the journal
 * (`refresh`, on the pipeline's notifications and poll), so a rebuild journaled anywhere is refused
 * everywhere, from the journal's notification (or the next poll) until it is applied.
 */
import type { Logger } from '../log.js';
import type { Job, QueueEntry } from './queue.js';

type AccountJob = Extract<Job, { type: 'account' }>;

/** The job that rebuilds an account's records from its files. */
export function rebuildJob(account: string): AccountJob {
  return { type: 'account', account, rebuild: true };
}

export function isRebuild(job: Job): job is AccountJob {
  return job.type === 'account' && job.rebuild === true;
}

/** The next batch from the head of the queue: a rebuild job alone, else the jobs before the next one. */
export function batchOf(entries: readonly QueueEntry[]): QueueEntry[] {
  const first = entries[0];
  if (first === undefined || isRebuild(first.job)) return entries.slice(0, 1);
  const next = entries.findIndex((e) => isRebuild(e.job));
  return entries.slice(0, next === -1 ? entries.length : next);
}

/** What status shows about a rebuild in progress. */
export interface RebuildStatus {
  readonly accounts_done: number;
  readonly accounts_left: number;
}

/** What changed locally while the journal was being read (the answer may predate it). */
interface ReadWindow {
  readonly added: Map<number, string>;
  readonly finished: Set<number>;
}

export class RebuildTracker {
  /** Account of every rebuild job not yet applied, by sequence number. */
  private readonly pending = new Map<number, string>();
  private done = 0;
  private window: ReadWindow | null = null;
  private reading: Promise<void> | null = null;
  private readAgain = false;

  constructor(private readonly log: Logger) {}

  /** Remembers the rebuild jobs among accepted (or replayed) entries. */
  add(entries: readonly QueueEntry[]): void {
    for (const { seq, job } of entries) {
      if (!isRebuild(job)) continue;
      this.pending.set(seq, job.account);
      this.window?.added.set(seq, job.account);
    }
  }

  /** The jobs `seqs` are applied (here or by another worker): logs each account rebuilt and the end. */
  finished(seqs: Iterable<number>): void {
    for (const at of seqs) {
      this.window?.finished.add(at);
      const account = this.pending.get(at);
      if (account === undefined) continue;
      this.pending.delete(at);
      // Still pending under a later job: this one failed and was journaled again.
      if (this.rebuilding(account)) continue;
      this.done += 1;
      this.log.info({ account, done: this.done, left: this.pending.size }, 'index rebuilt for an account');
    }
    if (this.pending.size > 0 || this.done === 0) return;
    this.log.info({ accounts: this.done }, 'index rebuild finished');
    this.done = 0;
  }

  /**
   * Reads the rebuild jobs pending in the journal (`read`): those journaled elsewhere are learnt,
   * those applied elsewhere finished. Calls made while it reads are folded into one more read.
   */
  refresh(read: () => Promise<readonly QueueEntry[]>): Promise<void> {
    if (this.reading !== null) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = this.read(read).finally(() => {
      this.reading = null;
      if (this.readAgain) {
        this.readAgain = false;
        void this.refresh(read).catch(() => undefined);
      }
    });
    return this.reading;
  }

  private async read(read: () => Promise<readonly QueueEntry[]>): Promise<void> {
    const window: ReadWindow = { added: new Map(), finished: new Set() };
    this.window = window;
    let entries: readonly QueueEntry[];
    try {
      entries = await read();
    } finally {
      this.window = null;
    }
    const now = new Map<number, string>();
    for (const { seq, job } of entries) if (isRebuild(job)) now.set(seq, job.account);
    // Appended or applied here while the journal was read: this process knows better.
    for (const [seq, account] of window.added) now.set(seq, account);
    for (const seq of window.finished) now.delete(seq);
    for (const [seq, account] of now) this.pending.set(seq, account);
    this.finished([...this.pending.keys()].filter((seq) => !now.has(seq)));
  }

  /** Whether the account's records are still being rebuilt. */
  rebuilding(account: string): boolean {
    for (const pending of this.pending.values()) if (pending === account) return true;
    return false;
  }

  /** Null when no rebuild is in progress. */
  status(): RebuildStatus | null {
    if (this.pending.size === 0) return null;
    return { accounts_done: this.done, accounts_left: new Set(this.pending.values()).size };
  }
}
