/**
 * Reading the source of truth through the file storage (local files or PostgreSQL): which files
 * under an account are indexed, and their bytes. (A session's `messages.jsonl` is parsed by the
 * sessions module, which owns that format.) Knows nothing about LanceDB.
 */
import { generatedSummaries } from '../fs/summaries.js';
import type { FileStorage } from '../fs/storage.js';
import { childUri, ROOT_URI } from '../policy/index.js';
import { isContentFileUri, isInternalName } from '../storage/names.js';

/** Session id of a live or archived `messages.jsonl` URI, else null. */
export function sessionOfMessagesFile(uri: string): string | null {
  const match = /^viking:\/\/session\/([^/]+)\/(?:history\/[^/]+\/)?messages\.jsonl$/.exec(uri);
  return match?.[1] ?? null;
}

/**
 * Canonical URIs of every content file at or under `uri` (none if it does not exist). Internal
 * names, session bookkeeping (storage/names.ts) and generated folder summaries (fs/summaries.ts) are
 * skipped; links are not followed.
 */
export async function walkFiles(files: FileStorage, account_id: string, uri: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (current: string): Promise<void> => {
    const generated = await generatedSummaries(files, account_id, current);
    const children = await files.list(account_id, current);
    for (const child of children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (isInternalName(child.name, current === ROOT_URI) || generated.has(child.name)) continue;
      const next = childUri(current, child.name);
      if (child.kind === 'folder') await visit(next);
      else if (isContentFileUri(next)) out.push(next);
    }
  };
  const info = await files.stat(account_id, uri).catch(() => null);
  if (info?.kind === 'file') return isContentFileUri(uri) ? [uri] : [];
  if (info?.kind === 'folder') await visit(uri);
  return out;
}

/** A file's bytes and times, or null if it is missing or not a file. */
export async function readFileAt(
  files: FileStorage,
  account_id: string,
  uri: string,
): Promise<{ bytes: Buffer; created_at: number; updated_at: number } | null> {
  try {
    const info = await files.stat(account_id, uri);
    if (info?.kind !== 'file') return null;
    // Checked by the stat just now: the read need not check the way again.
    const bytes = await files.read(account_id, uri, { listed: true });
    if (bytes === null) return null;
    const updated_at = info.mtime.getTime();
    return { bytes, created_at: updated_at, updated_at };
  } catch {
    return null;
  }
}
