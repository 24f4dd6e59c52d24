/**
 * Names on disk that never appear through the API: internal state (`_system` at the account root),
 * temporary files of atomic writes and lock files. Such names are also refused as URI segments for
 * writes, so nothing can be written that could not be listed.
 */
import { TEMP_PREFIX } from '../storage/atomic.js';
import { SYSTEM_DIR } from '../storage/paths.js';

/** Lock files other modules keep beside data (e.g. `.messages.jsonl.lock`). */
const LOCK_PATTERN = /^\..*\.lock$/;

/** Whether a directory entry named `name` is internal (hidden from every listing). */
export function isInternalName(name: string, atAccountRoot: boolean): boolean {
  if (atAccountRoot && name === SYSTEM_DIR) return true;
  return name.startsWith(TEMP_PREFIX) || LOCK_PATTERN.test(name);
}

/** Hidden (dot) names are listed only on request, like `ls -a`. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}
