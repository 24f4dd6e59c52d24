/** Read-only filesystem operations: ls, tree, stat, read, abstract, overview. */
import { AppError } from '../errors.js';
import { ABSTRACT_CHARS, childUri, type RequestContext, type ResolvedUri } from '../policy/index.js';
import { resolveReadable } from './access.js';
import { messageRefOf, messagesFolderOf } from './session-messages.js';
import type { LookupOptions } from './storage.js';
import { isoTime, requireStat, treeOf, type FsCore } from './core.js';
import { sliceLines } from './text.js';
import { walk, type DirEntry } from './walk.js';

export interface LsEntry {
  uri: string;
  size: number;
  isDir: boolean;
  modTime: string;
  abstract: string;
  rel_path?: string;
}

export type TreeEntry = LsEntry & { rel_path: string };

/** A page of a listing: at most `nodeLimit` entries after skipping `offset`. */
export interface PageOptions {
  nodeLimit?: number;
  offset?: number;
}

export interface LsOptions extends PageOptions {
  simple?: boolean;
  recursive?: boolean;
  showAllHidden?: boolean;
}

export interface TreeOptions extends PageOptions {
  levelLimit?: number;
  showAllHidden?: boolean;
}

export interface StatResult {
  uri: string;
  name: string;
  size: number;
  isDir: boolean;
  modTime: string;
}

export const DEFAULT_NODE_LIMIT = 1000;

/** A folder's summary file's text, '' if there is none (a link there is not followed: it would leave the account). */
async function readSummary(
  core: FsCore,
  ctx: RequestContext,
  folderUri: string,
  file: '.abstract.md' | '.overview.md',
  options: LookupOptions = {},
): Promise<string> {
  const uri = childUri(folderUri, file);
  const data = await core.storage.read(ctx.effective.account_id, uri, options).catch(() => null);
  return data?.toString('utf8') ?? '';
}

/** The listing entry of a walked entry; null if it vanished since its folder was read. */
async function toLsEntry(core: FsCore, ctx: RequestContext, entry: DirEntry, withRel: boolean) {
  const listed = { listed: true };
  const info = await core.storage.stat(ctx.effective.account_id, entry.resolved.uri, listed);
  if (info === null) return null;
  const isDir = info.kind === 'folder';
  const abstract = isDir
    ? (await readSummary(core, ctx, entry.resolved.uri, '.abstract.md', listed)).slice(0, ABSTRACT_CHARS)
    : '';
  const out: LsEntry = {
    uri: entry.resolved.uri,
    size: info.size,
    isDir,
    modTime: isoTime(info.mtime),
    abstract,
  };
  if (withRel) out.rel_path = entry.rel;
  return out;
}

/** Listing entries of a page of walked entries (stat'ed and read together, in order). */
async function toLsEntries(
  core: FsCore,
  ctx: RequestContext,
  entries: readonly DirEntry[],
  withRel: true,
): Promise<TreeEntry[]>;
async function toLsEntries(
  core: FsCore,
  ctx: RequestContext,
  entries: readonly DirEntry[],
  withRel: boolean,
): Promise<LsEntry[]>;
async function toLsEntries(
  core: FsCore,
  ctx: RequestContext,
  entries: readonly DirEntry[],
  withRel: boolean,
): Promise<LsEntry[]> {
  const out = await Promise.all(entries.map((e) => toLsEntry(core, ctx, e, withRel)));
  return out.filter((e) => e !== null);
}

/** A readable, existing folder, or 412 if the URI is a file. */
async function requireFolder(core: FsCore, ctx: RequestContext, raw: unknown) {
  const resolved = resolveReadable(ctx, raw);
  const info = await requireStat(core, ctx, resolved);
  if (info.kind !== 'folder') {
    throw new AppError('FAILED_PRECONDITION', 'not a folder', { uri: resolved.uri });
  }
  return resolved;
}

/**
 * One page of the walk below a readable folder: `offset` entries are skipped (walk order is stable:
 * by name, folders before their contents), then at most `nodeLimit` are taken and the walk stops.
 */
async function collect(
  core: FsCore,
  ctx: RequestContext,
  raw: unknown,
  maxDepth: number,
  options: PageOptions & { showAllHidden?: boolean },
): Promise<DirEntry[]> {
  const resolved = await requireFolder(core, ctx, raw);
  const limit = options.nodeLimit ?? DEFAULT_NODE_LIMIT;
  let skip = options.offset ?? 0;
  const out: DirEntry[] = [];
  if (limit <= 0) return out;
  for await (const entry of walk(treeOf(core, ctx), ctx, resolved, {
    maxDepth,
    showHidden: options.showAllHidden ?? false,
  })) {
    if (skip > 0) {
      skip--;
      continue;
    }
    out.push(entry);
    if (out.length >= limit) break;
  }
  return out;
}

/** The entries of `viking://session/{S}/messages`, or null if the URI is not an existing such folder. */
async function messageEntries(core: FsCore, ctx: RequestContext, resolved: ResolvedUri) {
  const session_id = messagesFolderOf(resolved);
  if (session_id === null || core.sessionMessages === undefined) return null;
  const files = await core.sessionMessages.listMessages(ctx.effective.account_id, session_id);
  return (
    files?.map((file) => ({
      uri: childUri(resolved.uri, file.message_id),
      rel: file.message_id,
      size: file.size,
      created_at: file.created_at,
    })) ?? null
  );
}

export async function ls(
  core: FsCore,
  ctx: RequestContext,
  raw: unknown,
  options: LsOptions = {},
): Promise<LsEntry[] | string[]> {
  const recursive = options.recursive ?? false;
  const messages = await messageEntries(core, ctx, resolveReadable(ctx, raw));
  if (messages !== null) {
    const kept = messages.slice(0, Math.max(options.nodeLimit ?? DEFAULT_NODE_LIMIT, 0));
    if (options.simple === true) return kept.map((m) => m.uri);
    return kept.map((m) => ({
      uri: m.uri,
      size: m.size,
      isDir: false,
      modTime: m.created_at,
      abstract: '',
      ...(recursive ? { rel_path: m.rel } : {}),
    }));
  }
  const entries = await collect(core, ctx, raw, recursive ? Number.POSITIVE_INFINITY : 1, options);
  if (options.simple === true) return entries.map((e) => e.resolved.uri);
  return toLsEntries(core, ctx, entries, recursive);
}

export async function tree(core: FsCore, ctx: RequestContext, raw: unknown, options: TreeOptions = {}) {
  const entries = await collect(core, ctx, raw, Math.max(options.levelLimit ?? 3, 1), options);
  return toLsEntries(core, ctx, entries, true);
}

/** Text of a virtual session message, or null if the URI is not one (or it does not exist). */
async function sessionMessage(core: FsCore, ctx: RequestContext, resolved: ResolvedUri) {
  const ref = messageRefOf(resolved);
  if (ref === null || core.sessionMessages === undefined) return null;
  return core.sessionMessages.read(ctx.effective.account_id, ref.session_id, ref.message_id);
}

export async function stat(core: FsCore, ctx: RequestContext, raw: unknown): Promise<StatResult> {
  const resolved = resolveReadable(ctx, raw);
  const name = resolved.segments.at(-1) ?? '';
  const folder = await messageEntries(core, ctx, resolved);
  if (folder !== null) {
    const modTime = folder.at(-1)?.created_at ?? isoTime(new Date());
    return { uri: resolved.uri, name, size: 0, isDir: true, modTime };
  }
  const message = await sessionMessage(core, ctx, resolved);
  if (message !== null) {
    const log = `viking://session/${resolved.segments[1] ?? ''}/messages.jsonl`;
    const modTime = (await core.storage.stat(ctx.effective.account_id, log))?.mtime ?? new Date();
    return {
      uri: resolved.uri,
      name,
      size: Buffer.byteLength(message),
      isDir: false,
      modTime: isoTime(modTime),
    };
  }
  const info = await requireStat(core, ctx, resolved);
  const isDir = info.kind === 'folder';
  return { uri: resolved.uri, name, size: info.size, isDir, modTime: isoTime(info.mtime) };
}

export async function read(core: FsCore, ctx: RequestContext, raw: unknown, offset = 0, limit?: number) {
  const resolved = resolveReadable(ctx, raw);
  const message = await sessionMessage(core, ctx, resolved);
  if (message !== null) return sliceLines(message, offset, limit);
  const info = await requireStat(core, ctx, resolved);
  if (info.kind === 'folder')
    throw new AppError('FAILED_PRECONDITION', 'a folder has no content', { uri: resolved.uri });
  const data = await core.storage.read(ctx.effective.account_id, resolved.uri);
  if (data === null) throw new AppError('NOT_FOUND', 'no such file or folder', { uri: resolved.uri });
  return sliceLines(data.toString('utf8'), offset, limit);
}

/** A folder's `.abstract.md` or `.overview.md` ('' if it has none); a file → 412. */
export async function folderSummary(
  core: FsCore,
  ctx: RequestContext,
  raw: unknown,
  file: '.abstract.md' | '.overview.md',
) {
  const resolved = await requireFolder(core, ctx, raw);
  return readSummary(core, ctx, resolved.uri, file);
}
