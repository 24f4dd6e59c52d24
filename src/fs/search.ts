/**
 * grep and glob over the filesystem, walking only what the caller may read (SPEC 10). The work of one
 * request is bounded (files, bytes, matching time, matches; patterns are linear-time, see patterns.ts)
 * and grep gives the event loop back every few milliseconds, so other requests wait at most a slice.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { RequestContext, ResolvedUri } from '../policy/index.js';
import { AppError } from '../errors.js';
import { resolveReadable } from './access.js';
import { compileGlob, compileGrepPattern, type Matcher } from './patterns.js';
import { requireStat, treeOf, type FsCore } from './core.js';
import { isIndexableText } from './text.js';
import { walk } from './walk.js';
import { ROOT_URI } from '../policy/index.js';
import { SLICE_MS } from '../time-slices.js';

export const DEFAULT_SEARCH_LIMIT = 256;

/** What one grep may spend (README "Pattern limits"); tests pass smaller ones. */
export interface GrepLimits {
  /** Files read at most. */
  readonly files: number;
  /** Bytes of text read at most, over all files. */
  readonly bytes: number;
  /** Milliseconds of matching at most (slices added up, waits for I/O and other requests excluded). */
  readonly matchMs: number;
  /** Lines returned at most, whatever `node_limit` asks. */
  readonly matches: number;
  /** Longest stretch of matching before grep lets other requests run. */
  readonly sliceMs: number;
}

export const GREP_LIMITS: GrepLimits = {
  files: 20_000,
  bytes: 256 * 1024 * 1024,
  matchMs: 10_000,
  matches: 10_000,
  sliceMs: SLICE_MS,
};
/** Longest line prefix a regex is run on (bounds the work per line). */
export const MAX_LINE_CHARS = 8192;

export interface GrepRequest {
  uri: string;
  pattern: string;
  caseInsensitive?: boolean;
  nodeLimit?: number;
}

export interface GrepMatch {
  uri: string;
  line: number;
  content: string;
}

/** Files grep reads at once (reads overlap; matches are still taken in walk order). */
const READ_WINDOW = 16;

interface GrepFile {
  readonly uri: string;
  /** Reached by listing its folder (see LookupOptions), not named by the request. */
  readonly listed: boolean;
}

/** The readable files at or below a readable URI, in walk order (a file URI: just that file). */
async function* filesUnder(
  core: FsCore,
  ctx: RequestContext,
  resolved: ResolvedUri,
): AsyncGenerator<GrepFile> {
  const info = await requireStat(core, ctx, resolved);
  if (info.kind !== 'folder') {
    yield { uri: resolved.uri, listed: false };
    return;
  }
  const options = { maxDepth: Number.POSITIVE_INFINITY, showHidden: false };
  for await (const entry of walk(treeOf(core, ctx), ctx, resolved, options)) {
    if (!entry.isDir) yield { uri: entry.resolved.uri, listed: true };
  }
}

/** The first `max` files; `cap.reached` once a further one was seen. */
async function* firstFiles(files: AsyncIterable<GrepFile>, max: number, cap: { reached: boolean }) {
  let taken = 0;
  for await (const file of files) {
    if (taken++ >= max) {
      cap.reached = true;
      return;
    }
    yield file;
  }
}

/** Windows of up to `size` files. */
async function* windows(files: AsyncIterable<GrepFile>, size: number) {
  let window: GrepFile[] = [];
  for await (const file of files) {
    window.push(file);
    if (window.length < size) continue;
    yield window;
    window = [];
  }
  if (window.length > 0) yield window;
}

/** Files larger than this are read when their turn comes, not ahead with the window (memory). */
const READ_AHEAD_MAX_BYTES = 1024 * 1024;

/** A file grep may read: its size, and its content if small enough to read ahead. */
type Pending = { readonly size: number; content: Buffer | null } | null;

/** Where grep reads: the storage and the account. */
interface Source {
  readonly core: FsCore;
  readonly account_id: string;
}

/** A text file's content (null: binary, unreadable or gone). */
async function textOf(source: Source, file: GrepFile): Promise<Buffer | null> {
  const { storage } = source.core;
  const content = await storage.read(source.account_id, file.uri, file).catch(() => null);
  return content === null || !isIndexableText(content) ? null : content;
}

/** A regular file within the size limit (read ahead if small), else null. */
async function pendingOf(source: Source, file: GrepFile): Promise<Pending> {
  const info = await source.core.storage.stat(source.account_id, file.uri, file);
  if (info === null || info.kind !== 'file' || info.size > source.core.maxFileBytes) return null;
  if (info.size > READ_AHEAD_MAX_BYTES) return { size: info.size, content: null };
  const content = await textOf(source, file);
  return content === null ? null : { size: content.length, content };
}

/** The state of one grep: its matches and what it has spent. */
interface Scan {
  readonly source: Source;
  readonly regex: Matcher;
  readonly limits: GrepLimits;
  readonly limit: number;
  readonly matches: GrepMatch[];
  bytes: number;
  spentMs: number;
  sliceStart: number;
  /** A limit of GrepLimits (not `node_limit`) stopped the walk before its end. */
  truncated: boolean;
}

/** Lets other requests run; the slice's time counts against the scan's budget. */
async function pause(scan: Scan): Promise<void> {
  scan.spentMs += performance.now() - scan.sliceStart;
  await nextTurn();
  scan.sliceStart = performance.now();
  if (scan.spentMs >= scan.limits.matchMs) scan.truncated = true;
}

/**
 * Where the bytes of a line to match end: enough for MAX_LINE_CHARS UTF-16 units (each takes at
 * least one byte and at most three, or four for two), so a character cut at this end is past them.
 */
const MAX_LINE_BYTES = 3 * MAX_LINE_CHARS;

/** Matches the lines of a file; each line is decoded on its own, within the scan's slices. */
async function matchLines(scan: Scan, uri: string, content: Buffer): Promise<void> {
  // As `text.split(/\r?\n/)`, including the (possibly empty) piece after the last newline.
  for (let start = 0, line = 1; start <= content.length; line++) {
    if (scan.matches.length >= scan.limit || scan.truncated) return;
    const newline = content.indexOf(10, start);
    const next = newline < 0 ? content.length + 1 : newline + 1;
    let end = newline < 0 ? content.length : newline;
    if (end > start && content[end - 1] === 13 && newline >= 0) end--;
    const head = content.toString('utf8', start, Math.min(end, start + MAX_LINE_BYTES));
    if (scan.regex.test(head.slice(0, MAX_LINE_CHARS))) {
      scan.matches.push({
        uri,
        line,
        content: end - start > MAX_LINE_BYTES ? content.toString('utf8', start, end) : head,
      });
    }
    start = next;
    if (performance.now() - scan.sliceStart >= scan.limits.sliceMs) await pause(scan);
  }
}

/** Matches a window of files in order; false once the scan must stop (a limit reached). */
async function scanWindow(scan: Scan, window: GrepFile[], pending: Pending[]): Promise<boolean> {
  for (const [i, file] of window.entries()) {
    const found = pending[i];
    if (found == null) continue;
    scan.bytes += found.size;
    if (scan.bytes > scan.limits.bytes) scan.truncated = true;
    if (scan.truncated) return false;
    let content = found.content;
    found.content = null; // let it go once matched
    if (content === null) {
      // A large file, read now: waiting for the disk is not matching time.
      scan.spentMs += performance.now() - scan.sliceStart;
      content = await textOf(scan.source, file);
      scan.sliceStart = performance.now();
    }
    if (content !== null) await matchLines(scan, file.uri, content);
    if (scan.truncated || scan.matches.length >= scan.limit) return false;
  }
  return true;
}

/**
 * Lines matching a regex in the readable text files at or below `uri`, in walk order. Binary files
 * are skipped; the walk stops once `nodeLimit` (at most `limits.matches`) lines matched, or, with
 * `truncated: true`, once the files, bytes or matching time of `limits` were spent.
 */
export async function grep(
  core: FsCore,
  ctx: RequestContext,
  request: GrepRequest,
  limits: GrepLimits = GREP_LIMITS,
) {
  const resolved = resolveReadable(ctx, request.uri);
  const regex = compileGrepPattern(request.pattern, request.caseInsensitive ?? false);
  const limit = Math.min(request.nodeLimit ?? DEFAULT_SEARCH_LIMIT, limits.matches);
  const scan: Scan = {
    source: { core, account_id: ctx.effective.account_id },
    regex,
    limits,
    limit,
    matches: [],
    bytes: 0,
    spentMs: 0,
    sliceStart: 0,
    truncated: false,
  };
  if (limit <= 0) return { matches: scan.matches, count: 0 };
  const cap = { reached: false };
  const files = firstFiles(filesUnder(core, ctx, resolved), limits.files, cap);
  for await (const window of windows(files, READ_WINDOW)) {
    const pending = await Promise.all(window.map((file) => pendingOf(scan.source, file)));
    scan.sliceStart = performance.now();
    const more = await scanWindow(scan, window, pending);
    scan.spentMs += performance.now() - scan.sliceStart;
    if (!more) break;
  }
  const result = { matches: scan.matches, count: scan.matches.length };
  return scan.truncated || cap.reached ? { ...result, truncated: true } : result;
}

export interface GlobRequest {
  pattern: string;
  uri?: string;
  nodeLimit?: number;
}

/** Canonical URIs of the readable entries below `uri` whose relative path matches the glob. */
export async function glob(core: FsCore, ctx: RequestContext, request: GlobRequest) {
  const resolved = resolveReadable(ctx, request.uri ?? ROOT_URI);
  const matcher = compileGlob(request.pattern);
  const info = await requireStat(core, ctx, resolved);
  if (info.kind !== 'folder')
    throw new AppError('FAILED_PRECONDITION', 'not a folder', { uri: resolved.uri });
  const limit = request.nodeLimit ?? DEFAULT_SEARCH_LIMIT;
  // Without `**` a pattern cannot match deeper than its own number of names.
  const maxDepth = request.pattern.includes('**')
    ? Number.POSITIVE_INFINITY
    : request.pattern.split('/').length;
  const matches: string[] = [];
  for await (const entry of walk(treeOf(core, ctx), ctx, resolved, { maxDepth, showHidden: true })) {
    if (matches.length >= limit) break;
    if (matcher.test(entry.rel)) matches.push(entry.resolved.uri);
  }
  return { matches, count: matches.length };
}
