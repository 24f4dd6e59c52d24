/**
 * The one rule for what an import of many files takes, shared by `add_resource` (zip or folder),
 * pack import and `npm run bulk-index` (folders): hidden files and folders (`.env`, `.git/`) and the
 * usual dependency and tool folders are never imported, because whatever is imported becomes
 * searchable by the whole account — a `.env` picked up with a folder would hand out its secrets.
 * Every skip is reported (one warning per skipped folder, not per file below it), so an import never
 * leaves something out silently. Pure functions over '/'-separated relative paths.
 */

/** Folders never imported (besides hidden ones): OpenViking's IGNORE_DIRS and macOS zip metadata. */
export const IGNORED_FOLDERS: ReadonlySet<string> = new Set([
  'node_modules',
  '__pycache__',
  'venv',
  'site-packages',
  '__MACOSX',
]);

/** The store's own folder summaries; a pack (the store's own export format) carries them. */
export const SUMMARY_FILES: ReadonlySet<string> = new Set(['.abstract.md', '.overview.md']);

export interface ImportSkip {
  /** The skipped file, or the skipped folder with a trailing '/' (everything below it is skipped). */
  readonly path: string;
  readonly reason: 'hidden' | 'ignored_folder';
}

export interface RuleOptions {
  /** Keep `.abstract.md` / `.overview.md` (pack import: the store's own summaries). */
  readonly keepSummaries?: boolean;
}

/**
 * Why `path` is not imported, or null to import it. A path ending in '/' is a folder.
 * @example importSkip('kb/.env') // { path: 'kb/.env', reason: 'hidden' }
 * @example importSkip('kb/node_modules/x/a.md') // { path: 'kb/node_modules/', reason: 'ignored_folder' }
 */
export function importSkip(path: string, options: RuleOptions = {}): ImportSkip | null {
  const isFolder = path.endsWith('/');
  const segments = path.split('/').filter((s) => s !== '');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    const folder = i < segments.length - 1 || isFolder;
    const prefix = segments.slice(0, i + 1).join('/') + (folder ? '/' : '');
    const summary = !folder && options.keepSummaries === true && SUMMARY_FILES.has(segment);
    if (segment.startsWith('.') && !summary) return { path: prefix, reason: 'hidden' };
    if (folder && IGNORED_FOLDERS.has(segment)) return { path: prefix, reason: 'ignored_folder' };
  }
  return null;
}

/** The warning line of a skip, as listed in an import's `warnings`. */
export function skipWarning(skip: ImportSkip): string {
  const what = skip.path.endsWith('/') ? 'folder' : 'file';
  return skip.reason === 'hidden'
    ? `skipped ${skip.path}: hidden ${what}, never imported`
    : `skipped ${skip.path}: ${what} of dependencies or tool metadata, never imported`;
}

/** Collects the skips of one import, each skipped folder once, in the order met. */
export class ImportSkips {
  private readonly seen = new Map<string, ImportSkip>();

  /** Whether `path` is imported; a skip is recorded. */
  take(path: string, options: RuleOptions = {}): boolean {
    const skip = importSkip(path, options);
    if (skip === null) return true;
    if (!this.seen.has(skip.path)) this.seen.set(skip.path, skip);
    return false;
  }

  get skips(): ImportSkip[] {
    return [...this.seen.values()];
  }

  warnings(): string[] {
    return this.skips.map(skipWarning);
  }
}
