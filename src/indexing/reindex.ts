/**
 * Rebuilding the index from the filesystem, the source of truth (SPEC 9.3): which accounts are on
 * disk, and journaling their rebuild for `npm run reindex`. A rebuild job re-reads every indexable
 * file of its account (skipping `_system` and temporary files) and every session message of live
 * and archived `messages.jsonl` files; see src/indexing/rebuild.ts for how the jobs are applied.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidId } from '../policy/index.js';
import type { IndexJournal } from './journal.js';
import { rebuildJob } from './rebuild.js';

/** Accounts present on disk (folders of `{DATA_DIR}/fs` whose names are valid ids). */
export async function accountsOnDisk(dataDir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(dataDir, 'fs'), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && isValidId(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Durably journals a rebuild of each account, without a running pipeline (an offline re-index does
 * this before it touches the index, so that a kill at any later moment leaves the jobs for the next
 * start, or any worker on a shared journal, to resume). Closes the journal.
 */
export async function journalRebuild(journal: IndexJournal, accounts: readonly string[]): Promise<void> {
  try {
    for (const account of accounts) await journal.append(rebuildJob(account));
  } finally {
    await journal.close();
  }
}
