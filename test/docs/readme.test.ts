/**
 * The README stands alone (issue 28): it cites nothing outside the repository (no `../shared`, no
 * machine paths), every relative Markdown link or image names a file that exists in the repository,
 * and every `#anchor` (in the README or into another Markdown file of the repository) names a heading
 * that exists, with GitHub's heading slugs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/compiled.js';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The text outside fenced code blocks, where `#` lines are comments, not headings. */
function prose(markdown: string): string {
  return markdown
    .split(/^```.*$/m)
    .filter((_, i) => i % 2 === 0)
    .join('\n');
}

/** GitHub's anchor for a heading: inline code marks dropped, lower case, punctuation removed. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown document, duplicates numbered as GitHub does (`-1`, `-2`, …). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const match of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = slug(match[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Link and image targets of the prose: `[text](target)`, without a title. */
function links(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
}

const local = links(README).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));

test('the README has links to check', () => {
  expect(local.filter((t) => t.startsWith('#')).length).toBeGreaterThan(10);
  expect(local.filter((t) => !t.startsWith('#')).length).toBeGreaterThan(3);
});

test('the README cites no path outside the repository', () => {
  const outside = README.split('\n').filter((line) => /\.\.\/shared|\/work\//.test(line));
  expect(outside).toEqual([]);
  const escaping = local.filter((target) => {
    const file = target.split('#')[0] ?? '';
    return file !== '' && relative(REPO_ROOT, resolve(REPO_ROOT, file)).startsWith('..');
  });
  expect(escaping).toEqual([]);
});

test('every relative link of the README names a file of the repository', () => {
  const missing = local
    .map((target) => decodeURIComponent(target.split('#')[0] ?? ''))
    .filter((file) => file !== '' && !existsSync(join(REPO_ROOT, file)));
  expect(missing).toEqual([]);
});

test('every #anchor of the README names a heading that exists', () => {
  const own = anchors(README);
  const broken = local.filter((target) => {
    const [file = '', anchor] = target.split('#');
    if (anchor === undefined) return false;
    if (file === '') return !own.has(anchor);
    const path = join(REPO_ROOT, decodeURIComponent(file));
    if (!file.endsWith('.md') || !existsSync(path)) return false; // the file test reports it
    return !anchors(readFileSync(path, 'utf8')).has(anchor);
  });
  expect(broken).toEqual([]);
});

test.each([
  ['Admin API (`/api/v1/admin`, api_key mode)', 'admin-api-apiv1admin-api_key-mode'],
  ['Web console (`/console`)', 'web-console-console'],
  ["OpenViking's TypeScript SDK", 'openvikings-typescript-sdk'],
  ['Re-index', 're-index'],
])('GitHub slug of %j is %j', (heading, expected) => {
  expect(slug(heading)).toBe(expected);
});
