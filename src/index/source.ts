/**
 * Reading the source of truth: which files under an account are indexed and walking a subtree on
 * disk. (A session's `messages.jsonl` is parsed by the sessions module, which owns that format.)
 * Knows nothing about LanceDB.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { childUri } from '../policy/index.js';
import { TEMP_PREFIX } from '../storage/atomic.js';
import { pathOfUri, SYSTEM_DIR } from '../storage/paths.js';

/** Session id of a live or archived `messages.jsonl` URI, else null. */
export function sessionOfMessagesFile(uri: string): string | null {
  const match = /^viking:\/\/session\/([^/]+)\/(?:history\/[^/]+\/)?messages\.jsonl$/.exec(uri);
  return match?.[1] ?? null;
}

/** Whether a file URI holds indexable content (not session bookkeeping, not temp or lock files). */
export function isIndexedFileUri(uri: string): boolean {
  const name = uri.slice(uri.lastIndexOf('/') + 1);
  if (name.startsWith(TEMP_PREFIX)) return false;
  if (
    uri.startsWith('viking://session/') &&
    (name === '.meta.json' || name === '.used.jsonl' || name.endsWith('.lock'))
  ) {
    return false;
  }
  return true;
}

/**
 * Canonical URIs of every regular file at or under `uri` on disk (none if it does not exist).
 * `_system` and temporary files are skipped; symlinks are not followed.
 */
export async function walkFiles(dataDir: string, account_id: string, uri: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (current: string): Promise<void> => {
    let info;
    try {
      info = await lstat(pathOfUri(dataDir, account_id, current));
    } catch {
      return;
    }
    if (info.isFile()) {
      if (isIndexedFileUri(current)) out.push(current);
      return;
    }
    if (!info.isDirectory()) return;
    const names = await readdir(pathOfUri(dataDir, account_id, current));
    for (const name of names.sort()) {
      if (name.startsWith(TEMP_PREFIX)) continue;
      if (current === 'viking://' && name === SYSTEM_DIR) continue;
      await visit(childUri(current, name));
    }
  };
  await visit(uri);
  return out;
}

/** A file's bytes and times, or null if it is missing or not a regular file. */
export async function readFileAt(
  dataDir: string,
  account_id: string,
  uri: string,
): Promise<{ bytes: Buffer; created_at: number; updated_at: number } | null> {
  const path = pathOfUri(dataDir, account_id, uri);
  try {
    const info = await lstat(path);
    if (!info.isFile()) return null;
    const bytes = await readFile(path);
    const created = info.birthtimeMs > 0 ? info.birthtimeMs : info.mtimeMs;
    return { bytes, created_at: Math.floor(created), updated_at: Math.floor(info.mtimeMs) };
  } catch {
    return null;
  }
}
