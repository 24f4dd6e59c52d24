/**
 * Mutating filesystem operations: mkdir, write (replace | append), rm, mv. Writes are atomic and
 * serialised per file; hooks run after the change is durable, always with canonical URIs. A change that
 * will enqueue index jobs first asks the indexer to admit it (backpressure), after validation and
 * before anything is written; with `wait: true` it returns once its own jobs are applied.
 */
import { AppError } from '../errors.js';
import { releaseBuffer } from '../release-buffer.js';
import { DEFAULT_WAIT_TIMEOUT_S, type IndexTickets } from '../hooks.js';
import { childUri, resolveUri, type RequestContext, type ResolvedUri } from '../policy/index.js';
import { resolveRemovable, resolveWritable, resolveWriteShape, sameOwner } from './access.js';
import { destinationExists, foldersAbove, tooLarge } from './storage.js';
import { notFound, requireNoLink, type FsCore } from './core.js';
import { refreshAbove, refreshAboveAll } from './summaries.js';

/** `create` (OpenViking's third mode) writes a new file and refuses an existing one. */
export type WriteMode = 'replace' | 'append' | 'create';

/** `wait: true`: resolve only once this change's index jobs are applied, within `timeout` seconds. */
export interface WaitOptions {
  wait?: boolean;
  /** Seconds (default 30); past it the change stays saved and the call fails with DEADLINE_EXCEEDED. */
  timeout?: number;
}

export interface WriteRequest extends WaitOptions {
  uri: string;
  /**
   * Taken by the write: emptied once encoded, so a large body (up to MAX_FILE_BYTES) is not held
   * while a `wait` write waits for the indexer, which reads the file back (issue 23 item 5).
   */
  content: string;
  mode?: WriteMode;
}

/** Throws RESOURCE_EXHAUSTED while the indexer is too far behind (nothing is written then). */
function admit(core: FsCore, ctx: RequestContext): void {
  core.hooks.admit?.(ctx.effective.account_id);
}

async function waitIndexed(core: FsCore, tickets: IndexTickets, options: WaitOptions | undefined) {
  if (options?.wait !== true || core.waitIndexed === undefined) return;
  await core.waitIndexed(tickets, (options.timeout ?? DEFAULT_WAIT_TIMEOUT_S) * 1000);
}

/** Stores the bytes (see FileStorage.write for what is refused); returns the file's new size. */
function writeBytes(core: FsCore, ctx: RequestContext, resolved: ResolvedUri, data: Buffer, mode: WriteMode) {
  const options = { mode, maxBytes: core.maxFileBytes };
  return core.storage.write(ctx.effective.account_id, resolved.uri, data, options);
}

/** Writes a file (creating it and its parents) and tells the indexer. */
export async function write(core: FsCore, ctx: RequestContext, request: WriteRequest) {
  const resolved = resolveWritable(ctx, request.uri);
  const mode = request.mode ?? 'replace';
  const data = Buffer.from(request.content, 'utf8');
  request.content = '';
  if (data.length > core.maxFileBytes) throw tooLarge(resolved.uri, core.maxFileBytes);
  await requireNoLink(core, ctx, resolved);
  admit(core, ctx);
  // Stored: its memory (the file's size) is freed now, not at a full collection (release-buffer.ts).
  const size = await writeBytes(core, ctx, resolved, data, mode).finally(() => releaseBuffer(data));
  const tickets = await core.hooks.fileWritten(ctx.effective.account_id, resolved.uri);
  await refreshAbove(core, ctx, resolved);
  await waitIndexed(core, tickets, request);
  return { uri: resolved.uri, mode, size };
}

/** One file of {@link writeMany}. */
export interface BatchFile {
  uri: string;
  content: string;
}

/** Refuses a batch whose files would stand where a folder is, or below a file (on disk or in the batch). */
async function checkPlacement(
  core: FsCore,
  ctx: RequestContext,
  targets: readonly { resolved: ResolvedUri }[],
) {
  const account_id = ctx.effective.account_id;
  const files = new Set<string>(targets.map((t) => t.resolved.uri));
  const checked = new Set<string>();
  for (const { resolved } of targets) {
    if ((await core.storage.stat(account_id, resolved.uri))?.kind === 'folder')
      throw new AppError('CONFLICT', 'a folder exists at this URI', { uri: resolved.uri });
    // The folders above, deepest first, below the account root.
    for (const dir of foldersAbove(resolved.uri).slice(1).reverse()) {
      if (checked.has(dir)) break;
      checked.add(dir);
      if (files.has(dir) || (await core.storage.stat(account_id, dir))?.kind === 'file')
        throw new AppError('CONFLICT', 'a file stands where a folder must be', { uri: resolved.uri });
    }
  }
}

/**
 * Writes several files (mode `replace`) as one change: every URI is resolved and checked (shape,
 * write permission, size, links, file/folder conflicts) before the first write, and the indexer
 * admits the change once, so a refused batch writes nothing. Resolves with the canonical URIs and the
 * index tickets of all files (the caller decides whether to wait for them).
 */
export async function writeMany(core: FsCore, ctx: RequestContext, files: readonly BatchFile[]) {
  const targets = files.map((file) => {
    const resolved = resolveWritable(ctx, file.uri);
    const data = Buffer.from(file.content, 'utf8');
    if (data.length > core.maxFileBytes) throw tooLarge(resolved.uri, core.maxFileBytes);
    return { resolved, data };
  });
  for (const { resolved } of targets) await requireNoLink(core, ctx, resolved);
  await checkPlacement(core, ctx, targets);
  admit(core, ctx);
  const tickets: number[] = [];
  for (const target of targets) {
    await writeBytes(core, ctx, target.resolved, target.data, 'replace');
    tickets.push(...(await core.hooks.fileWritten(ctx.effective.account_id, target.resolved.uri)));
  }
  await refreshAboveAll(
    core,
    ctx,
    targets.map((t) => t.resolved),
  );
  return { uris: targets.map((t) => t.resolved.uri), tickets };
}

/** Creates a folder and its parents; a description becomes the folder's `.abstract.md`. */
export async function mkdir(
  core: FsCore,
  ctx: RequestContext,
  raw: unknown,
  description?: string,
  wait?: WaitOptions,
) {
  const resolved = resolveWritable(ctx, raw);
  await requireNoLink(core, ctx, resolved);
  const account_id = ctx.effective.account_id;
  if ((await core.storage.stat(account_id, resolved.uri))?.kind === 'file') {
    throw new AppError('CONFLICT', 'a file exists at this URI', { uri: resolved.uri });
  }
  // Only a description is indexed; a bare folder enqueues nothing.
  if (description !== undefined) admit(core, ctx);
  await core.storage.mkdir(account_id, resolved.uri);
  if (description !== undefined) {
    const abstract = resolveUri(childUri(resolved.uri, '.abstract.md'), null, ctx.policy);
    const data = Buffer.from(description, 'utf8');
    if (data.length > core.maxFileBytes) throw tooLarge(abstract.uri, core.maxFileBytes);
    await writeBytes(core, ctx, abstract, data, 'replace');
    await waitIndexed(core, await core.hooks.fileWritten(ctx.effective.account_id, abstract.uri), wait);
  }
  return description === undefined ? { uri: resolved.uri } : { uri: resolved.uri, description };
}

/** Removes a file or (with `recursive`) a folder; removing nothing succeeds. */
export async function rm(
  core: FsCore,
  ctx: RequestContext,
  raw: unknown,
  recursive = false,
  wait?: WaitOptions,
) {
  const resolved = resolveRemovable(ctx, raw);
  await requireNoLink(core, ctx, resolved);
  const account_id = ctx.effective.account_id;
  const info = await core.storage.stat(account_id, resolved.uri);
  if (info === null) return { uri: resolved.uri, deleted: false };
  if (info.kind === 'folder' && !recursive) {
    throw new AppError('FAILED_PRECONDITION', 'a folder is removed only with recursive=true', {
      uri: resolved.uri,
    });
  }
  admit(core, ctx);
  await core.storage.remove(account_id, resolved.uri);
  const tickets = await core.hooks.removed(ctx.effective.account_id, resolved.uri);
  await refreshAbove(core, ctx, resolved);
  await waitIndexed(core, tickets, wait);
  return { uri: resolved.uri, deleted: true };
}

function isWithin(inner: ResolvedUri, outer: ResolvedUri): boolean {
  return outer.segments.every((segment, i) => inner.segments[i] === segment);
}

/** Moves a file or folder within one scope owner; an existing destination is 409. */
export async function mv(
  core: FsCore,
  ctx: RequestContext,
  fromRaw: unknown,
  toRaw: unknown,
  wait?: WaitOptions,
) {
  // Both shapes first, so a malformed side is 400 whatever the other side's permissions.
  resolveWriteShape(ctx, fromRaw);
  resolveWriteShape(ctx, toRaw);
  const from = resolveRemovable(ctx, fromRaw);
  const to = resolveRemovable(ctx, toRaw);
  if (!sameOwner(from, to)) {
    throw new AppError('PERMISSION_DENIED', 'both sides of a move must have the same scope owner', {
      from_uri: from.uri,
      to_uri: to.uri,
    });
  }
  if (isWithin(to, from)) {
    throw new AppError('INVALID_ARGUMENT', 'cannot move a URI into itself', {
      from_uri: from.uri,
      to_uri: to.uri,
    });
  }
  await requireNoLink(core, ctx, from);
  await requireNoLink(core, ctx, to);
  const account_id = ctx.effective.account_id;
  if ((await core.storage.stat(account_id, from.uri)) === null) throw notFound(from);
  if ((await core.storage.stat(account_id, to.uri)) !== null) throw destinationExists(to.uri);
  admit(core, ctx);
  await core.storage.move(account_id, from.uri, to.uri);
  const tickets = await core.hooks.moved(ctx.effective.account_id, from.uri, to.uri);
  await refreshAbove(core, ctx, from);
  await refreshAbove(core, ctx, to);
  await waitIndexed(core, tickets, wait);
  // `from`/`to` are the names OpenViking's mv answers with.
  return {
    from_uri: from.uri,
    to_uri: to.uri,
    from: from.uri,
    to: to.uri,
  };
}
