/**
 * Which names on disk are content — the one rule the filesystem (what is listed) and the indexer
 * (what is indexed) share:
 *
 * - internal: `_system` at the account root, temporary files of atomic writes, lock files
 *   (`.….lock`) and a folder's generated-summary state (fs/summaries.ts). Never listed, never
 *   indexed, refused as URI segments for writes.
 * - bookkeeping: a session's `.meta.json`, `.used.jsonl` (contexts used, waiting for the next
 *   commit) and an archive's `.extraction.json` (memory extraction state). Listed as hidden files, never indexed (a session's messages are indexed from its
 *   `messages.jsonl`, parsed by the sessions module).
 * - everything else is content: listed and indexed.
 */
import { TEMP_PREFIX } from './atomic.js';
import { SYSTEM_DIR } from './paths.js';

/** Lock files modules keep beside data (e.g. `.messages.jsonl.lock`). */
const LOCK_PATTERN = /^\..*\.lock$/;
/** A folder's state of its generated summaries (document count, hashes of the generated files). */
export const SUMMARY_STATE_FILE = '.vs-summaries.json';
/** A session's metadata file (SPEC 8) and its log of used contexts. */
export const SESSION_META_FILE = '.meta.json';
export const SESSION_USED_FILE = '.used.jsonl';
/** An archive's memory extraction state (pending, then its result or failure; SPEC 15). */
export const SESSION_EXTRACTION_FILE = '.extraction.json';

/** Whether a directory entry named `name` is internal (hidden from every listing, never indexed). */
export function isInternalName(name: string, atAccountRoot: boolean): boolean {
  if (atAccountRoot && name === SYSTEM_DIR) return true;
  return name.startsWith(TEMP_PREFIX) || LOCK_PATTERN.test(name) || name === SUMMARY_STATE_FILE;
}

/** Whether a file URI holds indexable content: not internal, not session bookkeeping. */
export function isContentFileUri(uri: string): boolean {
  const slash = uri.lastIndexOf('/');
  const name = uri.slice(slash + 1);
  if (isInternalName(name, uri.slice(0, slash) === 'viking:/')) return false;
  const bookkeeping =
    name === SESSION_META_FILE || name === SESSION_USED_FILE || name === SESSION_EXTRACTION_FILE;
  return !(uri.startsWith('viking://session/') && bookkeeping);
}
