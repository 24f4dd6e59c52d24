/** Disk access shared by the filesystem operations: paths of canonical URIs, stats, error mapping. */
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { AppError, errnoOf } from '../errors.js';
import type { RequestContext, ResolvedUri } from '../policy/index.js';
import type { ContentHooks, WaitIndexed } from '../hooks.js';
import { KeyedMutex } from '../storage/atomic.js';
import { linkOnTheWay } from '../storage/links.js';
import { accountDir, pathOfUri } from '../storage/paths.js';
import type { SessionMessageReader } from './session-messages.js';

/** What every operation needs: where data lives, who to tell, and the limits. */
export interface FsCore {
  readonly dataDir: string;
  readonly hooks: ContentHooks;
  readonly maxFileBytes: number;
  readonly sessionMessages: SessionMessageReader | undefined;
  readonly waitIndexed: WaitIndexed | undefined;
  /** Serialises writes per file path. */
  readonly mutex: KeyedMutex;
}

/** The effective account's folder: tenant writes create folders only below it (see mkdirWithin). */
export function accountRoot(core: FsCore, ctx: RequestContext): string {
  return accountDir(core.dataDir, ctx.effective.account_id);
}

export function pathOf(core: FsCore, ctx: RequestContext, resolved: ResolvedUri): string {
  return pathOfUri(core.dataDir, ctx.effective.account_id, resolved.uri);
}

/** lstat, or null if nothing (usable) is there. Symlinks are never followed or shown. */
export async function statOrNull(path: string): Promise<Stats | null> {
  try {
    const info = await lstat(path);
    return info.isFile() || info.isDirectory() ? info : null;
  } catch {
    return null;
  }
}

export function notFound(resolved: ResolvedUri): AppError {
  return new AppError('NOT_FOUND', 'no such file or folder', { uri: resolved.uri });
}

/** Stat of an existing entry (after the access check), else 404; nothing is reached through a link. */
export async function requireStat(core: FsCore, ctx: RequestContext, resolved: ResolvedUri): Promise<Stats> {
  const path = pathOf(core, ctx, resolved);
  const info = (await linkOnTheWay(accountRoot(core, ctx), path)) ? null : await statOrNull(path);
  if (info === null) throw notFound(resolved);
  return info;
}

/** For writes, moves and removals: 409 if the path leads through a link (it would leave the account). */
export async function requireNoLink(core: FsCore, ctx: RequestContext, resolved: ResolvedUri): Promise<void> {
  if (await linkOnTheWay(accountRoot(core, ctx), pathOf(core, ctx, resolved))) {
    throw new AppError('CONFLICT', 'a file or folder is in the way', { uri: resolved.uri });
  }
}

/** Maps a node error of a write to a SPEC 12 code (a file standing where a folder must be, …). */
export function mapWriteError(error: unknown, resolved: ResolvedUri): never {
  const code = errnoOf(error);
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
    throw new AppError('CONFLICT', 'a file or folder is in the way', { uri: resolved.uri });
  }
  throw error;
}

export function isoTime(date: Date): string {
  return date.toISOString();
}
