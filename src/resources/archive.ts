/**
 * The documents of an uploaded zip archive, the way OpenViking's directory import picks them: a single
 * top-level folder becomes the resource root; hidden files and folders and dependency folders are
 * skipped and listed in the warnings (the shared rule of import-rule.ts); `ignore_dirs` are skipped; `include` / `exclude` filter by name (an `exclude` pattern ending in `/`
 * is a path prefix); `preserve_structure: false` flattens the tree. Files that cannot be converted
 * (unsupported binary, broken PDF: a 400) are skipped with a warning instead of failing the whole
 * import; a file past a document limit (413: pages, time, memory) or a 429 fails the import, and
 * all conversions of one archive share one time budget (`archiveTimeoutMs`), so an archive of many
 * costly documents cannot hold the parse workers for long, and one bound on the text they convert to
 * in all (`maxArchiveTextBytes`), so small PDFs that expand cannot fill the main thread's memory.
 */
import { AppError, isAppError } from '../errors.js';
import { compileGlob } from '../fs/patterns.js';
import { convertFile, type Converted } from './convert.js';
import { ImportSkips } from './import-rule.js';
import { archiveBudget, DEFAULT_DOCUMENT_LIMITS, type DocumentLimits } from './parse-jobs.js';
import type { ZipEntry } from './zip.js';

export interface ArchiveOptions {
  /** Comma-separated folder names or relative paths. */
  readonly ignore_dirs?: string | null | undefined;
  /** Comma-separated name globs; only matching files are imported. */
  readonly include?: string | null | undefined;
  /** Comma-separated name globs, or path prefixes ending in `/`. */
  readonly exclude?: string | null | undefined;
  /** false: every file directly below the root (default true). */
  readonly preserve_structure?: boolean | null | undefined;
}

export interface ArchiveDocuments {
  /** Converted documents by path relative to the resource root. */
  readonly docs: { path: string; converted: Converted }[];
  /** The archive's single top-level folder, which names the resource; null if it has several entries. */
  readonly rootFolder: string | null;
  readonly warnings: string[];
}

function patterns(raw: string | null | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** The single top-level folder all entries share, if any. */
function commonRoot(entries: readonly ZipEntry[]): string | null {
  const first = entries[0]?.path.split('/')[0];
  if (first === undefined) return null;
  return entries.every((e) => e.path.startsWith(`${first}/`)) ? first : null;
}

/**
 * Why a file (path relative to the root) is left out by the caller's own filters, or null to import
 * it. Silent, like OpenViking's scan: the caller asked for these.
 */
function skipReason(path: string, options: ArchiveOptions): string | null {
  const segments = path.split('/');
  const name = segments[segments.length - 1] ?? '';
  const dirs = segments.slice(0, -1);
  const ignored = patterns(options.ignore_dirs).map((p) => p.replace(/^\.\//, '').replace(/\/$/, ''));
  if (ignored.some((p) => dirs.includes(p) || path.startsWith(`${p}/`))) return 'ignore_dirs';
  const include = patterns(options.include);
  if (include.length > 0 && !include.some((p) => compileGlob(p).test(name))) return 'not included';
  for (const p of patterns(options.exclude)) {
    if (p.endsWith('/') ? path.startsWith(p) : compileGlob(p).test(name)) return 'excluded';
  }
  return null;
}

/**
 * Converts the entries of an archive into documents (see the module header for the rules).
 * @example await archiveDocuments([{ path: 'kb/a.md', data }], {}) // { rootFolder: 'kb', docs: [{ path: 'a.md', … }] }
 */
export async function archiveDocuments(
  entries: readonly ZipEntry[],
  options: ArchiveOptions,
  limits: DocumentLimits = DEFAULT_DOCUMENT_LIMITS,
): Promise<ArchiveDocuments> {
  // The shared rule first, on whole paths, so that tool metadata beside the one top-level folder
  // (`__MACOSX/`) does not hide that folder from commonRoot.
  const skips = new ImportSkips();
  const taken = entries.filter((entry) => skips.take(entry.path));
  const rootFolder = commonRoot(taken);
  const warnings: string[] = [];
  const docs: { path: string; converted: Converted }[] = [];
  const seen = new Set<string>();
  const budget = archiveBudget(limits);
  let textBytes = 0;
  for (const entry of taken) {
    const relative = rootFolder === null ? entry.path : entry.path.slice(rootFolder.length + 1);
    if (skipReason(relative, options) !== null) continue;
    const slash = relative.lastIndexOf('/');
    const folder = options.preserve_structure === false || slash < 0 ? '' : relative.slice(0, slash + 1);
    const name = relative.slice(slash + 1);
    const converted = await convertFile(name, entry.data, '', budget.next()).catch((error: unknown) => {
      budget.check();
      if (!isAppError(error) || error.code !== 'INVALID_ARGUMENT') throw error;
      warnings.push(`skipped ${relative}: ${error.message}`);
      return null;
    });
    if (converted === null) continue;
    textBytes += Buffer.byteLength(converted.content);
    if (textBytes > limits.maxArchiveTextBytes) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `the documents of an archive may convert to at most ${limits.maxArchiveTextBytes} bytes of text in all`,
        { max_bytes: limits.maxArchiveTextBytes, file: relative },
      );
    }
    const path = folder + converted.name;
    if (seen.has(path)) {
      throw new AppError('INVALID_ARGUMENT', `two files of the archive would be stored as ${path}`, {
        file: path,
      });
    }
    seen.add(path);
    docs.push({ path, converted });
  }
  return { docs, rootFolder, warnings: [...skips.warnings(), ...warnings] };
}
