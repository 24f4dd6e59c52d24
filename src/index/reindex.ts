/**
 * Rebuilding the index from the filesystem, the source of truth (SPEC 9.3): every indexable file of an
 * account (skipping `_system` and temporary files) and every session message found in live and
 * archived `messages.jsonl` files. Used by `npm run reindex` and after changing the embedder.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { eq, isValidId } from '../policy/index.js';
import { IndexSync, type SyncDeps } from './sync.js';

export type ReindexDeps = Omit<SyncDeps, 'readMessage'>;

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

function syncOf(deps: ReindexDeps): IndexSync {
  // Messages are read from messages.jsonl during a walk; single-message lookups are never needed.
  return new IndexSync({ ...deps, readMessage: () => Promise.resolve(null) });
}

/** Replaces every record of an account with what its files say now; returns its record count. */
export async function reindexAccount(deps: ReindexDeps, account_id: string): Promise<number> {
  await syncOf(deps).apply([{ type: 'account', account: account_id }]);
  return deps.store.countRows(eq('account_id', account_id));
}

/** Re-indexes every account on disk, one after the other; returns the accounts done. */
export async function reindexAll(
  deps: ReindexDeps,
  onProgress?: (done: number, total: number, account: string) => void,
): Promise<string[]> {
  const accounts = await accountsOnDisk(deps.dataDir);
  for (const [index, account] of accounts.entries()) {
    deps.log.info({ account }, 'reindexing account');
    onProgress?.(index, accounts.length, account);
    await reindexAccount(deps, account);
  }
  onProgress?.(accounts.length, accounts.length, '');
  await deps.store.optimize();
  return accounts;
}
