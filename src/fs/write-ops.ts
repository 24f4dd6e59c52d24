/**
 * Mutating filesystem operations: mkdir, write (replace | append), rm, mv. Writes are atomic and
 * serialised per file; hooks run after the change is durable, always with canonical URIs. A change that
 * will enqueue index jobs first asks the indexer to admit it (backpressure), after validation and
 * before anything is written; with `wait: true` it returns once its own jobs are applied.
 */
import { readFile, rename, rm as remove, rmdir } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
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
  await waitIndexed(core, tickets, request);
  return { uri: resolved.uri as string, mode, size };
}

/** The folders above `path` (inside `root`) that do not exist yet, deepest first. */
async function missingFolders(root: string, path: string): Promise<string[]> {
  const out: string[] = [];
  for (let dir = dirname(path); dir.startsWith(`${root}${sep}`); dir = dirname(dir)) {
    if ((await statOrNull(dir)) !== null) break;
    out.push(dir);
  }
  return out;
}

export interface BatchFile {
  uri: string;
  content: string;
}

/**
 * Writes several files as one change (pack import): every URI is checked (400, 403, 413) and the
 * indexer admits the change once, all before the first write; if a write fails, the files this call
 * created are removed again (their index jobs then find nothing). Existing files are replaced.
 * Returns the canonical URIs written, in order.
 */
export async function writeAll(
  core: FsCore,
  ctx: RequestContext,
  files: readonly BatchFile[],
  wait?: WaitOptions,
): Promise<string[]> {
  const targets: { resolved: ResolvedUri; path: string; data: Buffer }[] = [];
  for (const file of files) {
    const resolved = resolveWritable(ctx, file.uri);
    const data = Buffer.from(file.content, 'utf8');
    if (data.length > core.maxFileBytes) throw tooLarge(resolved, core.maxFileBytes);
    await requireNoLink(core, ctx, resolved);
    targets.push({ resolved, path: pathOf(core, ctx, resolved), data });
  }
  if (targets.length > 0) admit(core, ctx);
  const root = accountRoot(core, ctx);
  const folders = new Set<string>();
  for (const target of targets) for (const dir of await missingFolders(root, target.path)) folders.add(dir);
  const created: string[] = [];
  const tickets: number[] = [];
  try {
    for (const target of targets) {
      const existed = (await statOrNull(target.path)) !== null;
      await core.mutex.run(target.path, () => writeBytes(core, root, target, target.data, 'replace'));
      if (!existed) created.push(target.path);
      tickets.push(...(await core.hooks.fileWritten(ctx.effective.account_id, target.resolved.uri)));
    }
  } catch (error) {
    await Promise.all(created.map((path) => remove(path, { force: true })));
    // Deepest first; a folder something else has written into meanwhile stays.
    for (const dir of [...folders].sort((a, b) => b.length - a.length))
      await rmdir(dir).catch(() => undefined);
    throw error;
  }
  await waitIndexed(core, tickets, wait);
  return targets.map((t) => t.resolved.uri as string);
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
  await waitIndexed(core, await core.hooks.removed(ctx.effective.account_id, resolved.uri), wait);
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
  await waitIndexed(core, await core.hooks.moved(ctx.effective.account_id, from.uri, to.uri), wait);
  // `from`/`to` are the names OpenViking's mv answers with.
  return {
    from_uri: from.uri as string,
    to_uri: to.uri as string,
    from: from.uri as string,
    to: to.uri as string,
  };
}
