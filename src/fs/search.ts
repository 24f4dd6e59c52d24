/** grep and glob over the filesystem, walking only what the caller may read (SPEC 10). */
import { readFile } from 'node:fs/promises';
import type { RequestContext, ResolvedUri } from '../policy/index.js';
import { AppError } from '../errors.js';
import { resolveReadable } from './access.js';
import { compileGrepPattern, globToRegExp } from './patterns.js';
import { pathOf, requireStat, statOrNull, type FsCore } from './store.js';
import { isIndexableText } from './text.js';
import { walk } from './walk.js';

export const DEFAULT_SEARCH_LIMIT = 256;
/** Files a single grep reads at most (bounds the work of one request). */
export const MAX_FILES_SCANNED = 20_000;
/** Longest line prefix a regex is run on (bounds the work per line). */
const MAX_LINE_CHARS = 8192;

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
  readonly path: string;
}

/** The readable files at or below a readable URI, in walk order (a file URI: just that file). */
async function* filesUnder(
  core: FsCore,
  ctx: RequestContext,
  resolved: ResolvedUri,
): AsyncGenerator<GrepFile> {
  const info = await requireStat(core, ctx, resolved);
  const path = pathOf(core, ctx, resolved);
  if (!info.isDirectory()) {
    yield { uri: resolved.uri, path };
    return;
  }
  const options = { maxDepth: Number.POSITIVE_INFINITY, showHidden: false };
  for await (const entry of walk(ctx, resolved, path, options)) {
    if (!entry.isDir) yield { uri: entry.resolved.uri, path: entry.path };
  }
}

/** Windows of up to `size` files, at most `maxFiles` in all. */
async function* windows(files: AsyncIterable<GrepFile>, size: number, maxFiles: number) {
  let window: GrepFile[] = [];
  let taken = 0;
  for await (const file of files) {
    if (taken++ >= maxFiles) break;
    window.push(file);
    if (window.length < size) continue;
    yield window;
    window = [];
  }
  if (window.length > 0) yield window;
}

/** A file's text if it is a text file within the size limit, else null (binary, too large, gone). */
async function textOf(path: string, maxBytes: number): Promise<string | null> {
  const info = await statOrNull(path);
  if (info === null || !info.isFile() || info.size > maxBytes) return null;
  const content = await readFile(path).catch(() => null);
  return content === null || !isIndexableText(content) ? null : content.toString('utf8');
}

function matchLines(text: string, uri: string, regex: RegExp, out: GrepMatch[], limit: number) {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length && out.length < limit; i++) {
    const line = lines[i] as string;
    if (regex.test(line.slice(0, MAX_LINE_CHARS))) out.push({ uri, line: i + 1, content: line });
  }
}

/**
 * Lines matching a regex in the readable text files at or below `uri`, in walk order. Binary files
 * are skipped; the walk stops once `nodeLimit` lines matched or MAX_FILES_SCANNED files were read.
 */
export async function grep(core: FsCore, ctx: RequestContext, request: GrepRequest) {
  const resolved = resolveReadable(ctx, request.uri);
  const regex = compileGrepPattern(request.pattern, request.caseInsensitive ?? false);
  const limit = request.nodeLimit ?? DEFAULT_SEARCH_LIMIT;
  const matches: GrepMatch[] = [];
  if (limit <= 0) return { matches, count: 0 };
  for await (const window of windows(filesUnder(core, ctx, resolved), READ_WINDOW, MAX_FILES_SCANNED)) {
    const texts = await Promise.all(window.map((file) => textOf(file.path, core.maxFileBytes)));
    window.forEach((file, i) => {
      const text = texts[i];
      if (text != null) matchLines(text, file.uri, regex, matches, limit);
    });
    if (matches.length >= limit) break;
  }
  return { matches, count: matches.length };
}

export interface GlobRequest {
  pattern: string;
  uri?: string;
  nodeLimit?: number;
}

/** Canonical URIs of the readable entries below `uri` whose relative path matches the glob. */
export async function glob(core: FsCore, ctx: RequestContext, request: GlobRequest) {
  const resolved = resolveReadable(ctx, request.uri ?? 'viking://');
  const regex = globToRegExp(request.pattern);
  const info = await requireStat(core, ctx, resolved);
  if (!info.isDirectory()) throw new AppError('FAILED_PRECONDITION', 'not a folder', { uri: resolved.uri });
  const limit = request.nodeLimit ?? DEFAULT_SEARCH_LIMIT;
  // Without `**` a pattern cannot match deeper than its own number of names.
  const maxDepth = request.pattern.includes('**')
    ? Number.POSITIVE_INFINITY
    : request.pattern.split('/').length;
  const matches: string[] = [];
  const path = pathOf(core, ctx, resolved);
  for await (const entry of walk(ctx, resolved, path, { maxDepth, showHidden: true })) {
    if (matches.length >= limit) break;
    if (regex.test(entry.rel)) matches.push(entry.resolved.uri);
  }
  return { matches, count: matches.length };
}
