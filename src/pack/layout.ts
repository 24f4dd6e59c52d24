/**
 * OpenViking's `.ovpack` layout: a zip whose every entry lies below one root folder named after the
 * exported URI's last segment (`docs/`, `docs/guide.md`, `docs/sub/`), where a path segment starting
 * with `.` is stored as `_._` + the rest (`.abstract.md` → `_._abstract.md`) and folders have their
 * own `name/` entries. Pure mapping between zip paths and paths relative to the pack root.
 */
import { AppError } from '../errors.js';

const DOT_MARK = '_._';

/** The zip path of `rel` (`''` is the root itself) in a pack rooted at `base`. */
export function zipPathOf(base: string, rel: string): string {
  if (rel === '') return base;
  const parts = rel.split('/').map((p) => (p.startsWith('.') ? DOT_MARK + p.slice(1) : p));
  return `${base}/${parts.join('/')}`;
}

/** The path below the pack root of a zip path (`''` for the root), with `_._` turned back into `.`. */
export function relPathOf(zipPath: string): string {
  return zipPath
    .split('/')
    .slice(1)
    .map((p) => (p.startsWith(DOT_MARK) ? `.${p.slice(DOT_MARK.length)}` : p))
    .join('/');
}

/** The pack's root folder name: the first segment every entry shares (400 if they do not). */
export function rootNameOf(paths: readonly string[]): string {
  const base = paths[0]?.split('/')[0] ?? '';
  if (base === '') throw new AppError('INVALID_ARGUMENT', 'invalid ovpack: it holds no files');
  const stray = paths.find((p) => p.split('/')[0] !== base);
  if (stray !== undefined) {
    throw new AppError('INVALID_ARGUMENT', 'invalid ovpack: every entry must lie below one root folder', {
      entry: stray,
      root: base,
    });
  }
  return base;
}
