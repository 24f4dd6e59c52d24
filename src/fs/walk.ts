/**
 * Directory listings under the visibility rules: children the caller may read (each child's canonical
 * URI checked with `canRead`), internal names never shown, and recursion only into readable folders.
 *
 * Containers: under an isolating policy `viking://user/U` holds a folder `agent` whose URI
 * `viking://user/U/agent` is a shape error. A container's listing therefore skips that intermediate
 * level and shows the scope roots below it directly (`viking://user/U/agent/A`, rel path `agent/A`).
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { canRead, childUri, type RequestContext, type ResolvedUri } from '../policy/index.js';
import { tryResolveCanonical } from './access.js';
import { isHiddenName, isInternalName } from './names.js';

export interface DirEntry {
  readonly resolved: ResolvedUri;
  /** Path relative to the listed folder, `/`-separated. */
  readonly rel: string;
  readonly path: string;
  readonly isDir: boolean;
  readonly size: number;
  readonly mtime: Date;
}

export interface WalkOptions {
  /** Folder levels below the start to descend into (1 = direct children only). */
  readonly maxDepth: number;
  /** Include dot files (folders are always included). */
  readonly showHidden: boolean;
}

async function entriesOf(path: string): Promise<Dirent[]> {
  try {
    const list = await readdir(path, { withFileTypes: true });
    return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    // A folder removed while listing simply has no children.
    return [];
  }
}

async function entryOf(resolved: ResolvedUri, rel: string, path: string): Promise<DirEntry | null> {
  try {
    const info = await lstat(path);
    if (!info.isFile() && !info.isDirectory()) return null;
    return {
      resolved,
      rel,
      path,
      isDir: info.isDirectory(),
      size: info.isDirectory() ? 0 : info.size,
      mtime: info.mtime,
    };
  } catch {
    return null;
  }
}

interface Folder {
  readonly uri: string;
  readonly path: string;
  readonly atAccountRoot: boolean;
  /** Look through one unresolvable level (a container's intermediate folder). */
  readonly collapse: boolean;
}

async function childrenOf(ctx: RequestContext, dir: Folder, prefix: string): Promise<DirEntry[]> {
  const out: DirEntry[] = [];
  for (const dirent of await entriesOf(dir.path)) {
    if (isInternalName(dirent.name, dir.atAccountRoot)) continue;
    if (!dirent.isFile() && !dirent.isDirectory()) continue;
    const rel = prefix + dirent.name;
    const path = join(dir.path, dirent.name);
    const uri = childUri(dir.uri, dirent.name);
    const resolved = tryResolveCanonical(ctx, uri);
    if (resolved === null) {
      if (dir.collapse && dirent.isDirectory()) {
        const inner = { uri, path, atAccountRoot: false, collapse: false };
        out.push(...(await childrenOf(ctx, inner, `${rel}/`)));
      }
      continue;
    }
    if (!canRead(ctx, resolved)) continue;
    const entry = await entryOf(resolved, rel, path);
    if (entry !== null) out.push(entry);
  }
  return out;
}

/** The readable children of a readable folder. */
export function listChildren(ctx: RequestContext, dir: ResolvedUri, dirPath: string): Promise<DirEntry[]> {
  const folder = {
    uri: dir.uri,
    path: dirPath,
    atAccountRoot: dir.segments.length === 0,
    collapse: dir.is_container,
  };
  return childrenOf(ctx, folder, '');
}

/**
 * Depth-first walk below a readable folder, yielding readable entries (pre-order) and descending only
 * into readable folders. Consumers stop early by breaking out of the loop.
 */
export async function* walk(
  ctx: RequestContext,
  dir: ResolvedUri,
  dirPath: string,
  options: WalkOptions,
  depth = 1,
  prefix = '',
): AsyncGenerator<DirEntry> {
  for (const entry of await listChildren(ctx, dir, dirPath)) {
    const name = entry.rel.slice(entry.rel.lastIndexOf('/') + 1);
    if (!entry.isDir && !options.showHidden && isHiddenName(name)) continue;
    const rel = prefix + entry.rel;
    yield { ...entry, rel };
    if (entry.isDir && depth < options.maxDepth) {
      yield* walk(ctx, entry.resolved, entry.path, options, depth + 1, `${rel}/`);
    }
  }
}
