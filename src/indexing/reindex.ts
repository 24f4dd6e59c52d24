/**
 * Rebuilding the index from the filesystem, the source of truth (SPEC 9.3): which accounts have
 * files, and journaling their rebuild for `npm run reindex`. A rebuild job re-reads every indexable
 * file of its account (skipping `_system` and temporary files) and every session message of live
 * and archived `messages.jsonl` files; see src/indexing/rebuild.ts for how the jobs are applied.
 */
import type { FileStorage } from '../fs/storage.js';
import type { IndexJournal } from './journal.js';
import { rebuildJob } from './rebuild.js';

/**
 * The accounts that have files (a root folder in the file storage; on local files, the folders of
 * `{DATA_DIR}/fs` whose names are valid ids) — what a rebuild of the whole index covers.
 */
export function accountsWithFiles(files: FileStorage): Promise<string[]> {
  return files.accounts();
}

/**
 * Durably journals a rebuild of each account, without a running pipeline (an offline re-index does
 * this before it touches the index, so that a kill at any later moment leaves the jobs for the next
 * start, or any worker on a shared journal, to resume). Closes the journal; resolves with the jobs'
 * sequence numbers (tickets to wait for).
 */
export async function journalRebuild(journal: IndexJournal, accounts: readonly string[]): Promise<number[]> {
  try {
    const tickets: number[] = [];
    for (const account of accounts) tickets.push(await journal.append(rebuildJob(account)));
    return tickets;
  } finally {
    await journal.close();
  }
}
