/**
 * Symbolic links are never followed inside an account folder. No API creates one, but one placed on
 * disk (an operator's copy or restore) must not lead a request out of its account: listings already
 * skip links (lstat), and these helpers cover paths that name a file directly — a link on the way
 * (or a file where a folder should be) means there is nothing at the path and nothing can be put there.
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { errnoOf } from '../errors.js';

/**
 * Whether an existing entry between `root` (exclusive) and `path` (exclusive) is not a real folder
 * (a symbolic link, or a file standing where a folder should be). Missing entries are fine: whatever
 * is created there later is a real folder.
 */
export async function linkOnTheWay(root: string, path: string): Promise<boolean> {
  const rel = relative(root, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`)) return false;
  let current = root;
  for (const name of rel.split(sep).slice(0, -1)) {
    current = join(current, name);
    try {
      if (!(await lstat(current)).isDirectory()) return true;
    } catch {
      return false;
    }
  }
  return false;
}

/** The text of the regular file at `path` (not followed if it is a link), or null if there is none. */
export async function readTextNoFollow(path: string): Promise<string | null> {
  return (await readNoFollow(path))?.toString('utf8') ?? null;
}

/** The bytes of the regular file at `path` (not followed if it is a link), or null if there is none. */
export async function readNoFollow(path: string): Promise<Buffer | null> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    // ELOOP: the path is a link.
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return null;
    throw error;
  }
  try {
    return (await handle.stat()).isFile() ? await handle.readFile() : null;
  } finally {
    await handle.close();
  }
}
