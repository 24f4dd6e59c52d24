/** What the filesystem operations share: the storage of the tree, the hooks, limits, and 404s. */
import { AppError } from '../errors.js';
import type { RequestContext, ResolvedUri } from '../policy/index.js';
import type { ContentHooks, WaitIndexed } from '../hooks.js';
import type { SessionMessageReader } from './session-messages.js';
import type { EntryInfo, FileStorage } from './storage.js';
import type { Tree } from './walk.js';

/** What every operation needs: where the tree is stored, who to tell, and the limits. */
export interface FsCore {
  /** The tree itself (local files, or PostgreSQL in distributed mode). */
  readonly storage: FileStorage;
  readonly hooks: ContentHooks;
  readonly maxFileBytes: number;
  readonly sessionMessages: SessionMessageReader | undefined;
  readonly waitIndexed: WaitIndexed | undefined;
}

/** The tree of the effective account, for walks. */
export function treeOf(core: FsCore, ctx: RequestContext): Tree {
  return { storage: core.storage, account_id: ctx.effective.account_id };
}

export function notFound(resolved: ResolvedUri): AppError {
  return new AppError('NOT_FOUND', 'no such file or folder', { uri: resolved.uri });
}

/** Stat of an existing entry (after the access check), else 404; nothing is reached through a link. */
export async function requireStat(
  core: FsCore,
  ctx: RequestContext,
  resolved: ResolvedUri,
): Promise<EntryInfo> {
  const info = await core.storage.stat(ctx.effective.account_id, resolved.uri);
  if (info === null) throw notFound(resolved);
  return info;
}

/** For writes, moves and removals: 409 if the path leads through a link (it would leave the account). */
export async function requireNoLink(core: FsCore, ctx: RequestContext, resolved: ResolvedUri): Promise<void> {
  if (await core.storage.blocked(ctx.effective.account_id, resolved.uri)) {
    throw new AppError('CONFLICT', 'a file or folder is in the way', { uri: resolved.uri });
  }
}

export function isoTime(date: Date): string {
  return date.toISOString();
}
