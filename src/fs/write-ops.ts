/**
 * Mutating filesystem operations: mkdir, write (replace | append), rm, mv. Writes are atomic and
 * serialised per file; hooks run after the change is durable, always with canonical URIs. A change that
 * will enqueue index jobs first asks the indexer to admit it (backpressure), after validation and
 * before anything is written; with `wait: true` it returns once its own jobs are applied.
 */
import { readFile, rename, rm as remove } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../errors.js';
import { DEFAULT_WAIT_TIMEOUT_S, type IndexTickets } from '../hooks.js';
import { childUri, resolveUri, type RequestContext, type ResolvedUri } from '../policy/index.js';
import { mkdirWithin, writeFileAtomic } from '../storage/atomic.js';
import { resolveRemovable, resolveWritable, resolveWriteShape, sameOwner } from './access.js';
import {
  accountRoot,
  mapWriteError,
  notFound,
  pathOf,
  requireNoLink,
  statOrNull,
  type FsCore,
} from './store.js';
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

function tooLarge(resolved: ResolvedUri, max: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `a file may hold at most ${max} bytes`, {
    uri: resolved.uri,
    max_bytes: max,
  });
}

async function writeBytes(
  core: FsCore,
  root: string,
  target: { resolved: ResolvedUri; path: string },
  data: Buffer,
  mode: WriteMode,
) {
  const { resolved, path } = target;
  const info = await statOrNull(path);
  if (info?.isDirectory() === true)
    throw new AppError('CONFLICT', 'a folder exists at this URI', { uri: resolved.uri });
  if (mode === 'create' && info !== null)
    throw new AppError('ALREADY_EXISTS', 'the file already exists', { uri: resolved.uri });
  const next = mode === 'append' && info !== null ? Buffer.concat([await readFile(path), data]) : data;
  if (next.length > core.maxFileBytes) throw tooLarge(resolved, core.maxFileBytes);
  await writeFileAtomic(path, next, { within: root }).catch((error: unknown) =>
    mapWriteError(error, resolved),
  );
  return next.length;
}

/** Writes a file (creating it and its parents) and tells the indexer. */
export async function write(core: FsCore, ctx: RequestContext, request: WriteRequest) {
  const resolved = resolveWritable(ctx, request.uri);
  const mode = request.mode ?? 'replace';
  const data = Buffer.from(request.content, 'utf8');
  if (data.length > core.maxFileBytes) throw tooLarge(resolved, core.maxFileBytes);
  await requireNoLink(core, ctx, resolved);
  admit(core, ctx);
  const path = pathOf(core, ctx, resolved);
  const root = accountRoot(core, ctx);
  const size = await core.mutex.run(path, () => writeBytes(core, root, { resolved, path }, data, mode));
  const tickets = await core.hooks.fileWritten(ctx.effective.account_id, resolved.uri);
  await refreshAbove(core, ctx, resolved);
  await waitIndexed(core, tickets, request);
  return { uri: resolved.uri as string, mode, size };
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
  targets: readonly { resolved: ResolvedUri; path: string }[],
) {
  const root = accountRoot(core, ctx);
  const files = new Set(targets.map((t) => t.path));
  const checked = new Set<string>();
  for (const { resolved, path } of targets) {
    if ((await statOrNull(path))?.isDirectory() === true)
      throw new AppError('CONFLICT', 'a folder exists at this URI', { uri: resolved.uri });
    for (let dir = dirname(path); dir.length > root.length && !checked.has(dir); dir = dirname(dir)) {
      checked.add(dir);
      if (files.has(dir) || (await statOrNull(dir))?.isFile() === true)
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
    if (data.length > core.maxFileBytes) throw tooLarge(resolved, core.maxFileBytes);
    return { resolved, path: pathOf(core, ctx, resolved), data };
  });
  for (const { resolved } of targets) await requireNoLink(core, ctx, resolved);
  await checkPlacement(core, ctx, targets);
  admit(core, ctx);
  const root = accountRoot(core, ctx);
  const tickets: number[] = [];
  for (const target of targets) {
    await core.mutex.run(target.path, () => writeBytes(core, root, target, target.data, 'replace'));
    tickets.push(...(await core.hooks.fileWritten(ctx.effective.account_id, target.resolved.uri)));
  }
  await refreshAboveAll(
    core,
    ctx,
    targets.map((t) => t.resolved),
  );
  return { uris: targets.map((t) => t.resolved.uri as string), tickets: tickets as IndexTickets };
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
  const path = pathOf(core, ctx, resolved);
  if ((await statOrNull(path))?.isFile() === true) {
    throw new AppError('CONFLICT', 'a file exists at this URI', { uri: resolved.uri });
  }
  // Only a description is indexed; a bare folder enqueues nothing.
  if (description !== undefined) admit(core, ctx);
  const root = accountRoot(core, ctx);
  if (path !== root) await mkdirWithin(root, path).catch((error: unknown) => mapWriteError(error, resolved));
  if (description !== undefined) {
    const abstract = resolveUri(childUri(resolved.uri, '.abstract.md'), null, ctx.policy);
    const data = Buffer.from(description, 'utf8');
    if (data.length > core.maxFileBytes) throw tooLarge(abstract, core.maxFileBytes);
    const target = pathOf(core, ctx, abstract);
    await core.mutex.run(target, () =>
      writeBytes(core, root, { resolved: abstract, path: target }, data, 'replace'),
    );
    await waitIndexed(core, await core.hooks.fileWritten(ctx.effective.account_id, abstract.uri), wait);
  }
  return description === undefined
    ? { uri: resolved.uri as string }
    : { uri: resolved.uri as string, description };
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
  const path = pathOf(core, ctx, resolved);
  const info = await statOrNull(path);
  if (info === null) return { uri: resolved.uri as string, deleted: false };
  if (info.isDirectory() && !recursive) {
    throw new AppError('FAILED_PRECONDITION', 'a folder is removed only with recursive=true', {
      uri: resolved.uri,
    });
  }
  admit(core, ctx);
  await core.mutex.run(path, () => remove(path, { recursive: true, force: true }));
  const tickets = await core.hooks.removed(ctx.effective.account_id, resolved.uri);
  await refreshAbove(core, ctx, resolved);
  await waitIndexed(core, tickets, wait);
  return { uri: resolved.uri as string, deleted: true };
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
  const source = pathOf(core, ctx, from);
  const target = pathOf(core, ctx, to);
  if ((await statOrNull(source)) === null) throw notFound(from);
  if ((await statOrNull(target)) !== null) {
    throw new AppError('ALREADY_EXISTS', 'the destination exists', { uri: to.uri });
  }
  admit(core, ctx);
  await core.mutex
    .run(source, async () => {
      await mkdirWithin(accountRoot(core, ctx), dirname(target));
      await rename(source, target);
    })
    .catch((error: unknown) => mapWriteError(error, to));
  const tickets = await core.hooks.moved(ctx.effective.account_id, from.uri, to.uri);
  await refreshAbove(core, ctx, from);
  await refreshAbove(core, ctx, to);
  await waitIndexed(core, tickets, wait);
  // `from`/`to` are the names OpenViking's mv answers with.
  return {
    from_uri: from.uri as string,
    to_uri: to.uri as string,
    from: from.uri as string,
    to: to.uri as string,
  };
}
