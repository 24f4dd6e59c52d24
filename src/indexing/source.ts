/**
 * Reading the source of truth: which files under an account are indexed and walking a subtree on
 * disk. (A session's `messages.jsonl` is parsed by the sessions module, which owns that format.)
 * Knows nothing about LanceDB.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { childUri, ROOT_URI } from '../policy/index.js';
import { isContentFileUri, isInternalName } from '../storage/names.js';
import { generatedSummaryNames } from '../storage/summary-state.js';
import { pathOfUri } from '../storage/paths.js';

/** Session id of a live or archived `messages.jsonl` URI, else null. */
export function sessionOfMessagesFile(uri: string): string | null {
  const match = /^viking:\/\/session\/([^/]+)\/(?:history\/[^/]+\/)?messages\.jsonl$/.exec(uri);
  return match?.[1] ?? null;
}

/**
 * Canonical URIs of every content file at or under `uri` on disk (none if it does not exist).
 * Internal names, session bookkeeping (storage/names.ts) and generated folder summaries
 * (storage/summary-state.ts) are skipped; symlinks are not followed.
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
      if (isContentFileUri(current)) out.push(current);
      return;
    }
    if (!info.isDirectory()) return;
    const names = await readdir(pathOfUri(dataDir, account_id, current));
    const generated = await generatedSummaryNames(pathOfUri(dataDir, account_id, current));
    for (const name of names.sort()) {
      if (isInternalName(name, current === ROOT_URI) || generated.has(name)) continue;
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
