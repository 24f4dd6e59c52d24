/**
 * Where bulk documents come from: a folder tree (one document per regular file, below the target;
 * hidden files and folders and dependency folders are skipped and reported, by the import rule
 * shared with add_resource and pack import, src/resources/import-rule.ts) or a JSONL file (one `{"uri", "content"}` per line). Each document has a stable key (its relative
 * path, or its line number) and a fingerprint of its content, so a checkpoint can tell a document
 * already imported from one that changed since. Content is loaded lazily, one document at a time.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { messageOf } from '../../src/errors.js';
import { isIndexableText } from '../../src/fs/text.js';
import { ImportSkips, skipWarning, type ImportSkip } from '../../src/resources/import-rule.js';

/** Why a document was not written: deliberate skips, or a failure with its error code. */
export type Outcome =
  | { readonly kind: 'text'; readonly content: string; readonly bytes: number }
  | {
      readonly kind: 'skipped';
      readonly reason: 'binary' | 'too_large' | ImportSkip['reason'];
      readonly message: string;
    }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string };

export interface SourceDoc {
  /** Stable across runs: the relative path, or `line N`. */
  readonly key: string;
  /** Where it goes (raw: the filesystem resolves and checks it). */
  readonly uri: string;
  /** Changes when the content does (size and mtime of a file; a hash of a JSONL line). */
  readonly fingerprint: string;
  load(): Promise<Outcome>;
}

export interface Source {
  readonly kind: 'folder' | 'jsonl';
  readonly total: number;
  docs(): AsyncGenerator<SourceDoc>;
}

/** `<target>/<relative>`; the filesystem normalises repeated slashes and rejects bad segments. */
export function joinUri(target: string, relativePath: string): string {
  return `${target.replace(/\/+$/, '')}/${relativePath.replace(/^\/+/, '')}`;
}

const tooLarge = (bytes: number, max: number): Outcome => ({
  kind: 'skipped',
  reason: 'too_large',
  message: `${bytes} bytes is over MAX_FILE_BYTES (${max})`,
});

/**
 * Regular files below `dir` in path order; symlinks are not followed (they could leave the tree).
 * What the import rule skips is recorded in `skips` (a skipped folder is not entered).
 */
async function walk(root: string, dir: string, out: string[], skips: ImportSkips): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const rel = relative(root, path).split(sep).join('/');
    if (entry.isDirectory()) {
      if (skips.take(`${rel}/`)) await walk(root, path, out, skips);
    } else if (entry.isFile() && skips.take(rel)) out.push(path);
  }
  return out;
}

/** A skipped file or folder as a document of the run: listed in the summary, never written. */
function skippedDoc(target: string, skip: ImportSkip): SourceDoc {
  const outcome: Outcome = { kind: 'skipped', reason: skip.reason, message: skipWarning(skip) };
  return {
    key: skip.path,
    uri: joinUri(target, skip.path),
    fingerprint: '',
    load: () => Promise.resolve(outcome),
  };
}

async function loadFile(path: string, size: number, maxBytes: number): Promise<Outcome> {
  if (size > maxBytes) return tooLarge(size, maxBytes);
  const data = await readFile(path);
  if (!isIndexableText(data)) {
    return { kind: 'skipped', reason: 'binary', message: 'not UTF-8 text (binary content)' };
  }
  return { kind: 'text', content: data.toString('utf8'), bytes: data.length };
}

/** Every regular file below `root`, in path order. */
export async function folderSource(root: string, target: string, maxBytes: number): Promise<Source> {
  const skips = new ImportSkips();
  const files = await walk(root, root, [], skips);
  return {
    kind: 'folder',
    total: files.length + skips.skips.length,
    async *docs() {
      for (const skip of skips.skips) yield skippedDoc(target, skip);
      for (const path of files) {
        const key = relative(root, path).split(sep).join('/');
        const uri = joinUri(target, key);
        // Stat here, not while listing: a file removed meanwhile fails alone instead of the run.
        const info = await stat(path).catch((error: unknown) => ({ unreadable: messageOf(error) }));
        if ('unreadable' in info) {
          const failure: Outcome = { kind: 'failed', code: 'READ_ERROR', message: info.unreadable };
          yield { key, uri, fingerprint: '', load: () => Promise.resolve(failure) };
          continue;
        }
        const fingerprint = `${info.size}:${Math.trunc(info.mtimeMs)}`;
        yield { key, uri, fingerprint, load: () => loadFile(path, info.size, maxBytes) };
      }
    },
  };
}

const LineSchema = z.object({ uri: z.string().min(1), content: z.string() });

function parseLine(line: string, target: string | undefined, maxBytes: number): Outcome & { uri: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'failed', code: 'INVALID_LINE', message: 'not valid JSON', uri: '' };
  }
  const parsed = LineSchema.safeParse(value);
  if (!parsed.success) {
    return {
      kind: 'failed',
      code: 'INVALID_LINE',
      message: 'expected {"uri": string, "content": string}',
      uri: '',
    };
  }
  const { uri, content } = parsed.data;
  const absolute = uri.startsWith('viking://');
  if (!absolute && target === undefined) {
    return { kind: 'failed', code: 'INVALID_URI', message: `relative uri '${uri}' needs --target`, uri };
  }
  const full = absolute || target === undefined ? uri : joinUri(target, uri);
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > maxBytes) return { ...tooLarge(bytes, maxBytes), uri: full };
  if (content.includes('\u0000')) {
    return { kind: 'skipped', reason: 'binary', message: 'content holds NUL characters', uri: full };
  }
  return { kind: 'text', content, bytes, uri: full };
}

async function* lines(path: string): AsyncGenerator<{ number: number; text: string }> {
  const reader = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let number = 0;
  for await (const text of reader) {
    number++;
    if (text.trim() !== '') yield { number, text };
  }
}

/** One document per non-blank line; a later line with the same uri as an earlier one fails. */
export async function jsonlSource(
  path: string,
  target: string | undefined,
  maxBytes: number,
): Promise<Source> {
  let total = 0;
  for await (const line of lines(path)) if (line) total++;
  return {
    kind: 'jsonl',
    total,
    async *docs() {
      const seen = new Map<string, number>();
      for await (const line of lines(path)) {
        const outcome = parseLine(line.text, target, maxBytes);
        const first = seen.get(outcome.uri);
        if (outcome.uri !== '' && first === undefined) seen.set(outcome.uri, line.number);
        const result: Outcome =
          first === undefined
            ? outcome
            : { kind: 'failed', code: 'DUPLICATE_URI', message: `same uri as line ${first}` };
        yield {
          key: `line ${line.number}`,
          uri: outcome.uri,
          fingerprint: createHash('sha256').update(line.text).digest('hex').slice(0, 16),
          load: () => Promise.resolve(result),
        };
      }
    },
  };
}
