/**
 * Comparing a subtree's files with its index records, as the caller sees both: which files have no
 * records (missing), which records are older than their file (stale), which records belong to no
 * file (orphans). Files come from the filesystem service (what the caller may read), records from the
 * index filtered by the same visibility expression (SPEC 4.1) and the subtree. Session scope is left
 * out: sessions are indexed from their messages, not from files. Pure over its two inputs.
 */
import { folderMetaLevel, LEVEL_CHUNK, recordUriOfFile } from '../indexing/records.js';
import type { RecordKey } from '../index/store.js';
import { ROOT_URI } from '../policy/index.js';

/** A file of the subtree (content files only: folders are not indexed by themselves). */
export interface FileFact {
  readonly uri: string;
  readonly size: number;
  /**
   * Epoch milliseconds of its last change, as a listing reports it: node rounds a stat's Date while the
   * indexer floors `mtimeMs`, so the two may differ by 1 ms for the same version of a file.
   */
  readonly mtimeMs: number;
}

export interface Comparison {
  /** Files with content and no record. */
  missing: string[];
  /** Files whose records were indexed from an older version. */
  stale: string[];
  /** The file URI each orphan record belonged to (a file job for it removes the records). */
  orphans: string[];
}

/** `{record uri}\u0000{level}`: the records one file owns. */
function keyOf(uri: string, level: number): string {
  return `${uri}\u0000${level}`;
}

/** The file that owns records at (uri, level): the file itself, or a folder's summary file. */
function fileOfRecord(uri: string, level: number): string {
  if (level === 0) return `${uri === ROOT_URI ? 'viking:/' : uri}/.abstract.md`;
  if (level === 1) return `${uri === ROOT_URI ? 'viking:/' : uri}/.overview.md`;
  return uri;
}

export function compare(files: readonly FileFact[], records: readonly RecordKey[]): Comparison {
  const indexed = new Map<string, number>();
  for (const r of records) {
    if (r.scope === 'session') continue;
    const key = keyOf(r.uri, r.level);
    // Chunks of one file share its time; keep the oldest so a half-updated file counts as stale.
    indexed.set(key, Math.min(indexed.get(key) ?? Number.POSITIVE_INFINITY, r.updated_at));
  }
  const missing: string[] = [];
  const stale: string[] = [];
  const owned = new Set<string>();
  for (const file of files) {
    const key = keyOf(recordUriOfFile(file.uri), folderMetaLevel(file.uri) ?? LEVEL_CHUNK);
    owned.add(key);
    const at = indexed.get(key);
    // An empty file has no records to hold.
    if (at === undefined) {
      if (file.size > 0) missing.push(file.uri);
    } else if (Math.abs(at - file.mtimeMs) > 1) stale.push(file.uri);
  }
  const orphans: string[] = [];
  for (const key of indexed.keys()) {
    if (owned.has(key)) continue;
    const [uri = '', level = ''] = key.split('\u0000');
    orphans.push(fileOfRecord(uri, Number(level)));
  }
  return { missing, stale, orphans: orphans.sort() };
}
