/**
 * Directory listings under the visibility rules: children the caller may read (each child's canonical
 * URI checked with `canRead`), internal names never shown, and recursion only into readable folders.
 *
 * Containers: under an isolating policy `viking://user/U` holds a folder `agent` whose URI
 * `viking://user/U/agent` is a shape error. A container's listing therefore skips that intermediate
 * level and shows the scope roots below it directly (`viking://user/U/agent/A`, rel path `agent/A`).
 */
import { canRead, childUri, type RequestContext, type ResolvedUri } from '../policy/index.js';
import { tryResolveCanonical } from './access.js';
import { isHiddenName, isInternalName } from './names.js';
import type { ChildEntry, FileStorage } from './storage.js';

/**
 * A readable entry, known from its folder's listing alone: nothing is stat'ed or read until a caller
 * asks for it, so a listing that stops at its limit costs what it returns, not the folder's size.
 */
export interface DirEntry {
  readonly resolved: ResolvedUri;
  /** Path relative to the listed folder, `/`-separated. */
  readonly rel: string;
  readonly isDir: boolean;
}

export interface WalkOptions {
  /** Folder levels below the start to descend into (1 = direct children only). */
  readonly maxDepth: number;
  /** Include dot files (folders are always included). */
  readonly showHidden: boolean;
}

/** Where a walk reads folders: the storage and the account whose tree it is. */
export interface Tree {
  readonly storage: FileStorage;
  readonly account_id: string;
}

/** A folder's entries sorted by name (a stable order, so pages by offset do not overlap). */
async function entriesOf(tree: Tree, uri: string): Promise<ChildEntry[]> {
  const list = await tree.storage.list(tree.account_id, uri);
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

interface Folder {
  readonly uri: string;
  readonly atAccountRoot: boolean;
  /** Look through one unresolvable level (a container's intermediate folder). */
  readonly collapse: boolean;
}

/**
 * The readable children of a folder whose listing is read: a lazy, synchronous sequence (an entry is
 * resolved and checked only when reached). A container's intermediate level holds only scope roots:
 * it is read up front, and its readable entries take its place.
 */
async function childrenOf(
  tree: Tree,
  ctx: RequestContext,
  dir: Folder,
  prefix: string,
): Promise<Iterable<DirEntry>> {
  const children = readableOf(ctx, dir, prefix, await entriesOf(tree, dir.uri));
  if (!dir.collapse) return entriesIn(children);
  const out: DirEntry[] = [];
  for (const child of children) {
    if ('entry' in child) out.push(child.entry);
    else out.push(...(await childrenOf(tree, ctx, child.collapse, `${child.rel}/`)));
  }
  return out;
}

function* entriesIn(children: Iterable<Child>): Generator<DirEntry> {
  for (const child of children) if ('entry' in child) yield child.entry;
}

type Child = { readonly entry: DirEntry } | { readonly collapse: Folder; readonly rel: string };

function* readableOf(
  ctx: RequestContext,
  dir: Folder,
  prefix: string,
  children: readonly ChildEntry[],
): Generator<Child> {
  // Storages list files and folders only: links and special files are never shown or followed.
  for (const child of children) {
    if (isInternalName(child.name, dir.atAccountRoot)) continue;
    const rel = prefix + child.name;
    const isDir = child.kind === 'folder';
    const uri = childUri(dir.uri, child.name);
    const resolved = tryResolveCanonical(ctx, uri);
    if (resolved === null) {
      if (dir.collapse && isDir) yield { collapse: { uri, atAccountRoot: false, collapse: false }, rel };
    } else if (canRead(ctx, resolved)) yield { entry: { resolved, rel, isDir } };
  }
}

/** The readable children of a readable folder, in name order. */
export function listChildren(tree: Tree, ctx: RequestContext, dir: ResolvedUri): Promise<Iterable<DirEntry>> {
  const folder = {
    uri: dir.uri,
    atAccountRoot: dir.segments.length === 0,
    collapse: dir.is_container,
  };
  return childrenOf(tree, ctx, folder, '');
}

/**
 * Depth-first walk below a readable folder, yielding readable entries (pre-order) and descending only
 * into readable folders. Consumers stop early by breaking out of the loop; only the folders the walk
 * reached are read.
 */
export async function* walk(
  tree: Tree,
  ctx: RequestContext,
  dir: ResolvedUri,
  options: WalkOptions,
  depth = 1,
  prefix = '',
): AsyncGenerator<DirEntry> {
  for (const entry of await listChildren(tree, ctx, dir)) {
    const name = entry.rel.slice(entry.rel.lastIndexOf('/') + 1);
    if (!entry.isDir && !options.showHidden && isHiddenName(name)) continue;
    const rel = prefix + entry.rel;
    yield { ...entry, rel };
    if (entry.isDir && depth < options.maxDepth) {
      yield* walk(tree, ctx, entry.resolved, options, depth + 1, `${rel}/`);
    }
  }
}
